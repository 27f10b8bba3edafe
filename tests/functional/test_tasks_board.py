"""The department heads' task board and task detail."""
from __future__ import annotations

from sqlalchemy import func, select

from feedback.models import TaskEvent

from . import web_factories as wf


def _head(testapp, dbsession, dept="qc"):
    h = wf.user(dbsession, "dept_head", dept=dept)
    wf.login(testapp, h.username)
    return h


def test_board_shows_own_department_only_overdue_first(testapp, dbsession):
    _head(testapp, dbsession, "qc")
    late = wf.task(dbsession, "qc", title="超时的任务", overdue=True)
    fresh = wf.task(dbsession, "qc", title="新的任务")
    other = wf.task(dbsession, "logistics", title="物流部的任务")
    wf.task(dbsession, "qc", status="in_progress", title="处理中的任务")
    page = testapp.get("/tasks")
    col = page.html.select_one("#col-open")
    ids = [int(a["data-task"]) for a in col.select("a[data-task]")]
    assert ids.index(late.id) < ids.index(fresh.id)
    assert other.id not in [int(a["data-task"]) for a in page.html.select("a[data-task]")]
    assert "处理中的任务" in page.html.select_one("#col-in_progress").text
    for status in ("open", "acknowledged", "in_progress", "resolved", "verified", "reopened"):
        assert page.html.select_one(f"#col-{status}") is not None
    assert "已超时" in col.text


def test_detail_shows_cause_evidence_chart_sla_history(testapp, dbsession):
    _head(testapp, dbsession, "qc")
    e = wf.complaint(dbsession, "<b>月饼</b>发霉了", categories=["freshness"])
    t = wf.task(dbsession, "qc", entries=[e], title="月饼发霉")
    page = testapp.get(f"/tasks/{t.id}")
    assert t.cause_key in page.text
    assert "&lt;b&gt;月饼&lt;/b&gt;发霉了" in page.text
    assert page.html.select_one("svg.chart") is not None
    assert "处理时限" in page.text and "自动创建" in page.text


def test_acknowledge_start_comment_resolve(testapp, dbsession):
    h = _head(testapp, dbsession, "qc")
    t = wf.task(dbsession, "qc")

    def act(to, **fields):
        page = testapp.get(f"/tasks/{t.id}")
        forms = [f for f in page.forms.values() if f.fields.get("to") and f["to"].value == to]
        assert forms, page.text[page.text.find("根本原因与"):][:800]
        form = forms[0]
        for k, v in fields.items():
            form[k] = v
        return form.submit(status=303).follow()

    act("acknowledged", comment="收到")
    act("in_progress")
    page = testapp.get(f"/tasks/{t.id}")
    form = [f for f in page.forms.values() if f.action.endswith("/comment")][0]
    form["comment"] = "已联系供应商 <img src=x>"
    res = form.submit(status=303).follow()
    assert "已联系供应商 &lt;img src=x&gt;" in res.text
    res = act("resolved")  # missing root cause: refused with a message
    assert "根本原因" in res.text
    dbsession.refresh(t)
    assert t.status == "in_progress"
    act("resolved", root_cause="封口机温度偏低", corrective_action="调整温度并每班复检")
    dbsession.refresh(t)
    assert t.status == "resolved" and t.root_cause == "封口机温度偏低"
    events = dbsession.execute(select(TaskEvent).where(TaskEvent.task_id == t.id).order_by(TaskEvent.id)).scalars().all()
    assert [e.to_status for e in events if e.to_status] == ["open", "acknowledged", "in_progress", "resolved"]
    assert all(e.user_id == h.id for e in events[1:])
    # a department head cannot verify their own fix
    page = testapp.get(f"/tasks/{t.id}")
    assert not [f for f in page.forms.values() if f.fields.get("to") and f["to"].value == "verified"]


def test_manager_sees_all_departments_and_may_verify_but_not_work(testapp, dbsession):
    m = wf.user(dbsession, "manager")
    wf.login(testapp, m.username)
    a = wf.task(dbsession, "qc", title="品控任务")
    b = wf.task(dbsession, "logistics", title="物流任务", status="resolved")
    page = testapp.get("/tasks")
    assert "品控任务" in page.text and "物流任务" in page.text
    assert testapp.get(f"/tasks/{b.id}").forms  # verify/reopen buttons
    res = testapp.post(f"/tasks/{a.id}/transition", {"to": "acknowledged", "csrf_token": wf.csrf(testapp)},
                       status=303).follow()
    assert "不能执行" in res.text
    dbsession.refresh(a)
    assert a.status == "open"
    testapp.post(f"/tasks/{b.id}/transition", {"to": "verified", "csrf_token": wf.csrf(testapp)}, status=303)
    dbsession.refresh(b)
    assert b.status == "verified"


