"""The import service against real databases (SQLite and PostgreSQL)."""
from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select

from feedback.importing import ImportFileError, import_file, import_items
from feedback.models import Batch, ImportBatch, Order, OutboxJob, Product, RejectedRow, Review, Shop, Ticket

from .import_helpers import TAOBAO_HEADER, csv_bytes, taobao_row, write


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def snapshot(session) -> dict:
    return {m.__name__: count(session, m) for m in (Review, Ticket, Order, Product, Batch, ImportBatch, RejectedRow, OutboxJob)}


def test_same_file_twice_adds_nothing(dbsession, tmp_path):
    path = write(tmp_path / "tb.csv", csv_bytes(TAOBAO_HEADER, [taobao_row(i) for i in range(1, 6)]))
    first = import_file(dbsession, path, "reviews")
    assert (first.inserted, first.updated, first.duplicates, first.rejected) == (5, 0, 0, 0)
    assert first.platform == "taobao" and first.header_family == "taobao"
    before = snapshot(dbsession)
    second = import_file(dbsession, path, "reviews")
    assert (second.inserted, second.updated, second.duplicates, second.rejected) == (0, 0, 5, 0)
    after = snapshot(dbsession)
    assert after["Review"] == before["Review"] == 5
    assert after["Order"] == before["Order"] and after["Product"] == before["Product"]
    assert after["OutboxJob"] == before["OutboxJob"]  # nothing new to classify
    assert after["ImportBatch"] == before["ImportBatch"] + 1  # the second import is still recorded


def test_order_facts_create_products_batches_orders_and_links(dbsession, tmp_path):
    path = write(tmp_path / "tb.csv", csv_bytes(TAOBAO_HEADER, [taobao_row(1), taobao_row(2)]))
    import_file(dbsession, path, "reviews")
    review = dbsession.scalars(select(Review).where(Review.platform_order_id == "31000000001")).one()
    assert review.order is not None and review.product is not None
    assert review.order.warehouse == "广州仓" and review.order.carrier == "中通"
    assert review.order.shipped_at == dt.datetime(2024, 3, 2, 9, 0)
    assert review.order.batch.batch_code == "DUMP240301"
    assert review.order.batch.expiry_date == dt.date(2025, 3, 1)
    assert review.product.sku == "FZ-DUMP-1KG" and review.product.name == "猪肉白菜水饺 1kg"
    assert review.rating_level == "bad" and review.rating_stars is None
    assert review.dedupe_key == "id:sub:31000000001-1"
    assert count(dbsession, Product) == 1 and count(dbsession, Batch) == 1 and count(dbsession, Order) == 2


def test_a_new_followup_updates_the_review_and_requests_classification(dbsession, tmp_path):
    v1 = write(tmp_path / "v1.csv", csv_bytes(TAOBAO_HEADER, [taobao_row(1), taobao_row(2)]))
    v2 = write(tmp_path / "v2.csv", csv_bytes(TAOBAO_HEADER, [taobao_row(1, followup="追评：补发的也化了"), taobao_row(2)]))
    import_file(dbsession, v1, "reviews")
    jobs_before = count(dbsession, OutboxJob)
    result = import_file(dbsession, v2, "reviews")
    assert (result.inserted, result.updated, result.duplicates) == (0, 1, 1)
    review = dbsession.scalars(select(Review).where(Review.platform_order_id == "31000000001")).one()
    dbsession.refresh(review)
    assert review.followup_text == "追评：补发的也化了"
    assert review.followup_at == dt.datetime(2024, 3, 8)
    assert review.import_batch_id == result.import_batch_id
    jobs = dbsession.scalars(select(OutboxJob).order_by(OutboxJob.id)).all()[jobs_before:]
    assert [(j.actor_name, j.payload) for j in jobs] == [("classify_reviews", {"ids": [review.id]})]
    # An older export without the 追评 column does not erase it.
    v0 = write(tmp_path / "v0.csv", csv_bytes(TAOBAO_HEADER[:7], [taobao_row(1)[:7]]))
    again = import_file(dbsession, v0, "reviews")
    assert again.duplicates == 1
    dbsession.refresh(review)
    assert review.followup_text == "追评：补发的也化了"


