"""The import page via WebTest (permission "ingest"): an upload goes through the CLI's importer in
the request's transaction; the batch page shows the counts and the rejected rows, whose CSV can
be fixed and uploaded again; a file that cannot be imported is a flashed error and stores nothing."""
from __future__ import annotations

import csv
import io
import sqlite3
import tempfile

import pytest
import webtest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from feedback.importing.rejected import rejected_rows, write_rejected_csv
from feedback.models import ImportBatch, OutboxJob, RejectedRow, Review
from feedback.services import imports as import_service

from . import web_factories as wf
from .import_helpers import TAOBAO_HEADER, csv_bytes, taobao_row

# A header Kuaishou, Douyin and others share: it names no platform.
SHARED_HEADER = ["订单编号", "商品ID", "评价星级", "评价内容", "评价时间"]


@pytest.fixture
def upload_tmp(tmp_path, monkeypatch):
    """The directory uploads are copied to (the test checks that nothing stays there)."""
    folder = tmp_path / "uploads"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def manager(testapp, dbsession, upload_tmp):
    user = wf.user(dbsession, "manager")
    wf.login(testapp, user.username)
    return user


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def gbk_reviews_with_a_bad_row() -> bytes:
    rows = [taobao_row(i, text=f"饺子到手全化了，第{i}袋") for i in range(1, 4)]
    rows[1][4] = rows[1][5] = ""  # neither a rating nor a text: rejected
    return csv_bytes(TAOBAO_HEADER, rows, encoding="gbk")


def upload(testapp, filename: str, data: bytes, kind: str = "reviews", platform: str = "",
           mapping: tuple[str, bytes] | None = None):
    form = testapp.get("/imports").forms["upload-form"]
    form["kind"] = kind
    form["platform"] = platform
    form["file"] = webtest.Upload(filename, data, "application/octet-stream")
    if mapping:
        form["mapping"] = webtest.Upload(*mapping, "application/octet-stream")
    return form.submit(status=303)


def counts_on(page) -> dict:
    return {c["data-count"]: int(c.select_one(".n").text) for c in page.html.select("#counts [data-count]")}


def test_gbk_file_with_a_bad_row_then_the_fixed_rows_then_the_same_file_again(testapp, dbsession, manager,
                                                                              upload_tmp, tmp_path):
    res = upload(testapp, "淘宝评价.csv", gbk_reviews_with_a_bad_row())
    batch = dbsession.scalars(select(ImportBatch)).one()
    assert res.location.endswith(f"/imports/{batch.id}")
    page = res.follow()
    assert "新增 2，更新 0，重复 0，拒绝 1" in page.html.select_one(".flash-success").text
    assert counts_on(page) == {"inserted": 2, "updated": 0, "duplicates": 0, "rejected": 1, "total_rows": 3}
    facts = page.html.select_one("dl.facts").text
    assert "CSV" in facts and "gb18030" in facts and "taobao" in facts and "淘宝" in facts
    row = page.html.select_one("tr[data-row-number='3']")  # the header is line 1
    assert row is not None and "31000000002" in row.text and row.select_one(".import-reason").text.strip()
    assert (batch.source, batch.created_by, batch.filename) == ("web", manager.username, "淘宝评价.csv")
    # classified like a CLI import: the importer queued the new reviews in the same transaction
    job = dbsession.scalars(select(OutboxJob)).one()
    assert job.actor_name == "classify_reviews"
    assert sorted(job.payload["ids"]) == sorted(dbsession.scalars(select(Review.id)))
    assert list(upload_tmp.iterdir()) == []  # the temporary copy is gone

    # the rejected rows as the CLI's `feedback import rejected N --out FILE` writes them
    download = testapp.get(f"/imports/{batch.id}/rejected.csv")
    assert download.content_type == "text/csv" and download.charset == "utf-8"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in download.headers["Content-Disposition"]
    assert "no-store" in download.headers["Cache-Control"]
    _, rows = rejected_rows(dbsession, batch.id)
    write_rejected_csv(rows, tmp_path / "cli.csv")
    assert download.body == (tmp_path / "cli.csv").read_bytes() and download.body.startswith(b"\xef\xbb\xbf")

    # fix the row in the downloaded file and upload it as it is
    table = list(csv.reader(io.StringIO(download.body.decode("utf-8-sig"))))
    header, fixed = table[0], table[1]
    fixed[header.index("初评等级")] = "差评"
    fixed[header.index("评价内容")] = "饺子皮全破了"
    data = ("\ufeff" + "".join(f"{','.join(r)}\r\n" for r in (header, fixed))).encode("utf-8")
    page = upload(testapp, "被拒绝的行_改好.csv", data).follow()
    assert counts_on(page) == {"inserted": 1, "updated": 0, "duplicates": 0, "rejected": 0, "total_rows": 1}
    assert "没有被拒绝的行" in page.text and "rejected-download" not in page.text
    assert count(dbsession, Review) == 3

    page = upload(testapp, "被拒绝的行_改好.csv", data).follow()
    assert counts_on(page) == {"inserted": 0, "updated": 0, "duplicates": 1, "rejected": 0, "total_rows": 1}
    assert count(dbsession, Review) == 3 and count(dbsession, OutboxJob) == 2  # nothing new to classify

    listing = testapp.get("/imports")
    batches = listing.html.select("#batches tr[data-batch]")
    assert len(batches) == 3 and batches[0]["data-batch"] == str(batch.id + 2)  # newest first
    assert "淘宝评价.csv" in batches[2].text and "网页上传" in batches[2].text