def test_a_comment_too_long_is_refused_not_cut_and_a_verified_task_is_the_managers(testapp, dbsession):
    from feedback.services.tasks import MAX_COMMENT

    _head(testapp, dbsession, "qc")
    t = wf.task(dbsession, "qc")
    res = testapp.post(f"/tasks/{t.id}/comment", {"comment": "长" * (MAX_COMMENT + 1),
                                                  "csrf_token": wf.csrf(testapp)}, status=303).follow()
    assert "评论最多" in res.text
    assert not [e for e in dbsession.scalars(select(TaskEvent).where(TaskEvent.task_id == t.id)) if e.comment
                and len(e.comment) >= MAX_COMMENT]
    done = wf.task(dbsession, "qc", status="verified")
    assert not [f for f in testapp.get(f"/tasks/{done.id}").forms.values() if f.fields.get("to")]
    res = testapp.post(f"/tasks/{done.id}/transition", {"to": "reopened", "csrf_token": wf.csrf(testapp)},
                       status=303).follow()
    assert "验证" in res.text
    dbsession.refresh(done)
    assert done.status == "verified"


def test_a_complaint_page_lists_only_the_heads_own_department_tasks(testapp, dbsession):
    _head(testapp, dbsession, "logistics")
    e = wf.complaint(dbsession, "压坏了还发霉", categories=["logistics", "freshness"])
    mine = wf.task(dbsession, "logistics", entries=[e], title="物流压坏")
    other = wf.task(dbsession, "qc", entries=[e], title="品控发霉")
    page = testapp.get(f"/entries/{e.id}")
    assert f"/tasks/{mine.id}" in page.text and f"/tasks/{other.id}" not in page.text
    assert "品控发霉" not in page.text


def test_system_times_are_shown_in_the_shops_time(testapp, dbsession):
    """Events, deadlines and creation times are stored in UTC and shown in China time, as review
    times are (the pages mixed the two without a label)."""
    import datetime as dt

    from feedback.models import RootCauseTask

    m = wf.user(dbsession, "manager")
    wf.login(testapp, m.username)
    task = wf.task(dbsession, "qc")
    t = dbsession.get(RootCauseTask, task.id)
    t.opened_at, t.sla_due_at = dt.datetime(2026, 11, 30, 20, 5), dt.datetime(2026, 12, 1, 17, 30)
    dbsession.flush()
    page = testapp.get(f"/tasks/{task.id}").text
    assert "2026-12-01 04:05" in page and "2026-12-02 01:30" in page and " UTC" not in page


def _adjust(testapp, task_id, **fields):
    page = testapp.get(f"/tasks/{task_id}")
    form = page.forms["adjust-form"]
    for k, v in fields.items():
        form[k] = v
    return form.submit(status=303).follow()


def test_a_manager_renames_reroutes_and_reschedules_a_task_and_the_new_department_is_told(testapp, dbsession):
    """A task routed to the wrong department, or needing more time, is changed on its page; the
    new department's head is notified, sees it on their board, and the old one no longer does."""
    import datetime as dt

    from feedback.models import Notification, RootCauseTask
    from feedback.models.meta import shop_today

    m = wf.user(dbsession, "manager")
    depts = wf.departments(dbsession)
    depts["logistics"].head_email = "wuliu@example.com"
    e = wf.complaint(dbsession, "箱子压扁了，鸡蛋碎了三个", categories=["quality"])
    t = wf.task(dbsession, "qc", entries=[e], title="鸡蛋破损", category="quality")
    t.escalated_at = t.sla_due_at = dt.datetime(2026, 11, 1)
    dbsession.flush()
    wf.login(testapp, m.username)
    due = shop_today() + dt.timedelta(days=5)
    page = _adjust(testapp, t.id, title="鸡蛋运输破损", department_id=str(depts["logistics"].id),
                   due_date=due.isoformat(), comment="破损发生在运输途中")
    assert "已调整" in page.text
    t = dbsession.get(RootCauseTask, t.id)
    dbsession.refresh(t)
    assert (t.title, t.department_id, t.escalated_at) == ("鸡蛋运输破损", depts["logistics"].id, None)
    assert t.sla_due_at == dt.datetime.combine(due, dt.time(23, 59)) - dt.timedelta(hours=8)
    ev = dbsession.scalars(select(TaskEvent).where(TaskEvent.task_id == t.id).order_by(TaskEvent.id.desc())).first()
    assert ev.actor == m.username and "改派" in ev.comment and "破损发生在运输途中" in ev.comment
    assert "鸡蛋破损 → 鸡蛋运输破损" in page.text  # the history shows what changed
    notes = dbsession.scalars(select(Notification).where(Notification.task_id == t.id)).all()
    assert [(n.target, n.payload["event"]) for n in notes] == [("wuliu@example.com", "assigned")]
    # submitting the form unchanged changes nothing and records nothing
    before = dbsession.scalar(select(func.count()).select_from(TaskEvent).where(TaskEvent.task_id == t.id))
    assert "没有改动" in _adjust(testapp, t.id).text
    assert dbsession.scalar(select(func.count()).select_from(TaskEvent).where(TaskEvent.task_id == t.id)) == before
    # the heads: the new department's sees it, the old one's no longer does
    testapp.post("/logout", {"csrf_token": wf.csrf(testapp)})
    _head(testapp, dbsession, "logistics")
    assert "鸡蛋运输破损" in testapp.get("/tasks").text
    testapp.post("/logout", {"csrf_token": wf.csrf(testapp)})
    _head(testapp, dbsession, "qc")
    testapp.get(f"/tasks/{t.id}", status=404)