def test_rows_without_ids_are_deduplicated_by_content(dbsession, tmp_path):
    header = ["评价内容", "评价星级", "评价时间", "用户昵称"]
    rows = [["太咸了", "2", "2024/3/5", "甲"], ["好吃", "5", "2024/3/5", "乙"], ["太咸了", "2", "2024/3/5", "甲"]]
    path = write(tmp_path / "jd.csv", csv_bytes(header, rows))
    first = import_file(dbsession, path, "reviews", platform="jd")
    assert (first.inserted, first.duplicates) == (2, 1)
    # The same content re-exported with other whitespace and full-width digits is the same review.
    rows2 = [["太咸了 ", "２", "2024-03-05", "甲"], ["好吃", "5", "2024年3月5日", "乙"]]
    second = import_file(dbsession, write(tmp_path / "jd2.csv", csv_bytes(header, rows2)), "reviews", platform="jd")
    assert (second.inserted, second.duplicates) == (0, 2)
    keys = dbsession.scalars(select(Review.dedupe_key).where(Review.platform == "jd")).all()
    assert len(keys) == 2 and all(k.startswith("h:") and len(k) == 66 for k in keys)
    # The same content on another platform is another review.
    third = import_file(dbsession, path, "reviews", platform="pdd")
    assert third.inserted == 2


def test_bad_rows_are_kept_with_reasons_and_good_rows_stored(dbsession, tmp_path):
    rows = [taobao_row(1), taobao_row(2), taobao_row(3), taobao_row(4)]
    rows[1][4] = rows[1][5] = ""  # neither text nor rating
    rows[2][6] = "上周三"  # unparseable date
    path = write(tmp_path / "tb.csv", csv_bytes(TAOBAO_HEADER, rows))
    result = import_file(dbsession, path, "reviews")
    assert (result.inserted, result.rejected) == (2, 2)
    batch = dbsession.get(ImportBatch, result.import_batch_id)
    assert (batch.inserted, batch.rejected, batch.total_rows, batch.encoding, batch.file_format) == (2, 2, 4, "utf-8", "csv")
    rejected = dbsession.scalars(select(RejectedRow).where(RejectedRow.import_batch_id == batch.id)
                                 .order_by(RejectedRow.row_number)).all()
    assert [r.row_number for r in rejected] == [3, 4]  # spreadsheet rows: the header is row 1
    assert "评价内容为空" in rejected[0].reason and "missing review text" in rejected[0].reason
    assert "上周三" in rejected[1].reason and "unparseable date" in rejected[1].reason
    raw = json.loads(rejected[1].raw)
    assert raw["评价时间"] == "上周三" and raw["订单编号"] == "31000000003"


def test_unknown_platform_is_a_rejected_row(dbsession, tmp_path):
    header = ["platform", "text", "rating"]
    path = write(tmp_path / "c.csv", csv_bytes(header, [["jd", "好", "5"], ["微博", "好", "5"], ["", "好", "4"]]))
    result = import_file(dbsession, path, "reviews")
    assert (result.inserted, result.rejected) == (1, 2)
    reasons = dbsession.scalars(select(RejectedRow.reason).where(RejectedRow.import_batch_id == result.import_batch_id)
                                .order_by(RejectedRow.row_number)).all()
    assert "unknown platform: 微博" in reasons[0] and "--platform" in reasons[1]
    with pytest.raises(ImportFileError):
        import_file(dbsession, path, "reviews", platform="weibo")