@pytest.mark.parametrize("filename, data, message", [
    ("空文件.csv", b"", "the file is empty"),
    ("只有BOM.csv", b"\xef\xbb\xbf\r\n", "the file is empty"),
    ("照片.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "not a table file"),
    ("截断.xlsx", b"PK\x03\x04" + bytes(range(200)) * 5, "truncated"),
    ("商品.csv", "商品,价格\n苹果,3\n".encode("gbk"), "unrecognized header"),
])
def test_a_file_that_is_not_an_import_is_an_error_and_stores_nothing(testapp, dbsession, manager, upload_tmp,
                                                                     filename, data, message):
    page = upload(testapp, filename, data).follow()
    error = page.html.select_one(".flash-error").text
    assert message in error and error.startswith("无法导入")
    assert count(dbsession, ImportBatch) == 0 and count(dbsession, RejectedRow) == 0
    assert count(dbsession, OutboxJob) == 0
    assert list(upload_tmp.iterdir()) == []


def test_a_file_without_a_platform_asks_for_one_then_imports_with_it(testapp, dbsession, manager):
    data = csv_bytes(SHARED_HEADER, [["2411030000000000", "200000000000", "1星", "发霉了", "2026-11-07"]])
    page = upload(testapp, "快手评价.csv", data).follow()
    assert "「平台」" in page.html.select_one(".flash-error").text
    assert count(dbsession, ImportBatch) == 0
    page = upload(testapp, "快手评价.csv", data, platform="kuaishou").follow()
    assert counts_on(page)["inserted"] == 1
    assert dbsession.scalars(select(ImportBatch.platform)).one() == "kuaishou"


# A layout no built-in header table knows: the columns must be named by a mapping.
ODD_HEADER = ["单号", "买家说", "打分", "日期"]
ODD_ROWS = [["D-1", "牛奶结块了，一股酸味", "1", "2026-11-20"], ["D-2", "送得很快，很新鲜", "5", "2026-11-21"]]


def test_an_unknown_layout_asks_for_a_mapping_then_imports_with_one(testapp, dbsession, manager, upload_tmp):
    data = csv_bytes(ODD_HEADER, ODD_ROWS, encoding="gb18030")
    error = upload(testapp, "抖店评价.csv", data).follow().html.select_one(".flash-error").text
    assert "unrecognized header" in error and "「列映射」" in error
    assert count(dbsession, ImportBatch) == 0
    mapping = "platform = douyin\n单号 = order_id\n买家说 = text\n打分 = rating\n日期 = reviewed_at\n"
    page = upload(testapp, "抖店评价.csv", data, mapping=("抖店映射.txt", mapping.encode("utf-8"))).follow()
    assert counts_on(page)["inserted"] == 2
    batch = dbsession.scalars(select(ImportBatch)).one()
    assert (batch.platform, batch.header_family, batch.filename) == ("douyin", "mapping", "抖店评价.csv")
    rows = set(dbsession.execute(select(Review.platform_order_id, Review.text, Review.rating_stars)).all())
    assert rows == {("D-1", "牛奶结块了，一股酸味", 1), ("D-2", "送得很快，很新鲜", 5)}
    assert list(upload_tmp.iterdir()) == []


@pytest.mark.parametrize("mapping, message", [
    ('{"买家说": "comment_text"}', "unknown target fields in mapping: comment_text"),
    ("买家说 text", "mapping line 1 lacks '='"),
    ("买家说 = text".encode("gbk"), "mapping file must be UTF-8: 映射.txt"),
    ("x" * (1024 * 1024 + 1), "映射文件超过 1 MB"),
])
def test_a_bad_mapping_is_an_error_and_stores_nothing(testapp, dbsession, manager, upload_tmp, mapping, message):
    raw = mapping if isinstance(mapping, bytes) else mapping.encode("utf-8")
    data = csv_bytes(ODD_HEADER, ODD_ROWS)
    error = upload(testapp, "评价.csv", data, mapping=("映射.txt", raw)).follow().html.select_one(".flash-error").text
    assert message in error and "feedback-upload-" not in error
    assert count(dbsession, ImportBatch) == 0 and count(dbsession, Review) == 0
    assert list(upload_tmp.iterdir()) == []


def test_the_imports_notes_are_kept_with_the_batch(testapp, dbsession, manager):
    """What the import said about the file (here: the platform read off a title line, a summary
    line skipped) is on the batch's page, not only in the moment after the upload."""
    body = ("饿了么商家版-评价管理导出 2026-11-01至2026-11-30\r\n"
            "门店名称,订单编号,评价时间,用户名,订单评分,评价内容\r\n"
            "川香麻辣烫,5000000020261100001,2026/11/04 15:39,e_user_1,1,汤是凉的\r\n"
            "合计：共 1 条评价\r\n")
    batch_url = upload(testapp, "饿了么评价.csv", body.encode("gb18030")).location
    page = testapp.get(batch_url)
    notes = page.html.select_one("#notes").text
    assert "title line: eleme" in notes and "summary line" in notes
    assert dbsession.scalars(select(ImportBatch.platform)).one() == "eleme"


def test_a_review_export_given_as_tickets_names_the_kind_to_choose(testapp, dbsession, manager):
    page = upload(testapp, "淘宝评价.csv", gbk_reviews_with_a_bad_row(), kind="tickets").follow()
    assert "「类型」选为「评价」" in page.html.select_one(".flash-error").text
    assert count(dbsession, ImportBatch) == 0


def test_a_missing_file_an_unknown_kind_or_platform_is_an_error(testapp, dbsession, manager):
    token = wf.csrf(testapp)
    data = csv_bytes(TAOBAO_HEADER, [taobao_row(1)])
    cases = [
        ({"kind": "reviews"}, None, "请选择要上传的文件"),
        ({"kind": "orders"}, ("file", "r.csv", data), "请选择导入类型"),
        ({"kind": "reviews", "platform": "weibo"}, ("file", "r.csv", data), "unknown platform: weibo"),
    ]
    for fields, file, message in cases:
        res = testapp.post("/imports", {**fields, "csrf_token": token}, upload_files=[file] if file else None,
                           status=303)
        assert message in res.follow().html.select_one(".flash-error").text
    assert count(dbsession, ImportBatch) == 0


class TestSizeLimit:
    @pytest.fixture
    def app_settings(self, app_settings):
        return dict(app_settings, **{"feedback.import_max_mb": "0.01"})  # 10 KB: cheap to go over

    def test_a_file_over_the_size_limit_is_refused(self, testapp, dbsession, manager, upload_tmp):
        assert "最大 0.01 MB" in testapp.get("/imports").text
        small = csv_bytes(TAOBAO_HEADER, [taobao_row(i) for i in range(1, 4)])
        big = csv_bytes(TAOBAO_HEADER, [taobao_row(i) for i in range(1, 100)])
        assert len(small) < 10 * 1024 < len(big)
        page = upload(testapp, "大文件.csv", big).follow()
        assert "上传上限" in page.html.select_one(".flash-error").text
        assert count(dbsession, ImportBatch) == 0 and list(upload_tmp.iterdir()) == []
        assert counts_on(upload(testapp, "小文件.csv", small).follow())["inserted"] == 3


def test_a_department_head_may_not_import(testapp, dbsession):
    manager = wf.user(dbsession, "manager")
    wf.login(testapp, manager.username)
    batch_id = int(upload(testapp, "淘宝评价.csv", gbk_reviews_with_a_bad_row()).location.rsplit("/", 1)[1])
    assert "导入" in testapp.get("/imports").html.select_one("nav.mainnav").text
    testapp.post("/logout", {"csrf_token": wf.csrf(testapp)}, status=303)

    head = wf.user(dbsession, "dept_head", dept="qc")
    wf.login(testapp, head.username)
    assert "导入" not in testapp.get("/tasks").html.select_one("nav.mainnav").text
    for path in ("/imports", f"/imports/{batch_id}", f"/imports/{batch_id}/rejected.csv"):
        testapp.get(path, status=403)
    testapp.post("/imports", {"kind": "reviews", "csrf_token": wf.csrf(testapp)},
                 upload_files=[("file", "r.csv", csv_bytes(TAOBAO_HEADER, [taobao_row(9)]))], status=403)
    assert count(dbsession, ImportBatch) == 1


def test_a_post_without_the_csrf_token_is_refused(testapp, dbsession, manager):
    res = testapp.post("/imports", {"kind": "reviews"},
                       upload_files=[("file", "r.csv", csv_bytes(TAOBAO_HEADER, [taobao_row(1)]))], status=400)
    assert "请求无法验证" in res.text
    assert count(dbsession, ImportBatch) == 0 and count(dbsession, Review) == 0


def test_cells_and_names_from_the_file_are_shown_as_text(testapp, dbsession, manager):
    rows = [taobao_row(1), taobao_row(2)]
    rows[1][2] = "<img src=x onerror=alert(1)>水饺"
    rows[1][4] = rows[1][5] = ""
    page = upload(testapp, "<em>导出.csv", csv_bytes(TAOBAO_HEADER, rows)).follow()
    assert "&lt;img src=x onerror=alert(1)&gt;水饺" in page.text and "<img src=x" not in page.text
    assert "&lt;em&gt;导出.csv" in page.text and "<em>" not in page.text
    listing = testapp.get("/imports").text
    assert "&lt;em&gt;导出.csv" in listing and "<em>" not in listing


def test_unknown_batch_is_404(testapp, manager):
    testapp.get("/imports/999999", status=404)
    testapp.get("/imports/999999/rejected.csv", status=404)


def test_a_locked_database_runs_the_request_again(testapp, dbsession, manager, monkeypatch):
    """SQLite's writer lock not obtained in time (or a PostgreSQL deadlock): the upload is run
    again by pyramid_retry, as `run_import` retries the CLI's transaction."""
    real, calls = import_service.import_file, []

    def locked_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("INSERT INTO reviews", {}, sqlite3.OperationalError("database is locked"))
        return real(*args, **kwargs)

    monkeypatch.setattr(import_service, "import_file", locked_once)
    page = upload(testapp, "淘宝评价.csv", gbk_reviews_with_a_bad_row()).follow()
    assert len(calls) == 2 and counts_on(page)["inserted"] == 2
    assert count(dbsession, ImportBatch) == 1