def test_a_bad_adjustment_is_refused_whole_with_a_message(testapp, dbsession):
    import datetime as dt

    from feedback.models.meta import shop_today

    m = wf.user(dbsession, "manager")
    t = wf.task(dbsession, "qc", title="原标题")
    due_before = t.sla_due_at
    wf.login(testapp, m.username)
    yesterday = (shop_today() - dt.timedelta(days=1)).isoformat()
    for fields, message in (({"title": "新标题", "due_date": yesterday}, "不能早于今天"),
                            ({"title": "长" * 301}, "标题最多"),
                            ({"title": "新标题", "department_id": "999999"}, "没有这个部门")):
        token = wf.csrf(testapp)
        res = testapp.post(f"/tasks/{t.id}/adjust", {**fields, "csrf_token": token}, status=303).follow()
        assert message in res.text
        dbsession.refresh(t)
        assert (t.title, t.sla_due_at) == ("原标题", due_before)  # nothing half-applied
    res = testapp.post(f"/tasks/{t.id}/adjust", {"due_date": "明天", "csrf_token": wf.csrf(testapp)},
                       status=303).follow()
    assert "YYYY-MM-DD" in res.text


def test_only_managers_adjust_and_only_active_tasks(testapp, dbsession):
    _head(testapp, dbsession, "qc")
    t = wf.task(dbsession, "qc", title="品控任务")
    assert "adjust-form" not in testapp.get(f"/tasks/{t.id}").forms
    testapp.post(f"/tasks/{t.id}/adjust", {"title": "改名", "csrf_token": wf.csrf(testapp)}, status=403)
    dbsession.refresh(t)
    assert t.title == "品控任务"
    testapp.post("/logout", {"csrf_token": wf.csrf(testapp)})
    wf.login(testapp, wf.user(dbsession, "manager").username)
    done = wf.task(dbsession, "qc", status="verified", title="已验证")
    assert "adjust-form" not in testapp.get(f"/tasks/{done.id}").forms
    res = testapp.post(f"/tasks/{done.id}/adjust", {"title": "改名", "csrf_token": wf.csrf(testapp)},
                       status=303).follow()
    assert "不能调整" in res.text


def test_a_hand_assigned_task_moves_with_its_key_unless_the_department_has_one(testapp, dbsession):
    """Hand-assigned (分派给部门) tasks are one per department: moving one moves its key; onto a
    department that already has one it is refused."""
    from feedback.models import RootCauseTask
    from feedback.services.rootcause import MANUAL_CAUSE_PREFIX

    m = wf.user(dbsession, "manager")
    depts = wf.departments(dbsession)

    def manual(code):
        key = MANUAL_CAUSE_PREFIX + code
        t = RootCauseTask(cause_key=key, active_cause_key=key, category="other", department_id=depts[code].id,
                          title=f"人工分派：{depts[code].name}", status="open", severity="normal", attributes={})
        dbsession.add(t)
        dbsession.flush()
        return t

    qc, wh = manual("qc"), manual("warehouse")
    wf.login(testapp, m.username)
    res = _adjust(testapp, qc.id, department_id=str(depts["warehouse"].id))
    assert f"已有人工分派任务 #{wh.id}" in res.text
    res = _adjust(testapp, qc.id, department_id=str(depts["rnd"].id))
    dbsession.refresh(qc)
    assert qc.department_id == depts["rnd"].id and qc.active_cause_key == MANUAL_CAUSE_PREFIX + "rnd"


