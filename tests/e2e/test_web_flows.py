"""Headless Chromium through the real server: a manager triages, corrects and bulk-confirms; a
department head works and resolves a task. Screenshots: test-artifacts/screenshots/."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from feedback.models import Classification, LabelCorrection, LedgerEntry, RootCauseTask, User
from tests.functional import web_factories as wf

pytestmark = pytest.mark.e2e


def _seed(session_factory):
    with session_factory() as s, s.begin():
        wf.user(s, "manager", username="manager")
        wf.user(s, "dept_head", username="head_qc", dept="qc")
        now = dt.datetime.now().replace(microsecond=0)
        fs = wf.complaint(s, "月饼里吃出了头发，还发霉了！<script>alert('x')</script>", categories=["quality"],
                          food_safety=True, sku="SKU-MOON", batch="B2026-09", carrier="顺丰",
                          evidence={"quality": ["头发"], "freshness": ["发霉"]},
                          scores={"quality": 0.91, "freshness": 0.47}, occurred_at=now - dt.timedelta(hours=5))
        low = wf.complaint(s, "快递太慢了，等了五天，坚果也不脆了", categories=["logistics"], low_confidence=True,
                           confidence=0.42, sku="SKU-NUT", carrier="中通", evidence={"logistics": ["快递太慢"]},
                           scores={"logistics": 0.55, "taste": 0.41}, occurred_at=now - dt.timedelta(hours=2))
        bulk = [wf.complaint(s, f"礼盒包装压坏了 {i}", categories=["logistics"], sku="SKU-BOX", carrier="圆通",
                             occurred_at=now - dt.timedelta(hours=10 + i)) for i in range(12)]
        task = wf.task(s, "qc", entries=[fs], title="月饼批次 B2026-09 异物/发霉", category="quality",
                       sku="SKU-MOON")
        # the classifier said "not a complaint", unsure: in the queue, in no count until confirmed
        unsure = wf.complaint(s, "还行吧，就是有点甜", categories=["taste"], complaint=False, low_confidence=True,
                              confidence=0.45, status="unsure", sku="SKU-HMM", carrier="中通",
                              occurred_at=now - dt.timedelta(hours=3))
        return {"fs": fs.id, "low": low.id, "bulk": [b.id for b in bulk], "task": task.id, "unsure": unsure.id}


def _login(page, base, username):
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", wf.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_manager_triage_correct_and_bulk_confirm(live_server, page, shot):
    base, sf = live_server
    ids = _seed(sf)
    _login(page, base, "manager")
    assert page.url.endswith("/triage")
    rows = page.locator("tr[data-row]")
    assert rows.first.get_attribute("data-id") == str(ids["fs"])  # food safety first
    assert rows.nth(1).get_attribute("data-id") == str(ids["low"])  # then low confidence
    shot("01-triage-queue")

    # keyboard: j moves the cursor, o opens the current row
    page.keyboard.press("j")
    assert "current" in (rows.nth(1).get_attribute("class") or "")
    page.keyboard.press("k")
    page.keyboard.press("o")
    page.wait_for_url(re.compile(rf"/entries/{ids['fs']}"))
    text = page.locator("#review-text")
    assert "<script>" in text.inner_text()  # shown as text, not run
    assert text.locator("mark").all_inner_texts() == ["头发", "发霉"]
    shot("02-review-detail")

    # correct the categories with the keyboard: 2 = freshness on, then save (s)
    page.keyboard.press("2")
    assert page.locator("input[data-cat-key='2']").is_checked()
    page.uncheck("input[name=go]")
    page.keyboard.press("s")
    page.wait_for_load_state("networkidle")
    assert "更正已保存" in page.locator(".flash-success").inner_text()
    shot("03-corrected")
    with sf() as s:
        entry = s.get(LedgerEntry, ids["fs"])
        corr = s.execute(select(LabelCorrection).where(LabelCorrection.review_id == entry.review_id)).scalar_one()
        assert corr.categories == ["freshness", "quality"] and corr.previous["categories"] == ["quality"]
        cls = s.execute(select(Classification).where(Classification.review_id == entry.review_id)).scalar_one()
        assert cls.categories == ["freshness", "quality"]
        assert entry.status == "confirmed"

    # bulk-confirm every result of a filter (12 rows), with the confirmation step
    page.goto(base + "/triage?sku=SKU-BOX")
    page.select_option("select[name=bulk_action]", "confirm")
    page.click("button[name=scope][value=filter]")
    assert page.locator("#bulk-count").inner_text() == "12"
    shot("04-bulk-confirm-step")
    page.click("#bulk-confirm-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "12 条" in page.locator(".flash-success").inner_text()
    assert page.locator("tr[data-row]").count() == 0
    shot("05-bulk-done")
    with sf() as s:
        assert {e.status for e in s.execute(select(LedgerEntry).where(LedgerEntry.id.in_(ids["bulk"]))).scalars()} == {"confirmed"}

    # a low-confidence "not a complaint": outside the ledger counts until the manager confirms it
    page.goto(base + "/ledger")
    assert "SKU-HMM" not in page.locator("#by-sku").inner_text()
    page.goto(base + "/triage?status=unsure")
    row = page.locator(f"tr[data-id='{ids['unsure']}']")
    assert "疑似投诉" in row.inner_text()
    shot("06-unsure-in-queue")
    row.locator("button[value=confirm]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(f"tr[data-id='{ids['unsure']}']").count() == 0

    # the ledger page renders its chart and counts (the confirmed text among them)
    page.goto(base + "/ledger")
    assert page.locator("svg.chart").count() == 1
    assert "SKU-BOX" in page.locator("#by-sku").inner_text()
    assert "SKU-HMM" in page.locator("#by-sku").inner_text()
    shot("07-ledger")
    assert not page.problems, page.problems  # no CSP violations, no script errors


def test_department_head_resolves_a_task(live_server, page, shot):
    base, sf = live_server
    ids = _seed(sf)
    _login(page, base, "head_qc")
    assert page.url.endswith("/tasks")
    card = page.locator(f"a[data-task='{ids['task']}']")
    assert card.count() == 1
    assert page.locator("nav.mainnav").inner_text().strip().startswith("整改任务")
    shot("01-task-board")
    card.click()
    page.wait_for_url(re.compile(rf"/tasks/{ids['task']}$"))
    assert page.locator("svg.chart rect.bar").count() == 8  # 8 weeks
    assert "<script>" in page.locator("table.grid").inner_text()  # evidence text escaped
    shot("02-task-detail")
    page.click("form[data-to=acknowledged] button")
    page.wait_for_load_state("networkidle")
    page.fill("#comment", "已通知供应商停用该批次月饼馅料")
    page.click("form[action$='/comment'] button")
    page.wait_for_load_state("networkidle")
    page.click("form[data-to=in_progress] button")
    page.wait_for_load_state("networkidle")
    page.fill("#root_cause", "B2026-09 批次馅料储存温度超标，包装车间发网破损")
    page.fill("#corrective_action", "报废该批次；更换发网并每班检查；冷库温度加装报警")
    page.click("form[data-to=resolved] button")
    page.wait_for_load_state("networkidle")
    assert "已整改" in page.locator(".flash-success").inner_text()
    shot("03-task-resolved")
    with sf() as s:
        task = s.get(RootCauseTask, ids["task"])
        assert task.status == "resolved" and task.root_cause.startswith("B2026-09")
    # another department's task is not visible
    with sf() as s, s.begin():
        other = wf.task(s, "logistics", title="物流任务")
        other_id = other.id
    resp = page.goto(base + f"/tasks/{other_id}")
    assert resp.status == 404
    page.goto(base + "/triage")
    assert "无权访问" in page.content()
    # log out with the button (a POST with the CSRF token)
    page.goto(base + "/tasks")
    page.click("header form button")
    page.wait_for_url(re.compile(r"/login$"))
    assert not page.problems, page.problems


def test_a_manager_sends_a_task_to_another_department(live_server, page, shot):
    """The task page's 调整任务 form in the browser: rename, re-route and a new deadline; the
    history lists the change."""
    base, sf = live_server
    ids = _seed(sf)
    _login(page, base, "manager")
    page.goto(base + f"/tasks/{ids['task']}")
    due = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    page.fill("#adjust-title", "月饼批次 B2026-09 馅料储存问题")
    page.select_option("#adjust-dept", label="物流")
    page.fill("#adjust-due", due)
    page.click("#adjust-form button")
    page.wait_for_load_state("networkidle")
    assert "已调整" in page.locator(".flash-success").inner_text()
    history = page.locator("#history").inner_text()
    assert "改派：品控 → 物流" in history and "馅料储存问题" in history
    assert page.locator("#adjust-due").input_value() == due
    shot("04-task-adjusted")
    assert not page.problems, page.problems


def test_a_manager_moves_a_complaint_to_another_departments_task(live_server, page, shot):
    """The evidence list of a hand-assigned task in the browser: tick a complaint, pick the
    department, 移出; both tasks' histories say so."""
    from feedback.services.triage import TriageService

    base, sf = live_server
    ids = _seed(sf)
    with sf() as s, s.begin():
        manager = s.scalars(select(User).where(User.username == "manager")).one()
        TriageService(s).bulk("assign", manager, ids["bulk"][:3], department_id=wf.departments(s)["qc"].id)
        manual = s.scalars(select(RootCauseTask).where(RootCauseTask.cause_key == "manual:qc")).one().id
    _login(page, base, "manager")
    page.goto(base + f"/tasks/{manual}")
    page.check(f"input[name=entry][value='{ids['bulk'][0]}']")
    page.select_option("#move-dept", label="物流")
    page.click("#move-form button")
    page.wait_for_load_state("networkidle")
    assert "已移出 1 条投诉到任务" in page.locator(".flash-success").inner_text()
    assert "移出 1 条中差评 → 任务" in page.locator("#history").inner_text()
    assert page.locator("input[name=entry]").count() == 2
    shot("05-task-evidence-moved")
    assert not page.problems, page.problems


