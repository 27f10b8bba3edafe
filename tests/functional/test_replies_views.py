"""The reply pages through WebTest, logged in through the real login form."""
from __future__ import annotations

import csv
import io

import openpyxl

from feedback.models.replies import ReplyDraft, ReplySettings

from . import web_factories as wf
from .replies_helpers import complaint


def login(testapp, dbsession, role="manager"):
    user = wf.user(dbsession, role)
    wf.login(testapp, user.username)
    return user


def test_anonymous_users_are_sent_to_login_and_dept_heads_are_refused(testapp, dbsession):
    assert "/login" in testapp.get("/replies", status=303).location
    login(testapp, dbsession, "dept_head")
    testapp.get("/replies", status=403)


def test_generate_edit_approve_post_through_the_pages(testapp, dbsession):
    manager = login(testapp, dbsession)
    review = complaint(dbsession, "橙子烂了三个，快递还慢", ["freshness", "logistics"],
                       {"freshness": ["烂了"], "logistics": ["慢"]}, tier="returning")
    page = testapp.get("/replies")
    assert "评价解释" in page.text and "生成草稿" in page.text
    page = page.forms[[k for k, f in page.forms.items() if f.action.endswith("/replies/generate")][0]].submit().follow()
    assert "已生成" in page.text
    draft = dbsession.query(ReplyDraft).filter_by(review_id=review.id).one()
    detail = testapp.get(f"/replies/{draft.id}")
    assert review.text in detail.text and "坏果烂果" in detail.text
    form = [f for f in detail.forms.values() if f.action.endswith("/edit")][0]
    form["text"] = draft.text + "我们已经更换了冷链快递。"
    res = form.submit().follow()
    assert "已保存修改" in res.text
    assert draft.status == "edited" and draft.edited_by_id == manager.id
    form = [f for f in res.forms.values() if f.action.endswith("/approve")][0]
    res = form.submit().follow()
    assert "已批准" in res.text and draft.status == "approved"
    assert draft.edit_distance == len("我们已经更换了冷链快递。")
    form = [f for f in res.forms.values() if f.action.endswith("/post")][0]
    form.submit().follow()
    assert draft.status == "posted" and draft.posted_by_id == manager.id


def test_rule_violations_are_shown_and_block_approval(testapp, dbsession):
    login(testapp, dbsession)
    review = complaint(dbsession, "不新鲜", ["freshness"])
    testapp.get("/replies")
    csrf = wf.csrf(testapp)
    testapp.post("/replies/generate", {"csrf_token": csrf}, status=303)
    draft = dbsession.query(ReplyDraft).filter_by(review_id=review.id).one()
    res = testapp.post(f"/replies/{draft.id}/edit", {"csrf_token": csrf, "text": "马上给您退款，电话13812345678",
                                                      "and_approve": "1"}, status=303).follow()
    assert "不能批准" in res.text and "电话号码" in res.text and "退款" in res.text
    assert draft.status == "edited" and draft.text.startswith("马上给您退款")


def test_post_without_csrf_token_is_refused(testapp, dbsession):
    login(testapp, dbsession)
    review = complaint(dbsession, "不新鲜", ["freshness"])
    from feedback.services.replies import ReplyService

    draft = ReplyService(dbsession).generate([review.id])[0]
    testapp.post(f"/replies/{draft.id}/approve", {}, status=400)
    assert draft.status == "draft"


def test_batch_approve_and_food_safety_needs_an_admin(testapp, dbsession):
    login(testapp, dbsession)
    from feedback.services.replies import ReplyService

    ok = [ReplyService(dbsession).generate([complaint(dbsession, t, ["freshness"]).id])[0] for t in ("不新鲜", "烂了")]
    held = ReplyService(dbsession).generate([complaint(dbsession, "发霉了还吃了", ["freshness"], food_safety=True).id])[0]
    page = testapp.get("/replies")
    assert "待高级审批" in page.text
    form = page.forms["batch-form"]
    for field in form.fields.get("ids", []):
        field.checked = True
    res = form.submit().follow()
    assert "已批准 2 条回复" in res.text and "食品安全" in res.text
    assert [d.status for d in ok] == ["approved", "approved"] and held.status == "held"
    # an admin approves the held one
    testapp.reset()
    login(testapp, dbsession, "admin")
    detail = testapp.get(f"/replies/{held.id}")
    assert "高级审批通过" in detail.text
    [f for f in detail.forms.values() if f.action.endswith("/approve")][0].submit().follow()
    assert held.status == "approved" and held.senior_approved_by_id is not None