@pytest.mark.parametrize("name, data", [
    ("empty.csv", b""),
    ("junk.csv", bytes(range(256)) * 40),
    ("png.csv", b"\x89PNG\r\n\x1a\n" + bytes(200)),
    ("wrong.csv", "商品,价格,库存\n苹果,3,100\n".encode()),
    ("trunc.xlsx", None),
])
def test_files_that_are_not_tables_change_nothing(dbsession, tmp_path, name, data):
    if data is None:
        wb = openpyxl.Workbook()
        wb.active.append(["评价内容", "评价星级"])
        for i in range(200):
            wb.active.append([f"评价{i}", 5])
        buf = io.BytesIO()
        wb.save(buf)
        data = buf.getvalue()[:3000]
    before = snapshot(dbsession)
    with pytest.raises(ImportFileError) as info:
        import_file(dbsession, write(tmp_path / name, data), "reviews", platform="jd")
    assert "/" in str(info.value)  # Chinese / English
    assert snapshot(dbsession) == before


def test_truncated_csv_keeps_the_complete_rows(dbsession, tmp_path):
    data = csv_bytes(TAOBAO_HEADER, [taobao_row(i) for i in range(1, 4)])
    cut = data[: data.rindex("买家3".encode()) + 3]  # ends in the middle of the last row
    result = import_file(dbsession, write(tmp_path / "cut.csv", cut), "reviews")
    assert (result.inserted, result.rejected) == (2, 1)
    reason = dbsession.scalar(select(RejectedRow.reason).where(RejectedRow.import_batch_id == result.import_batch_id))
    assert "截断" in reason and "truncated" in reason


def test_big_cells_mixed_line_endings_and_formulas_are_stored_as_given(dbsession, tmp_path):
    big = "一" * (1024 * 1024)
    texts = [big, "=1+1", "+86 138", "-跟描述不符", "@客服 在吗", '=HYPERLINK("http://evil","点")', "多行\r\n评价\n内容"]
    header = ["评价ID", "评价内容", "评价星级"]
    body = "评价ID,评价内容,评价星级\r\n"
    for i, text in enumerate(texts):
        quoted = '"' + text.replace('"', '""') + '"'
        body += f"R{i},{quoted},{(i % 5) + 1}" + ("\n" if i % 2 else "\r\n")
    result = import_file(dbsession, write(tmp_path / "mixed.csv", body.encode()), "reviews", platform="jd")
    assert (result.inserted, result.rejected) == (len(texts), 0), result.as_dict()
    stored = dict(dbsession.execute(select(Review.external_id, Review.text).where(Review.platform == "jd")).all())
    assert stored == {f"R{i}": t for i, t in enumerate(texts)}
    assert header


def test_encodings_end_to_end(dbsession, tmp_path):
    header = ["订单号", "评价ID", "商品名称", "描述相符", "评价内容", "评价时间"]
    for n, (encoding, prefix) in enumerate([("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gbk", b""), ("gb18030", b"")]):
        rows = [[f"PDD{n}", f"P{n}", "丹东草莓", "1", "草莓烂了，一股酒味", "2024/3/5 12:00"]]
        result = import_file(dbsession, write(tmp_path / f"{n}.csv", prefix + csv_bytes(header, rows, encoding)), "reviews")
        assert result.inserted == 1 and result.platform == "pdd"
    texts = dbsession.scalars(select(Review.text).where(Review.platform == "pdd")).all()
    assert texts == ["草莓烂了，一股酒味"] * 4


def test_xlsx_with_date_cells_and_numbers(dbsession, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["订单号", "评价ID", "商品编号", "评价星级", "评价内容", "评价时间", "追加评价", "晒图数"])
    wb.active.append([28000000001, "J1", 100012345678, 1, "冰袋化了", dt.datetime(2024, 3, 5, 12), None, 3])
    wb.active.append([28000000002, "J2", 100012345678, "５", "很好", 45356.5, "回购了", None])
    path = tmp_path / "jd.xlsx"
    wb.save(path)
    result = import_file(dbsession, path, "reviews")
    assert (result.inserted, result.rejected, result.platform, result.file_format) == (2, 0, "jd", "xlsx")
    rows = {r.external_id: r for r in dbsession.scalars(select(Review).where(Review.platform == "jd"))}
    assert rows["J1"].platform_order_id == "28000000001" and rows["J1"].sku == "100012345678"
    assert rows["J1"].image_count == 3 and rows["J1"].rating_level == "bad"
    assert rows["J2"].reviewed_at == dt.datetime(2024, 3, 5, 12) and rows["J2"].rating_stars == 5
    assert rows["J2"].followup_text == "回购了"


