"""Login, logout, cookies, CSRF and the login rate limit."""
from __future__ import annotations

import datetime as dt

from feedback.models import LoginAttempt
from feedback.services.accounts import LOGIN_MAX_FAILURES

from . import web_factories as wf


def test_login_page_is_public_and_chinese(testapp):
    res = testapp.get("/login")
    assert res.status_int == 200
    assert 'lang="zh-CN"' in res.text
    assert "登录" in res.text
    assert "default-src 'none'" in res.headers["Content-Security-Policy"]


def test_pages_redirect_anonymous_users_to_login(testapp):
    res = testapp.get("/triage", status=303)
    assert "/login" in res.location and "next=%2Ftriage" in res.location


def test_login_with_right_password_then_logout(testapp, dbsession):
    manager = wf.user(dbsession, "manager")
    res = wf.login(testapp, manager.username)
    assert res.location.endswith("/triage")
    page = res.follow()
    assert manager.username in page.text
    assert manager.last_login_at is not None
    # logout is a POST with the CSRF token
    form = [f for f in page.forms.values() if f.action.endswith("/logout")][0]
    out = form.submit(status=303)
    assert out.location.endswith("/login")
    testapp.get("/triage", status=303)


def test_logout_by_get_changes_nothing(testapp, dbsession):
    manager = wf.user(dbsession, "manager")
    wf.login(testapp, manager.username)
    testapp.get("/logout", status=404)
    testapp.get("/triage", status=200)


def test_wrong_password_is_refused_and_recorded(testapp, dbsession):
    manager = wf.user(dbsession, "manager")
    res = wf.login(testapp, manager.username, "wrong-password", status=200)
    assert "用户名或密码错误" in res.text
    attempts = dbsession.query(LoginAttempt).filter_by(username=manager.username).all()
    assert [a.success for a in attempts] == [False]


def test_deactivated_user_cannot_log_in_and_loses_session(testapp, dbsession):
    manager = wf.user(dbsession, "manager")
    wf.login(testapp, manager.username)
    testapp.get("/triage", status=200)
    manager.active = False
    dbsession.flush()
    testapp.get("/triage", status=303)  # ticket still valid, user inactive: treated as anonymous
    res = wf.login(testapp, manager.username, status=200)
    assert "已停用" in res.text


def test_rate_limit_per_username(testapp, dbsession):
    manager = wf.user(dbsession, "manager")
    for _ in range(LOGIN_MAX_FAILURES):
        wf.login(testapp, manager.username, "nope-nope", status=200)
    # even the right password is refused now
    res = wf.login(testapp, manager.username, status=429)
    assert "5 分钟" in res.text


def test_rate_limit_per_ip_across_usernames(testapp, dbsession):
    manager = wf.user(dbsession, "manager")
    for i in range(LOGIN_MAX_FAILURES):
        wf.login(testapp, f"guess{i}", "nope-nope", status=200)
    wf.login(testapp, manager.username, status=429)


def test_rate_limit_window_expires(testapp, dbsession):
    manager = wf.user(dbsession, "manager")
    old = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=6)
    for _ in range(LOGIN_MAX_FAILURES):
        dbsession.add(LoginAttempt(username=manager.username, ip="10.0.0.9", success=False, at=old))
    dbsession.flush()
    wf.login(testapp, manager.username, status=303)


def test_post_without_csrf_token_is_a_friendly_400(testapp, dbsession):
    manager = wf.user(dbsession, "manager")
    wf.login(testapp, manager.username)
    res = testapp.post("/logout", status=400)
    assert "CSRF" in res.text and "请求无法验证" in res.text
    res = testapp.post("/login", {"username": manager.username, "password": wf.PASSWORD}, status=400)
    testapp.get("/triage", status=200)  # still logged in: nothing changed


