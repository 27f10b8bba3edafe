"""Admin pages: users, departments, routing rules, API tokens."""
from __future__ import annotations

from sqlalchemy import select

from feedback.models import ApiToken, RoutingRule, User
from feedback.security import hash_token

from . import web_factories as wf


def _admin(testapp, dbsession):
    a = wf.user(dbsession, "admin")
    wf.login(testapp, a.username)
    return a


def test_create_user_and_log_in_as_them(testapp, dbsession):
    _admin(testapp, dbsession)
    depts = wf.departments(dbsession)
    page = testapp.get("/admin/users")
    form = [f for f in page.forms.values() if f.action.endswith("/admin/users")][0]
    form["username"], form["display_name"], form["password"] = "zhang.san", "张三", "a-long-password"
    form["role"], form["department"] = "dept_head", str(depts["warehouse"].id)
    form.submit(status=303)
    user = dbsession.execute(select(User).where(User.username == "zhang.san")).scalar_one()
    assert user.role == "dept_head" and user.department_id == depts["warehouse"].id
    assert user.password_hash.startswith("$argon2")


def test_create_user_errors_are_shown_and_nothing_is_lost(testapp, dbsession):
    _admin(testapp, dbsession)
    page = testapp.get("/admin/users")
    form = [f for f in page.forms.values() if f.action.endswith("/admin/users")][0]
    form["username"], form["password"], form["role"] = "li.si", "short", "manager"
    res = form.submit(status=400)
    assert "至少 8 位" in res.text and 'value="li.si"' in res.text
    form = [f for f in res.forms.values() if f.action.endswith("/admin/users")][0]
    form["password"], form["role"] = "long-enough-pw", "dept_head"
    assert "必须指定部门" in form.submit(status=400).text


def test_deactivate_change_role_and_reset_password(testapp, dbsession):
    admin = _admin(testapp, dbsession)
    other = wf.user(dbsession, "manager")
    token = wf.csrf(testapp)
    testapp.post(f"/admin/users/{other.id}", {"action": "deactivate", "csrf_token": token}, status=303)
    dbsession.refresh(other)
    assert other.active is False
    testapp.post(f"/admin/users/{other.id}", {"action": "activate", "csrf_token": token}, status=303)
    dept = wf.departments(dbsession)["cs"]
    testapp.post(f"/admin/users/{other.id}", {"action": "save", "role": "dept_head", "department": str(dept.id),
                                               "csrf_token": token}, status=303)
    dbsession.refresh(other)
    assert other.active and other.role == "dept_head" and other.department_id == dept.id
    old = other.password_hash
    testapp.post(f"/admin/users/{other.id}", {"action": "password", "password": "brand-new-pass", "csrf_token": token},
                 status=303)
    dbsession.refresh(other)
    assert other.password_hash != old
    # cannot lock yourself out
    res = testapp.post(f"/admin/users/{admin.id}", {"action": "deactivate", "csrf_token": token}, status=303).follow()
    assert "不能停用自己" in res.text


def test_department_edit_validates(testapp, dbsession):
    _admin(testapp, dbsession)
    dept = wf.departments(dbsession)["qc"]
    token = wf.csrf(testapp)
    res = testapp.post(f"/admin/departments/{dept.id}", {"name": "品控部", "head_email": "qc@example.cn",
                                                         "webhook_url": "https://oapi.dingtalk.com/robot/send?x=1",
                                                         "csrf_token": token}, status=303).follow()
    dbsession.refresh(dept)
    assert dept.name == "品控部" and dept.head_email == "qc@example.cn" and dept.webhook_url.startswith("https://")
    res = testapp.post(f"/admin/departments/{dept.id}", {"name": "品控部", "webhook_url": "javascript:alert(1)",
                                                         "csrf_token": token}, status=303).follow()
    assert "Webhook" in res.text
    dbsession.refresh(dept)
    assert dept.webhook_url.startswith("https://")


def test_routing_rules_create_and_edit(testapp, dbsession):
    _admin(testapp, dbsession)
    depts = wf.departments(dbsession)
    page = testapp.get("/admin/routing")
    form = page.forms["new-rule"]
    form["category"], form["carrier"], form["department"], form["priority"] = "logistics", "中通", str(depts["logistics"].id), "10"
    form.submit(status=303)
    rule = dbsession.execute(select(RoutingRule).where(RoutingRule.carrier == "中通")).scalar_one()
    assert rule.priority == 10 and rule.active and rule.department_id == depts["logistics"].id
    token = wf.csrf(testapp)
    testapp.post(f"/admin/routing/{rule.id}", {"category": "logistics", "department": str(depts["warehouse"].id),
                                               "priority": "20", "csrf_token": token}, status=303)
    dbsession.refresh(rule)
    assert rule.department_id == depts["warehouse"].id and rule.priority == 20 and rule.active is False
    res = testapp.post(f"/admin/routing/{rule.id}", {"category": "nope", "department": "", "priority": "x",
                                                     "csrf_token": token}, status=303).follow()
    assert "未知分类" in res.text and "优先级" in res.text


def test_api_token_shown_once_works_and_revokes(testapp, dbsession):
    admin = _admin(testapp, dbsession)
    page = testapp.get("/admin/tokens")
    form = [f for f in page.forms.values() if f.action.endswith("/admin/tokens")][0]
    form["name"] = "ERP 同步"
    res = form.submit()
    assert res.headers["Cache-Control"] == "no-store"
    secret = res.html.select_one(".secret").text.strip()
    assert secret.startswith("fl_")
    token = dbsession.execute(select(ApiToken).where(ApiToken.user_id == admin.id)).scalar_one()
    assert token.token_hash == hash_token(secret) and secret not in token.token_hash
    assert secret not in testapp.get("/admin/tokens").text  # never shown again
    assert "fl_session" not in str(res.headers.get("Set-Cookie", "")) or secret not in res.headers.get("Set-Cookie", "")
    testapp.post(f"/admin/tokens/{token.id}/revoke", {"csrf_token": wf.csrf(testapp)}, status=303)
    dbsession.refresh(token)
    assert token.revoked_at is not None