def test_tickets_with_types_amounts_and_orders(dbsession, tmp_path):
    header = ["平台", "退款编号", "订单编号", "商家编码", "宝贝名称", "退款类型", "退款原因", "退款说明", "退款金额", "退款状态",
              "申请时间", "完结时间"]
    rows = [
        ["淘宝", "T1", "31000000001", "FZ-DUMP-1KG", "水饺", "仅退款", "商品变质", "化了", "¥39.90", "退款成功", "2024-03-05 10:00", "2024-03-06"],
        ["京东", "T2", "2800001", "SN-NUT-30", "坚果", "退货退款", "质量问题", "发霉", "５９", "待处理", "2024/3/5", ""],
        ["拼多多", "T3", "240305-1", "", "", "补寄", "漏发", "", "0", "", "2024年3月5日", ""],
        ["美团", "T4", "", "", "", "投诉", "", "吃了拉肚子", "", "", "", ""],
        ["淘宝", "T5", "", "", "", "维修", "坏了", "", "", "", "", ""],
    ]
    path = write(tmp_path / "t.csv", csv_bytes(header, rows))
    result = import_file(dbsession, path, "tickets")
    assert (result.inserted, result.rejected) == (4, 1)
    tickets = {t.external_id: t for t in dbsession.scalars(select(Ticket))}
    assert [tickets[k].ticket_type for k in ("T1", "T2", "T3", "T4")] == ["refund", "return", "resend", "complaint"]
    assert [tickets[k].platform for k in ("T1", "T2", "T3", "T4")] == ["taobao", "jd", "pdd", "meituan"]
    assert tickets["T1"].amount == Decimal("39.90") and tickets["T2"].amount == Decimal("59.00")
    assert tickets["T1"].order.platform_order_id == "31000000001" and tickets["T1"].closed_at == dt.datetime(2024, 3, 6)
    # A status change is an update, the rest duplicates.
    rows[1][9] = "退款成功"
    again = import_file(dbsession, write(tmp_path / "t2.csv", csv_bytes(header, rows)), "tickets")
    assert (again.inserted, again.updated, again.duplicates, again.rejected) == (0, 1, 3, 1)
    dbsession.refresh(tickets["T2"])
    assert tickets["T2"].status == "退款成功"


def test_reviews_and_tickets_share_orders(dbsession, tmp_path):
    import_file(dbsession, write(tmp_path / "tb.csv", csv_bytes(TAOBAO_HEADER, [taobao_row(7)])), "reviews")
    header = ["退款编号", "订单编号", "商家编码", "退款类型", "退款原因"]
    import_file(dbsession, write(tmp_path / "t.csv", csv_bytes(header, [["TK7", "31000000007", "FZ-DUMP-1KG", "退款", "化了"]])), "tickets")
    review = dbsession.scalars(select(Review)).one()
    ticket = dbsession.scalars(select(Ticket)).one()
    assert review.order_id == ticket.order_id is not None
    assert count(dbsession, Shop) == 0


