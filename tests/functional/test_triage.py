"""The triage queue, one complaint, corrections, bulk actions and the corrections export."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from feedback.models import Classification, LabelCorrection, LedgerEntry, TaskEvidence
from feedback.services.triage import Cursor, Filters, TriageService, highlight

from . import web_factories as wf


def _manager(testapp, dbsession):
    m = wf.user(dbsession, "manager")
    wf.login(testapp, m.username)
    return m


def _queue_ids(page):
    return [int(tr["data-id"]) for tr in page.html.select("tr[data-row]")]


def test_queue_is_sorted_by_urgency(testapp, dbsession):
    _manager(testapp, dbsession)
    t0 = dt.datetime(2026, 10, 1)
    plain_new = wf.complaint(dbsession, "物流太慢", categories=["logistics"], occurred_at=t0 + dt.timedelta(days=3))
    plain_old = wf.complaint(dbsession, "太贵了", categories=["price"], occurred_at=t0)
    low = wf.complaint(dbsession, "一般吧", categories=["other"], low_confidence=True, confidence=0.4,
                       occurred_at=t0 + dt.timedelta(days=1))
    fs = wf.complaint(dbsession, "吃了拉肚子", categories=["quality"], food_safety=True, occurred_at=t0 - dt.timedelta(days=5))
    done = wf.complaint(dbsession, "已确认的", status="confirmed", occurred_at=t0 + dt.timedelta(days=9))
    page = testapp.get("/triage")
    ids = _queue_ids(page)
    assert ids == [fs.id, low.id, plain_new.id, plain_old.id]
    assert done.id not in ids
    assert "食品安全" in page.text and "低置信度" in page.text


def test_keyset_pagination_walks_every_row_once(dbsession):
    base = dt.datetime(2026, 9, 1)
    made = []
    for i in range(23):
        made.append(wf.complaint(dbsession, f"评价 {i}", food_safety=i % 7 == 0, low_confidence=i % 5 == 0,
                                 occurred_at=base + dt.timedelta(hours=i // 2)))  # ties on occurred_at
    svc = TriageService(dbsession)
    f = Filters(sku="SKU-1")
    seen, cursor = [], None
    while True:
        page = svc.page(f, Cursor.decode(cursor) if cursor else None, limit=5, with_count=False)
        seen += [r.entry.id for r in page.rows]
        cursor = page.next_cursor
        if not cursor:
            break
    mine = {e.id for e in made}
    assert sorted(i for i in seen if i in mine) == sorted(mine)
    assert len(seen) == len(set(seen))
    tiers = [0 if e.food_safety else 1 for e in dbsession.execute(
        select(LedgerEntry).where(LedgerEntry.id.in_(seen))).scalars()]
    assert tiers  # food-safety rows come first
    first_non_fs = next(i for i, eid in enumerate(seen) if not dbsession.get(LedgerEntry, eid).food_safety)
    assert all(dbsession.get(LedgerEntry, eid).food_safety for eid in seen[:first_non_fs])


def test_pages_through_the_html_queue(testapp, dbsession):
    _manager(testapp, dbsession)
    for i in range(55):
        wf.complaint(dbsession, f"第 {i} 条", sku="SKU-PAGE")
    first = testapp.get("/triage", {"sku": "SKU-PAGE"})
    ids1 = _queue_ids(first)
    assert len(ids1) == 50
    second = first.click(description="下一页", index=0)
    ids2 = _queue_ids(second)
    assert len(ids2) == 5 and not set(ids1) & set(ids2)
    assert "下一页" not in second.text


def test_filters(testapp, dbsession):
    _manager(testapp, dbsession)
    a = wf.complaint(dbsession, "顺丰压坏了箱子", categories=["logistics"], carrier="顺丰", platform="jd",
                     sku="SKU-A", batch="B-A", rating=2, confidence=0.55)
    b = wf.complaint(dbsession, "月饼发霉", categories=["freshness"], carrier="中通", platform="tmall",
                     sku="SKU-B", batch="B-B", rating=1, food_safety=True, occurred_at=dt.datetime(2026, 3, 1))
    def ids(**params):
        return set(_queue_ids(testapp.get("/triage", params)))
    assert ids(carrier="顺丰") >= {a.id} and b.id not in ids(carrier="顺丰")
    assert ids(category="freshness") >= {b.id} and a.id not in ids(category="freshness")
    assert ids(platform="jd", sku="SKU-A") == {a.id}
    assert ids(batch="B-B") == {b.id}
    assert ids(rating="2", sku="SKU-A") == {a.id}
    assert ids(date_from="2026-02-28", date_to="2026-03-01") >= {b.id}
    assert a.id not in ids(date_from="2026-02-28", date_to="2026-03-01")
    assert ids(conf_max="0.6", sku="SKU-A") == {a.id}
    assert ids(conf_max="0.5", sku="SKU-A") == set()
    assert ids(food_safety="1", sku="SKU-B") == {b.id}
    assert ids(q="发霉") >= {b.id} and a.id not in ids(q="发霉")
    assert ids(q="100%") == set()  # LIKE wildcards are escaped
    res = testapp.get("/triage", {"rating": "9", "date_from": "yesterday"})
    assert "评分应为" in res.text and "日期格式" in res.text  # bad input: clear message, page still works


def test_detail_highlights_evidence_and_escapes_text(testapp, dbsession):
    _manager(testapp, dbsession)
    e = wf.complaint(dbsession, "<script>alert(1)</script>饼干发霉了 & 有虫", categories=["freshness", "quality"],
                     evidence={"freshness": ["发霉"], "quality": [{"term": "有虫"}], "food_safety": ["<script>"]},
                     scores={"freshness": 0.93, "quality": 0.61, "taste": 0.05})
    page = testapp.get(f"/entries/{e.id}")
    text = page.html.select_one("#review-text").decode_contents()
    assert "<script>" not in page.text.split("<body", 1)[1].split("app.js")[-1]
    assert "&lt;script&gt;" in text
    assert "<mark>发霉</mark>" in text and "<mark>有虫</mark>" in text
    assert "<mark>&lt;script&gt;</mark>" in text  # evidence inside markup is still escaped
    assert "&amp;" in text
    assert "0.93" in page.text and "0.61" in page.text


def test_ticket_detail_shows_the_platform_reason(testapp, dbsession):
    from tests import factories as f

    _manager(testapp, dbsession)
    t = f.ticket(dbsession, text="")
    t.reason = "食品安全问题<b>"
    e = f.ledger_entry(dbsession, source="ticket", ticket_obj=t, categories=("quality",), food_safety=True)
    dbsession.add(Classification(ticket_id=t.id, model_version="test", complaint=True, categories=["quality"],
                                 food_safety=True, scores={"quality": 0.75},
                                 evidence={"quality": ["食品安全问题<b>"]}, confidence=0.75,
                                 low_confidence=False))
    dbsession.flush()
    page = testapp.get(f"/entries/{e.id}")
    reason = page.html.select_one("#ticket-reason").decode_contents()
    assert reason == "退款原因：<mark>食品安全问题&lt;b&gt;</mark>"  # the reason is the evidence, escaped
    assert "买家未填写说明" in page.html.select_one("#review-text").text
    assert "售后类型退款" in page.html.select_one("dl.facts").text.replace("\n", "")  # named, not "refund"


def test_highlight_prefers_longest_match_and_never_leaks_markup():
    out = str(highlight("吃了拉肚子<b>", ["拉肚子", "肚子", "<b>"]))
    assert out == "吃了<mark>拉肚子</mark><mark>&lt;b&gt;</mark>"
    assert str(highlight("<i>x</i>", [])) == "&lt;i&gt;x&lt;/i&gt;"


def test_correction_stores_label_and_updates_classification_and_ledger(testapp, dbsession):
    m = _manager(testapp, dbsession)
    e = wf.complaint(dbsession, "包装破了，漏了一地", categories=["logistics"], confidence=0.5, low_confidence=True)
    page = testapp.get(f"/entries/{e.id}")
    form = page.forms["correct-form"]
    form["categories"] = ["quality"]
    form["food_safety"] = True
    form["go"] = False
    res = form.submit("action", value="save", status=303)
    assert res.location.split("?")[0].endswith(f"/entries/{e.id}")
    corr = dbsession.execute(select(LabelCorrection).where(LabelCorrection.review_id == e.review_id)).scalar_one()
    assert corr.user_id == m.id and corr.categories == ["quality"] and corr.food_safety and corr.complaint
    assert corr.previous["categories"] == ["logistics"] and corr.previous["confidence"] == 0.5
    cls = dbsession.execute(select(Classification).where(Classification.review_id == e.review_id)).scalar_one()
    assert cls.categories == ["quality"] and cls.food_safety and not cls.low_confidence
    dbsession.refresh(e)
    assert e.status == "confirmed" and e.food_safety and e.primary_category == "quality"
    assert [c.category for c in e.categories] == ["quality"]
    page = res.follow()
    assert "更正记录" in page.text
    # the model's own verdict stays visible next to the manager's
    original = page.html.select_one(".model-original").text
    assert "物流" in original and "品质" not in original


def test_complaint_needs_a_category(testapp, dbsession):
    _manager(testapp, dbsession)
    e = wf.complaint(dbsession, "不好")
    form = testapp.get(f"/entries/{e.id}").forms["correct-form"]
    form["categories"] = []
    res = form.submit("action", value="save", status=303).follow()
    assert "至少要有一个分类" in res.text
    assert dbsession.execute(select(LabelCorrection).where(LabelCorrection.review_id == e.review_id)).first() is None


def test_not_complaint_from_the_list_row(testapp, dbsession):
    _manager(testapp, dbsession)
    e = wf.complaint(dbsession, "挺好的，就是快递慢了一点点", sku="SKU-ROW")
    page = testapp.get("/triage", {"sku": "SKU-ROW"})
    form = page.forms[f"rowform-{e.id}"]
    res = form.submit("action", value="not_complaint", status=303)
    assert "/triage" in res.location and "sku=SKU-ROW" in res.location
    dbsession.refresh(e)
    assert e.status == "not_complaint"
    cls = dbsession.execute(select(Classification).where(Classification.review_id == e.review_id)).scalar_one()
    assert cls.complaint is False and cls.categories == []


def test_bulk_confirm_selection(testapp, dbsession):
    _manager(testapp, dbsession)
    a, b, c = (wf.complaint(dbsession, f"批量 {i}", sku="SKU-SEL") for i in range(3))
    page = testapp.get("/triage", {"sku": "SKU-SEL"})
    form = page.forms["bulk-form"]
    for field in form.fields["ids"]:
        if field._value in (str(a.id), str(b.id)):
            field.checked = True
    form["bulk_action"] = "confirm"
    form.submit("scope", value="selection", status=303)
    for e in (a, b, c):
        dbsession.refresh(e)
    assert (a.status, b.status, c.status) == ("confirmed", "confirmed", "new")
    assert len(dbsession.execute(select(LabelCorrection).where(
        LabelCorrection.review_id.in_([a.review_id, b.review_id]))).all()) == 2


def test_bulk_on_all_results_of_a_filter_needs_confirmation(testapp, dbsession, monkeypatch):
    import feedback.services.triage as triage

    monkeypatch.setattr(triage, "BULK_CHUNK", 7)  # several chunks
    _manager(testapp, dbsession)
    mine = [wf.complaint(dbsession, f"整批 {i}", sku="SKU-ALL", batch="B9") for i in range(60)]
    other = wf.complaint(dbsession, "别的批次", sku="SKU-ALL", batch="B8")
    page = testapp.get("/triage", {"sku": "SKU-ALL", "batch": "B9"})
    assert len(_queue_ids(page)) == 50  # the page shows 50; the filter matches 60
    form = page.forms["bulk-form"]
    form["bulk_action"] = "confirm"
    confirm = form.submit("scope", value="filter")
    assert confirm.status_int == 200
    assert confirm.html.select_one("#bulk-count").text == "60"
    for e in mine:
        dbsession.refresh(e)
        assert e.status == "new"  # nothing changed before confirming
    done = confirm.forms["bulk-confirm-form"].submit(status=303).follow()
    assert "60 条" in done.text
    for e in mine:
        dbsession.refresh(e)
        assert e.status == "confirmed"
    dbsession.refresh(other)
    assert other.status == "new"


def test_bulk_attach_and_assign(testapp, dbsession):
    _manager(testapp, dbsession)
    wf.departments(dbsession)
    a, b = wf.complaint(dbsession, "甲", sku="SKU-T"), wf.complaint(dbsession, "乙", sku="SKU-T")
    task = wf.task(dbsession, "qc", entries=[a])
    page = testapp.get("/triage", {"sku": "SKU-T"})
    form = page.forms["bulk-form"]
    for field in form.fields["ids"]:
        field.checked = True
    form["bulk_action"] = "attach"
    form["task_id"] = str(task.id)
    form.submit("scope", value="selection", status=303)
    attached = set(dbsession.execute(select(TaskEvidence.ledger_entry_id).where(TaskEvidence.task_id == task.id)).scalars())
    assert attached == {a.id, b.id}
    dbsession.refresh(task)
    assert task.complaint_count == 2  # a was already there: counted once

    page = testapp.get("/triage", {"sku": "SKU-T"})
    form = page.forms["bulk-form"]
    form["bulk_action"] = "assign"
    dept = wf.departments(dbsession)["logistics"]
    form["department_id"] = str(dept.id)
    confirm = form.submit("scope", value="filter")
    assert "物流" in confirm.text
    confirm.forms["bulk-confirm-form"].submit(status=303)
    rows = dbsession.execute(select(TaskEvidence.task_id).where(TaskEvidence.ledger_entry_id == b.id)).scalars().all()
    assert len(rows) == 2


def test_bulk_without_selection_or_task_is_a_clear_error(testapp, dbsession):
    _manager(testapp, dbsession)
    wf.complaint(dbsession, "x", sku="SKU-E")
    form = testapp.get("/triage", {"sku": "SKU-E"}).forms["bulk-form"]
    form["bulk_action"] = "confirm"
    assert "没有选中" in form.submit("scope", value="selection", status=303).follow().text
    form["bulk_action"] = "attach"
    assert "任务编号" in form.submit("scope", value="selection", status=303).follow().text


def test_corrections_export_is_the_taxonomy_label_format(testapp, dbsession):
    m = _manager(testapp, dbsession)
    e = wf.complaint(dbsession, "送餐太慢了，饭都凉了", categories=["taste"])
    svc = TriageService(dbsession)
    svc.correct(e, m, complaint=True, categories=["logistics"], food_safety=False)
    svc.correct(e, m, complaint=True, categories=["logistics", "taste"], food_safety=False)  # latest wins
    res = testapp.get("/triage/corrections.jsonl")
    assert res.content_type == "application/x-ndjson"
    lines = [json.loads(x) for x in res.text.splitlines()]
    mine = [x for x in lines if x["id"] == f"review-{e.review_id}"]
    assert mine == [{"id": f"review-{e.review_id}", "text": "送餐太慢了，饭都凉了", "complaint": True,
                     "categories": ["taste", "logistics"], "food_safety": False}]



def test_corrections_export_keeps_a_tickets_reason(testapp, dbsession):
    from tests import factories as f

    m = _manager(testapp, dbsession)
    t = f.ticket(dbsession, text="")
    t.reason = "发错货"
    e = f.ledger_entry(dbsession, source="ticket", ticket_obj=t, categories=("quality",))
    TriageService(dbsession).correct(e, m, complaint=True, categories=["quality", "service"], food_safety=False)
    lines = [json.loads(x) for x in testapp.get("/triage/corrections.jsonl").text.splitlines()]
    assert [x for x in lines if x["id"] == f"ticket-{t.id}"] == [
        {"id": f"ticket-{t.id}", "text": "", "reason": "发错货", "complaint": True,
         "categories": ["quality", "service"], "food_safety": False}]


def test_detail_next_and_previous_follow_the_queue(testapp, dbsession):
    _manager(testapp, dbsession)
    t = dt.datetime(2026, 8, 1)
    a = wf.complaint(dbsession, "A", sku="SKU-N", food_safety=True, occurred_at=t)
    b = wf.complaint(dbsession, "B", sku="SKU-N", occurred_at=t + dt.timedelta(days=2))
    c = wf.complaint(dbsession, "C", sku="SKU-N", occurred_at=t + dt.timedelta(days=1))
    page = testapp.get(f"/entries/{b.id}", {"sku": "SKU-N"})
    nxt = page.html.select_one("a[data-key=next]")["href"]
    prv = page.html.select_one("a[data-key=prev]")["href"]
    assert f"/entries/{c.id}?" in nxt and f"/entries/{a.id}?" in prv


def test_corrections_enqueue_a_ledger_resync_in_the_same_transaction(testapp, dbsession):
    from feedback.models import OutboxJob

    _manager(testapp, dbsession)
    e = wf.complaint(dbsession, "快递员态度很差", categories=["logistics"])
    form = testapp.get(f"/entries/{e.id}").forms["correct-form"]
    form["categories"] = ["service"]
    form.submit("action", value="save", status=303)
    jobs = dbsession.execute(select(OutboxJob).where(OutboxJob.actor_name == "update_ledger")).scalars().all()
    assert [j.payload for j in jobs] == [{"review_ids": [e.review_id], "ticket_ids": []}]


def test_bulk_over_a_filter_enqueues_resyncs_in_chunks(testapp, dbsession):
    from feedback.models import OutboxJob

    _manager(testapp, dbsession)
    made = [wf.complaint(dbsession, f"大批 {i}", sku="SKU-CH") for i in range(501)]
    form = testapp.get("/triage", {"sku": "SKU-CH"}).forms["bulk-form"]
    form["bulk_action"] = "not_complaint"
    form.submit("scope", value="filter").forms["bulk-confirm-form"].submit(status=303)
    jobs = dbsession.execute(select(OutboxJob).where(OutboxJob.actor_name == "update_ledger")
                             .order_by(OutboxJob.id)).scalars().all()
    assert [len(j.payload["review_ids"]) for j in jobs] == [500, 1]
    assert sorted(i for j in jobs for i in j.payload["review_ids"]) == sorted(e.review_id for e in made)


def _unsure(dbsession, text="还行吧，一般般", **kw):
    """A low-confidence "not a complaint", as the ledger builder files it (status unsure)."""
    kw.setdefault("categories", ["taste"])
    return wf.complaint(dbsession, text, complaint=False, low_confidence=True, confidence=0.45,
                        status="unsure", **kw)


def test_unsure_texts_wait_in_the_queue_outside_the_ledger_counts(testapp, dbsession):
    _manager(testapp, dbsession)
    now = dt.datetime.now().replace(microsecond=0)
    plain = wf.complaint(dbsession, "物流太慢", categories=["logistics"], sku="SKU-U", occurred_at=now)
    unsure = _unsure(dbsession, sku="SKU-U", occurred_at=now - dt.timedelta(days=2))
    page = testapp.get("/triage", {"sku": "SKU-U"})
    assert _queue_ids(page) == [unsure.id, plain.id]  # low confidence before newest
    row = page.html.select_one(f"tr[data-id='{unsure.id}']")
    assert "疑似投诉" in row.text and "低置信度" in row.text and "是投诉" in row.text
    assert page.html.select_one("#f-status option[selected]")["value"] == "pending"
    assert _queue_ids(testapp.get("/triage", {"sku": "SKU-U", "status": "new"})) == [plain.id]
    assert _queue_ids(testapp.get("/triage", {"sku": "SKU-U", "status": "unsure"})) == [unsure.id]
    cats = testapp.get("/ledger", {"sku": "SKU-U"}).html.select_one("#by-category").text
    assert "口味" not in cats and "物流配送" in cats
    assert "还行吧" not in testapp.get("/ledger", {"sku": "SKU-U"}).text
    assert "还行吧" in testapp.get("/ledger", {"sku": "SKU-U", "status": "unsure"}).text  # on request

    # the row's "是投诉" button confirms it: a complaint now, counted on the ledger page
    res = page.forms[f"rowform-{unsure.id}"].submit("action", value="confirm", status=303)
    assert "/triage" in res.location
    dbsession.refresh(unsure)
    assert unsure.status == "confirmed" and [c.category for c in unsure.categories] == ["taste"]
    corr = dbsession.execute(select(LabelCorrection).where(LabelCorrection.review_id == unsure.review_id)).scalar_one()
    assert corr.complaint and corr.categories == ["taste"] and corr.previous["complaint"] is False
    assert "口味" in testapp.get("/ledger", {"sku": "SKU-U"}).html.select_one("#by-category").text
    assert _queue_ids(testapp.get("/triage", {"sku": "SKU-U"})) == [plain.id]


def test_unsure_detail_asks_the_manager_and_cannot_be_assigned_yet(testapp, dbsession):
    _manager(testapp, dbsession)
    wf.departments(dbsession)
    e = _unsure(dbsession, sku="SKU-UD")
    page = testapp.get(f"/entries/{e.id}")
    # it says why: the factory's unsure entry is a 1-star review with no complaint found
    assert "评分很低" in page.html.select_one("#unsure-note").text
    form = page.forms["correct-form"]
    assert form["complaint"].value == "1"  # saving the ticked categories confirms it
    assert "确认为投诉" in page.html.select_one("button[data-key=confirm]").text
    assert not page.html.select("select[name=department_id]")  # no assigning before confirming
    res = testapp.post(f"/entries/{e.id}/correct", {"csrf_token": wf.csrf(testapp), "action": "assign",
                                                   "department_id": "1"}, status=303).follow()
    assert "请先确认为投诉" in res.text
    assert dbsession.execute(select(TaskEvidence).where(TaskEvidence.ledger_entry_id == e.id)).first() is None
    form["categories"] = ["price"]
    form["go"] = False
    form.submit("action", value="save", status=303)
    dbsession.refresh(e)
    assert e.status == "confirmed" and [c.category for c in e.categories] == ["price"]


def test_bulk_attach_reports_unsure_entries_left_out(testapp, dbsession):
    _manager(testapp, dbsession)
    a, b = wf.complaint(dbsession, "甲", sku="SKU-UA"), _unsure(dbsession, sku="SKU-UA")
    task = wf.task(dbsession, "qc")
    form = testapp.get("/triage", {"sku": "SKU-UA"}).forms["bulk-form"]
    for field in form.fields["ids"]:
        field.checked = True
    form["bulk_action"] = "attach"
    form["task_id"] = str(task.id)
    res = form.submit("scope", value="selection", status=303).follow()
    assert "1 条" in res.text and "1 条疑似投诉未关联" in res.text
    attached = set(dbsession.execute(select(TaskEvidence.ledger_entry_id).where(TaskEvidence.task_id == task.id)).scalars())
    assert attached == {a.id} and b.id not in attached


def test_previous_pages_walk_the_queue_backwards(dbsession):
    base = dt.datetime(2026, 9, 1)
    for i in range(23):
        if i % 6 == 5:
            _unsure(dbsession, f"疑似 {i}", sku="SKU-BACK", occurred_at=base + dt.timedelta(hours=i // 2))
        else:
            wf.complaint(dbsession, f"评价 {i}", sku="SKU-BACK", food_safety=i % 7 == 0, low_confidence=i % 5 == 0,
                         occurred_at=base + dt.timedelta(hours=i // 2))  # ties on occurred_at, every tier
    svc = TriageService(dbsession)
    f = Filters(sku="SKU-BACK")
    forward, page = [], svc.page(f, limit=5, with_count=False)
    assert page.prev_cursor is None
    while True:
        forward.append([r.entry.id for r in page.rows])
        if not page.next_cursor:
            break
        page = svc.page(f, Cursor.decode(page.next_cursor), limit=5, with_count=False)
    assert [len(p) for p in forward] == [5, 5, 5, 5, 3]
    backward = [[r.entry.id for r in page.rows]]
    while page.prev_cursor:
        page = svc.page(f, before=Cursor.decode(page.prev_cursor), limit=5, with_count=False)
        backward.append([r.entry.id for r in page.rows])
        assert page.next_cursor  # a page reached backwards always has one after it
    assert backward == forward[::-1]


def test_previous_page_link_in_the_html_queue(testapp, dbsession):
    _manager(testapp, dbsession)
    for i in range(120):
        wf.complaint(dbsession, f"第 {i} 条", sku="SKU-PREV")
    first = testapp.get("/triage", {"sku": "SKU-PREV"})
    assert not first.html.select("a[rel=prev]")
    second = first.click(description="下一页", index=0)
    third = second.click(description="下一页", index=0)
    assert len(_queue_ids(third)) == 20
    back = third.click(description="上一页", index=0)
    assert _queue_ids(back) == _queue_ids(second)
    assert back.html.select("a[rel=next]") and back.html.select("a[rel=prev]")
    again = back.click(description="上一页", index=0)
    assert _queue_ids(again) == _queue_ids(first) and not again.html.select("a[rel=prev]")


def test_a_hand_assigned_task_opens_and_is_left_to_the_manager_to_verify(testapp, dbsession):
    """A task filled by "分派给部门" has no cause: its page counts its own evidence, and the
    automatic after-fix check skips it rather than failing for every task."""
    from feedback.services.tasks import TaskService, verify_resolved
    from feedback.services.workflow_config import WorkflowConfig
    from feedback.models import RootCauseTask

    _manager(testapp, dbsession)
    dept = wf.departments(dbsession)["logistics"]
    a = wf.complaint(dbsession, "快递太慢", sku="SKU-M", categories=["logistics"])
    form = testapp.get("/triage", {"sku": "SKU-M"}).forms["bulk-form"]
    for field in form.fields["ids"]:
        field.checked = True
    form["bulk_action"] = "assign"
    form["department_id"] = str(dept.id)
    form.submit("scope", value="selection", status=303)
    task = dbsession.execute(select(RootCauseTask).where(RootCauseTask.cause_key == "manual:logistics")).scalar_one()
    page = testapp.get(f"/tasks/{task.id}", status=200)
    assert "assigned_by" not in page.text  # internal attributes are not shown as cause dimensions
    assert [p.count for p in TaskService(dbsession).timeline(task)][-1] == 1  # its own entry

    svc = TaskService(dbsession)
    for s in ("acknowledged", "in_progress"):
        svc.transition(task, s)
    resolved_at = a.occurred_at + dt.timedelta(days=1)
    svc.transition(task, "resolved", root_cause="分拣延误", corrective_action="换快递", now=resolved_at)
    dbsession.flush()
    assert "不自动核验" in testapp.get(f"/tasks/{task.id}").text
    res = verify_resolved(dbsession, WorkflowConfig(), now=resolved_at + dt.timedelta(days=30))
    assert task.id not in res.verified + res.reopened and task.status == "resolved"


def test_marking_entries_not_a_complaint_takes_them_off_open_tasks_and_drops_their_apologies(testapp, dbsession):
    """A task no longer counts entries the manager cleared, and an apology drafted for praise
    leaves the reply queue; a low rating still gets its reply."""
    from feedback.models import ReplyDraft, Review, RootCauseTask, TaskEvent
    from feedback.services.replies import ReplyService

    _manager(testapp, dbsession)
    praise = [wf.complaint(dbsession, "性价比高，比超市便宜", categories=["price"], sku="SKU-W", rating=5)
              for _ in range(2)]
    for e in praise:
        dbsession.get(Review, e.review_id).rating_level = "good"
    low = wf.complaint(dbsession, "太贵了", categories=["price"], sku="SKU-W", rating=2)
    done = wf.complaint(dbsession, "太贵了不值", categories=["price"], sku="SKU-W", rating=1)
    task = wf.task(dbsession, "cs", entries=[*praise, low], category="price", sku="SKU-W")
    closed = wf.task(dbsession, "cs", status="verified", entries=[done], category="price", sku="SKU-W")
    ReplyService(dbsession).generate([e.review_id for e in (*praise, low)])
    dbsession.flush()

    page = testapp.get("/triage", {"sku": "SKU-W"})
    form = page.forms["bulk-form"]
    for field in form.fields["ids"]:
        field.checked = field._value in {str(e.id) for e in (*praise, low)}
    form["bulk_action"] = "not_complaint"
    form.submit("scope", value="selection", status=303)
    dbsession.expire_all()
    task = dbsession.get(RootCauseTask, task.id)
    left = set(dbsession.execute(select(TaskEvidence.ledger_entry_id).where(TaskEvidence.task_id == task.id)).scalars())
    assert left == set() and task.complaint_count == 0
    events = dbsession.execute(select(TaskEvent.comment).where(TaskEvent.task_id == task.id)).scalars().all()
    assert any("3 条被标为非投诉" in (c or "") for c in events)
    drafts = {d.review_id: d.status for d in dbsession.execute(select(ReplyDraft)).scalars()}
    assert set(drafts) == {low.review_id}  # the 2-star review is still answered
    # a verified task keeps its record
    assert dbsession.get(RootCauseTask, closed.id).complaint_count == 1

    # one entry corrected on its own page takes the same way
    other = wf.complaint(dbsession, "比超市便宜", categories=["price"], sku="SKU-W", rating=5)
    dbsession.get(Review, other.review_id).rating_level = "good"
    task2 = wf.task(dbsession, "cs", entries=[other], category="price", sku="SKU-W2")
    TriageService(dbsession).correct(other, wf.user(dbsession, "manager"), complaint=False, categories=[],
                                     food_safety=False)
    assert dbsession.get(RootCauseTask, task2.id).complaint_count == 0


def test_a_followup_shows_in_the_queue_row_and_the_tasks_evidence(testapp, dbsession):
    """A food-safety flag that came from the 追评 must not look unexplained."""
    from feedback.models import Review

    _manager(testapp, dbsession)
    e = wf.complaint(dbsession, "催发货客服只会说亲请耐心等待" * 3, sku="SKU-F", food_safety=True)
    dbsession.get(Review, e.review_id).followup_text = "吃完第二天还是不舒服，去医院了"
    task = wf.task(dbsession, "qc", entries=[e])
    dbsession.flush()
    assert "【追评】吃完第二天还是不舒服" in testapp.get("/triage", {"sku": "SKU-F"}).text
    assert "吃完第二天还是不舒服" in testapp.get(f"/tasks/{task.id}").text


def test_reversed_dates_are_swapped_with_a_message(testapp, dbsession):
    _manager(testapp, dbsession)
    wf.complaint(dbsession, "物流太慢", categories=["logistics"], sku="SKU-D", occurred_at=dt.datetime(2026, 11, 5, 9))
    page = testapp.get("/triage", {"sku": "SKU-D", "date_from": "2026-11-30", "date_to": "2026-11-01"})
    assert "起始日期晚于截止日期" in page.text
    assert len(_queue_ids(page)) == 1


def _review_and_refund(dbsession, review_text, refund_text, *, refund_platform, order_no=None):
    """A Tmall review (unless ``review_text`` is None) and a refund ticket of the same order, both
    in the ledger: (review entry, refund entry, order number)."""
    from tests import factories as f

    entry = None
    if review_text is not None:
        entry = wf.complaint(dbsession, review_text, categories=["quality"], platform="tmall")
        order_no = dbsession.get(f.Review, entry.review_id).platform_order_id
    refund = f.ticket(dbsession, text=refund_text, platform=refund_platform)
    refund.platform_order_id = order_no
    refund_entry = f.ledger_entry(dbsession, source="ticket", ticket_obj=refund, categories=("quality",))
    return entry, refund_entry, order_no


def test_the_entry_page_lists_the_rest_of_the_order_for_managers_only(testapp, dbsession):
    """A buyer's 差评 and their refund of the same order are one incident seen twice: each page
    links the other (Taobao and Tmall share orders; another platform's same number does not)."""
    e, refund_entry, order_no = _review_and_refund(dbsession, "鸡蛋碎了一半", "碎了<b>六个</b>，申请部分退款",
                                                   refund_platform="taobao")
    _review_and_refund(dbsession, None, "别的平台同号订单", refund_platform="jd", order_no=order_no)
    lone = wf.complaint(dbsession, "太咸了", categories=["taste"])
    dbsession.flush()
    _manager(testapp, dbsession)
    section = testapp.get(f"/entries/{e.id}").html.select_one("#same-order")
    assert section is not None and order_no in section.text
    assert f"/entries/{refund_entry.id}" in str(section) and "碎了<b>六个</b>" in section.text  # escaped text
    assert "别的平台同号订单" not in section.text
    back = testapp.get(f"/entries/{refund_entry.id}").html.select_one("#same-order")
    assert f"/entries/{e.id}" in str(back) and "鸡蛋碎了一半" in back.text
    assert testapp.get(f"/entries/{lone.id}").html.select_one("#same-order") is None
    # a department head sees the entries of their tasks, not the rest of the order
    testapp.post("/logout", {"csrf_token": wf.csrf(testapp)})
    wf.task(dbsession, "qc", entries=[e], category="quality")
    wf.login(testapp, wf.user(dbsession, "dept_head", dept="qc").username)
    assert testapp.get(f"/entries/{e.id}").html.select_one("#same-order") is None


def test_a_queue_row_says_when_its_order_has_other_records(testapp, dbsession):
    e, refund_entry, _ = _review_and_refund(dbsession, "鸡蛋碎了好几个", "碎了六个", refund_platform="tmall")
    lone = wf.complaint(dbsession, "太咸了", categories=["taste"])
    dbsession.flush()
    _manager(testapp, dbsession)
    page = testapp.get("/triage")
    rows = {int(tr["data-id"]): tr for tr in page.html.select("tr[data-id]")}
    assert "同单 +1" in rows[e.id].text and "同单 +1" in rows[refund_entry.id].text
    assert "同单" not in rows[lone.id].text