def test_a_manager_uploads_a_platform_export(live_server, page, shot):
    """The import page in the browser: a GBK Taobao export with one bad row through the upload
    form; the batch page shows the counts and the rejected row, whose CSV downloads under its
    Chinese name; the batch is committed with its classification job."""
    from feedback.models import ImportBatch, OutboxJob
    from tests.functional.import_helpers import TAOBAO_HEADER, csv_bytes, taobao_row

    base, sf = live_server
    _seed(sf)
    rows = [taobao_row(i, text=f"饺子到手全化了，第{i}袋") for i in range(1, 5)]
    rows[2][4] = rows[2][5] = ""  # neither a rating nor a text: rejected
    _login(page, base, "manager")
    page.click("nav.mainnav >> text=导入")
    page.wait_for_url(re.compile(r"/imports$"))
    page.select_option("#i-kind", "reviews")
    page.set_input_files("#i-file", files=[{"name": "淘宝评价导出.csv", "mimeType": "text/csv",
                                            "buffer": csv_bytes(TAOBAO_HEADER, rows, encoding="gbk")}])
    shot("01-import-form")
    page.click("#upload-form button[type=submit]")
    page.wait_for_url(re.compile(r"/imports/\d+$"))
    assert "新增 3，更新 0，重复 0，拒绝 1" in page.locator(".flash-success").inner_text()
    assert page.locator("[data-count=rejected] .n").inner_text() == "1"
    assert page.locator("tr[data-row-number='4']").count() == 1  # the header is line 1
    shot("02-import-batch")
    with page.expect_download() as info:
        page.click("#rejected-download")
    assert info.value.suggested_filename.startswith("被拒绝的行_导入批次")
    page.goto(base + "/imports")
    assert "淘宝评价导出.csv" in page.locator("#batches").inner_text()
    shot("03-import-list")
    with sf() as s:
        batch = s.scalars(select(ImportBatch)).one()
        assert (batch.source, batch.filename, batch.encoding, batch.inserted) == \
            ("web", "淘宝评价导出.csv", "gb18030", 3)
        assert s.scalars(select(OutboxJob.actor_name)).all() == ["classify_reviews"]
    assert not page.problems, page.problems