def test_filters_and_deadline_are_shown(testapp, dbsession):
    login(testapp, dbsession)
    from feedback.services.replies import ReplyService

    ReplyService(dbsession).generate([complaint(dbsession, "不新鲜", ["freshness"], platform="jd").id])
    page = testapp.get("/replies", {"platform": "jd", "status": "draft"})
    assert "剩 " in page.text and "京东" in page.text
    page = testapp.get("/replies", {"platform": "nope"})
    assert "未知平台" in page.text


def test_export_csv_and_xlsx_of_approved_replies(testapp, dbsession):
    manager = login(testapp, dbsession)
    from feedback.services.replies import ReplyService

    service = ReplyService(dbsession)
    d = service.generate([complaint(dbsession, "不新鲜", ["freshness"]).id])[0]
    service.edit(d, "-非常抱歉，这批橙子不新鲜是我们的问题，我们会复检。", manager)
    service.approve(d, manager)
    res = testapp.get("/replies/export.csv")
    assert res.body.startswith(b"\xef\xbb\xbf") and "attachment" in res.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(res.body[3:].decode("utf-8"))))
    mine = [r for r in rows if r[-1] == str(d.review_id)]
    assert len(mine) == 1 and mine[0][:2] == ["taobao", d.review.external_id or ""]
    assert mine[0][2] == (d.review.platform_order_id or "") and mine[0][7] == d.review.text
    assert mine[0][8] == "'-非常抱歉，这批橙子不新鲜是我们的问题，我们会复检。"
    res = testapp.get("/replies/export.xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(res.body)).active
    assert any(row[8] == "'-非常抱歉，这批橙子不新鲜是我们的问题，我们会复检。" for row in ws.iter_rows(values_only=True))


def test_templates_and_settings_are_for_admins(testapp, dbsession):
    login(testapp, dbsession)
    testapp.get("/replies/templates", status=403)
    testapp.get("/replies/settings", status=403)
    testapp.reset()
    login(testapp, dbsession, "admin")
    page = testapp.get("/replies/templates")
    assert "承认问题" in page.text and "{item}" in page.text
    form = [f for f in page.forms.values() if f.action.endswith("/replies/templates")][0]
    form["kind"], form["category"], form["text"] = "closing", "any", "谢谢您，{unknown}"
    res = form.submit().follow()
    assert "未知占位符" in res.text
    form = [f for f in res.forms.values() if f.action.endswith("/replies/templates")][0]
    form["kind"], form["category"], form["text"] = "closing", "any", "谢谢您指出问题，我们记下了。"
    res = form.submit().follow()
    assert "已新增模板" in res.text and "谢谢您指出问题，我们记下了。" in res.text
    page = testapp.get("/replies/settings")
    form = [f for f in page.forms.values() if f.action.endswith("/replies/settings") and f["platform"].value == "pdd"][0]
    form["max_chars"] = "300"
    form["blocked_words"] = "亲亲，宝宝"
    form.submit().follow()
    row = dbsession.query(ReplySettings).filter_by(platform="pdd").one()
    assert row.max_chars == 300 and row.blocked_words == ["亲亲", "宝宝"]


def test_reply_routes(app):
    from pyramid.interfaces import IRoutesMapper

    routes = {r.name: r.pattern for r in app.registry.getUtility(IRoutesMapper).get_routes()}
    assert {n: p for n, p in routes.items() if n.startswith("replies.")} == {
        "replies.list": "/replies", "replies.generate": "/replies/generate", "replies.batch_approve": "/replies/approve",
        "replies.export": "/replies/export.{fmt:csv|xlsx}", "replies.templates": "/replies/templates",
        "replies.template_update": "/replies/templates/{id:\\d+}", "replies.settings": "/replies/settings",
        "replies.detail": "/replies/{id:\\d+}", "replies.edit": "/replies/{id:\\d+}/edit",
        "replies.approve": "/replies/{id:\\d+}/approve", "replies.hold": "/replies/{id:\\d+}/hold",
        "replies.post": "/replies/{id:\\d+}/post", "replies.regenerate": "/replies/{id:\\d+}/regenerate",
    }


def test_generating_when_every_candidate_is_past_its_deadline_says_so(testapp, dbsession):
    import datetime as dt

    login(testapp, dbsession)
    complaint(dbsession, "橙子烂了", ["freshness"], reviewed_at=dt.datetime(2020, 1, 1, 9, 0))
    page = testapp.get("/replies")
    form = page.forms[[k for k, f in page.forms.items() if f.action.endswith("/replies/generate")][0]]
    page = form.submit().follow()
    assert "已过平台的回复期限" in page.text and "包括已过回复期限的" in page.text