def _move(testapp, task_id, entries, department_id="", comment=""):
    page = testapp.get(f"/tasks/{task_id}")
    form = page.forms["move-form"]
    for i, box in enumerate(page.html.select("input[name=entry]")):  # the form's boxes, in page order
        if int(box["value"]) in entries:
            form.set("entry", True, index=i)
    form["department_id"] = department_id
    form["comment"] = comment
    return form.submit(status=303).follow()


def test_a_manager_moves_complaints_off_a_hand_assigned_task(testapp, dbsession):
    """Complaints sent to one department by mistake (or a mixed lot) are taken off its
    hand-assigned task, to another department's or back to the ledger alone; counts and both
    histories say so."""
    from feedback.models import RootCauseTask, TaskEvidence
    from feedback.services.triage import TriageService

    m = wf.user(dbsession, "manager")
    depts = wf.departments(dbsession)
    entries = [wf.complaint(dbsession, text, categories=["logistics"])
               for text in ("快递三天才到", "箱子压扁了", "包装袋破了一个洞")]
    TriageService(dbsession).bulk("assign", m, [e.id for e in entries], department_id=depts["qc"].id)
    qc = dbsession.scalars(select(RootCauseTask).where(RootCauseTask.department_id == depts["qc"].id)).one()
    assert qc.complaint_count == 3
    wf.login(testapp, m.username)
    page = _move(testapp, qc.id, {entries[0].id, entries[1].id}, str(depts["logistics"].id), "都是运输问题")
    wh = dbsession.scalars(select(RootCauseTask).where(RootCauseTask.department_id == depts["logistics"].id)).one()
    assert f"到任务 #{wh.id}" in page.text
    dbsession.refresh(qc)
    dbsession.refresh(wh)
    assert (qc.complaint_count, wh.complaint_count) == (1, 2)
    evidence = lambda t: set(dbsession.scalars(select(TaskEvidence.ledger_entry_id).where(TaskEvidence.task_id == t.id)))  # noqa: E731
    assert evidence(qc) == {entries[2].id} and evidence(wh) == {entries[0].id, entries[1].id}
    last = lambda t: dbsession.scalars(select(TaskEvent).where(TaskEvent.task_id == t.id).order_by(TaskEvent.id.desc())).first()  # noqa: E731
    assert "移出 2 条中差评" in last(qc).comment and "都是运输问题" in last(qc).comment
    assert f"从任务 #{qc.id}" in last(wh).comment
    page = _move(testapp, qc.id, {entries[2].id})  # off the task only: it stays in the ledger
    assert "移出 1 条投诉" in page.text
    dbsession.refresh(qc)
    assert qc.complaint_count == 0 and evidence(qc) == set()
    assert "move-form" not in testapp.get(f"/tasks/{qc.id}").forms  # nothing left to move


def test_moving_complaints_is_refused_whole_for_grouped_tasks_strangers_and_heads(testapp, dbsession):
    from feedback.services.triage import TriageService

    m = wf.user(dbsession, "manager")
    depts = wf.departments(dbsession)
    a, b = (wf.complaint(dbsession, t, categories=["quality"]) for t in ("少了一袋", "发错口味"))
    grouped = wf.task(dbsession, "qc", entries=[a], title="自动归并")
    TriageService(dbsession).bulk("assign", m, [b.id], department_id=depts["warehouse"].id)
    manual = dbsession.scalars(select(TaskEvent.task_id).where(TaskEvent.comment == "评价经理人工分派")).one()
    wf.login(testapp, m.username)
    assert "move-form" not in testapp.get(f"/tasks/{grouped.id}").forms
    for task_id, fields, message in (
            (grouped.id, {"entry": str(a.id)}, "只有人工分派的任务"),
            (manual, {"entry": str(a.id)}, "不在任务"),
            (manual, {}, "请选择要移出的投诉"),
            (manual, {"entry": str(b.id), "department_id": str(depts["warehouse"].id)}, "已在"),
            (manual, {"entry": str(b.id), "department_id": "x"}, "部门无效")):
        res = testapp.post(f"/tasks/{task_id}/evidence", {**fields, "csrf_token": wf.csrf(testapp)},
                           status=303).follow()
        assert message in res.text, message
    assert dbsession.scalar(select(func.count()).select_from(TaskEvent).where(
        TaskEvent.comment.like("移出%"))) == 0
    testapp.post("/logout", {"csrf_token": wf.csrf(testapp)})
    _head(testapp, dbsession, "warehouse")
    assert "move-form" not in testapp.get(f"/tasks/{manual}").forms
    testapp.post(f"/tasks/{manual}/evidence", {"entry": str(b.id), "csrf_token": wf.csrf(testapp)}, status=403)