def test_cookies_are_httponly_and_secure_by_default(app_settings, dbsession):
    import webtest

    from feedback import main

    settings = dict(app_settings)
    settings.pop("feedback.secure_cookies")  # production default: Secure cookies
    app = webtest.TestApp(main({}, **settings), extra_environ={"app.dbsession": dbsession, "HTTP_HOST": "localhost",
                                                             "wsgi.url_scheme": "https"})
    manager = wf.user(dbsession, "manager")
    page = app.get("/login")
    form = page.forms[0]
    form["username"], form["password"] = manager.username, wf.PASSWORD
    res = form.submit(status=303)
    cookies = res.headers.getall("Set-Cookie")
    auth = [c for c in cookies if c.startswith("fl_auth=") and "Max-Age=0" not in c]
    session = [c for c in cookies if c.startswith("fl_session=")]
    assert auth and session
    for c in auth + session:
        assert "HttpOnly" in c and "secure" in c.lower() and "SameSite=Lax" in c


def test_open_redirect_is_refused(testapp, dbsession):
    manager = wf.user(dbsession, "manager")
    page = testapp.get("/login?next=//evil.example/x")
    form = page.forms[0]
    form["username"], form["password"] = manager.username, wf.PASSWORD
    res = form.submit(status=303)
    assert "evil" not in res.location
    assert res.location.endswith("/triage")


def test_login_next_returns_to_the_page(testapp, dbsession):
    manager = wf.user(dbsession, "manager")
    page = testapp.get("/login?next=/ledger")
    form = page.forms[0]
    form["username"], form["password"] = manager.username, wf.PASSWORD
    assert form.submit(status=303).location.endswith("/ledger")


def test_auth_ticket_expires(app_settings, dbsession, monkeypatch):
    import time

    import webtest

    from feedback import main

    app = webtest.TestApp(main({}, **{**app_settings, "feedback.session_timeout": "60"}),
                          extra_environ={"app.dbsession": dbsession, "HTTP_HOST": "localhost"})
    manager = wf.user(dbsession, "manager")
    wf.login(app, manager.username)
    app.get("/triage", status=200)
    # the clock moves past the timeout (a real sleep raced a slow CI machine: a 1 s timeout could
    # lapse between the login form and its POST)
    later = time.time() + 120
    monkeypatch.setattr(time, "time", lambda: later)
    assert "/login" in app.get("/triage", status=303).location


def test_signed_in_pages_are_not_stored_by_the_browser(testapp, dbsession):
    """After logging out on a shared PC, Back must not show the ledger from the browser cache."""
    assert "no-store" not in testapp.get("/login").headers.get("Cache-Control", "")
    m = wf.user(dbsession, "manager")
    wf.login(testapp, m.username)
    for url in ("/triage", "/ledger", "/tasks"):
        assert "no-store" in testapp.get(url).headers["Cache-Control"], url


def test_a_department_head_sent_to_a_manager_page_lands_on_the_board(testapp, dbsession):
    """A shared triage link must not greet a department head with a 403 right after login."""
    head = wf.user(dbsession, "dept_head")
    for nxt, lands in (("/triage?sku=X", "/tasks"), ("/ledger", "/tasks"), ("/tasks/1", "/tasks/1"),
                       ("/replies", "/tasks"), ("/admin/users", "/tasks"), ("/entries/3", "/entries/3"),
                       ("/no/such/page", "/no/such/page")):
        testapp.reset()
        form = testapp.get(f"/login?next={nxt}").forms[0]
        form["username"], form["password"] = head.username, wf.PASSWORD
        assert form.submit(status=303).location.endswith(lands), nxt
    manager = wf.user(dbsession, "manager")  # a manager keeps a manager page, not an admin one
    for nxt, lands in (("/ledger", "/ledger"), ("/admin/users", "/triage")):
        testapp.reset()
        form = testapp.get(f"/login?next={nxt}").forms[0]
        form["username"], form["password"] = manager.username, wf.PASSWORD
        assert form.submit(status=303).location.endswith(lands), nxt


def test_pages_name_an_icon_that_is_served(testapp):
    page = testapp.get("/login")
    href = page.html.select_one("link[rel=icon]")["href"]
    assert testapp.get(href.replace("http://localhost", "")).content_type == "image/svg+xml"