def test_a_manager_imports_an_unknown_layout_with_a_mapping_file(live_server, page, shot):
    """A layout no header table knows: the form's help says how to name the columns, and the
    export uploads with a mapping file beside it."""
    from feedback.models import ImportBatch
    from tests.functional.import_helpers import csv_bytes

    base, sf = live_server
    _seed(sf)
    data = csv_bytes(["单号", "买家说", "打分"], [["D-1", "酸奶胀袋了", "1"], ["D-2", "很新鲜", "5"]])
    _login(page, base, "manager")
    page.goto(base + "/imports")
    page.click("#mapping-help summary")
    assert page.locator("#mapping-help pre").is_visible()
    assert "external_id" in page.locator("#mapping-help").inner_text()
    page.set_input_files("#i-file", files=[{"name": "抖店评价.csv", "mimeType": "text/csv", "buffer": data}])
    page.set_input_files("#i-mapping", files=[{"name": "映射.txt", "mimeType": "text/plain",
                                               "buffer": "platform = douyin\n单号 = order_id\n买家说 = text\n打分 = rating\n".encode()}])
    shot("01-mapping-form")
    page.click("#upload-form button[type=submit]")
    page.wait_for_url(re.compile(r"/imports/\d+$"))
    assert "新增 2" in page.locator(".flash-success").inner_text()
    shot("02-mapping-batch")
    with sf() as s:
        batch = s.scalars(select(ImportBatch)).one()
        assert (batch.platform, batch.header_family, batch.inserted) == ("douyin", "mapping", 2)
    assert not page.problems, page.problems