def test_api_items_use_the_same_path(dbsession):
    items = [{"review_id": "A1", "text": "很新鲜", "rating": 5, "order_id": "9001", "sku": "FR-APPLE-5J",
              "warehouse": "杭州仓", "carrier": "顺丰", "images": ["a.jpg", "b.jpg"], "reviewed_at": "2024-03-05T12:00:00+08:00",
              "custom": {"x": 1}},
             {"review_id": "A2", "text": "", "rating": 9}]
    result = import_items(dbsession, "reviews", items, platform="tmall")
    assert [(i.index, i.status) for i in result.items] == [(0, "created"), (1, "error")]
    review = dbsession.get(Review, result.items[0].id)
    assert (review.platform, review.image_count, review.order.warehouse) == ("tmall", 2, "杭州仓")
    assert review.raw == {"custom": {"x": 1}}
    assert count(dbsession, RejectedRow) == 0  # API errors are answered, not stored
    nothing = import_items(dbsession, "reviews", [{"text": ""}], platform="jd")
    assert nothing.import_batch_id is None and nothing.items[0].status == "error"


def test_shifted_and_swallowed_rows_are_rejected_with_their_raw_cells(dbsession, tmp_path):
    body = ("订单编号,子订单编号,初评等级,评价时间,评价内容\n"
            "V1,S1,差评,2026-11-01,肉是臭的,吃了拉肚子,再也不买了\n"  # an unquoted comma shifts the text
            'V2,S2,差评,2026-11-01,"太咸了\nV3,S3,好评,2026-11-02,回购\nV4,S4,好评,2026-11-03,"好吃"吗\n'
            "V5,S5,好评,2026-11-04,好吃\n")
    result = import_file(dbsession, write(tmp_path / "tb.csv", body.encode()), "reviews")
    assert (result.inserted, result.rejected) == (1, 2)
    rejected = dbsession.scalars(select(RejectedRow).where(RejectedRow.import_batch_id == result.import_batch_id)
                                 .order_by(RejectedRow.row_number)).all()
    assert [r.row_number for r in rejected] == [2, 3]
    assert "more cells than the header" in rejected[0].reason
    assert json.loads(rejected[0].raw)["_col6"] == "吃了拉肚子"
    assert "swallowed the next 2 lines" in rejected[1].reason
    assert "V3,S3" in json.loads(rejected[1].raw)["评价内容"]
    assert dbsession.scalars(select(Review.text)).all() == ["好吃"]


def test_all_sheets_with_the_header_are_imported_and_rows_name_their_sheet(dbsession, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "10月"
    header = ["订单编号", "子订单编号", "初评等级", "评价内容", "评价时间"]
    wb.active.append(header)
    wb.active.append(["M1", "S1", "好评", "十月", "2026-10-05"])
    other = wb.create_sheet("11月")
    other.append(header)
    other.append(["M2", "S2", "差评", "十一月", "2026-11-05"])
    other.append(["M3", "S3", "", "", "2026-11-06"])  # no text, no rating: rejected, as row 3 of 11月
    wb.create_sheet("说明").append(["导出说明"])
    path = tmp_path / "tb.xlsx"
    wb.save(path)
    result = import_file(dbsession, path, "reviews")
    assert (result.inserted, result.rejected) == (2, 1)
    assert any("11月" in n and "1000000" in n for n in result.notes) and any("说明" in n for n in result.notes)
    assert dbsession.scalar(select(RejectedRow.row_number)) == 1_000_003


def test_rows_with_a_lone_surrogate_or_nul_are_rejected_and_kept_on_every_database(dbsession, tmp_path):
    lines = ['{"platform": "jd", "review_id": "s1", "text": "\\ud800难吃"}',
             '{"platform": "jd", "review_id": "s2", "text": "很好吃"}',
             '{"platform": "jd", "review_id": "s3", "text": "x\\u0000y", "extra": {"k": "\\ud800"}}']
    path = write(tmp_path / "odd.jsonl", ("\n".join(lines) + "\n").encode("utf-8"))
    result = import_file(dbsession, path, "reviews")
    dbsession.flush()
    assert (result.inserted, result.rejected) == (1, 2)
    raws = [json.loads(r.raw) for r in dbsession.scalars(select(RejectedRow).order_by(RejectedRow.row_number))]
    assert raws[0]["text"] == "\ud800难吃" and raws[1]["text"] == "x\x00y"  # kept as they were
