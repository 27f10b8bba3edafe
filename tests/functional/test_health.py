def test_health_answers_without_login(testapp):
    assert testapp.get("/health").json == {"status": "ok"}


def test_pages_are_closed_by_default_and_carry_security_headers(testapp):
    res = testapp.get("/api/v1/reviews", status="*")
    assert res.status_int in (401, 403, 404, 405)
    health = testapp.get("/health")
    assert "frame-ancestors 'none'" in health.headers["Content-Security-Policy"]
    assert health.headers["X-Content-Type-Options"] == "nosniff"
