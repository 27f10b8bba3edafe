"""The exports pages via WebTest: list and request form, background request (an outbox job, no
work in the request), progress, downloads with permission "export", the HTML summary with the
same charts as inline SVG and no inline script or style."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from feedback.models import ExportJob, OutboxJob
from feedback.services.exports.jobs import ACTOR_NAME, create_job, write_export
from feedback.services.exports.period import month_of

from . import web_factories as wf
from .exports_scenario import HOSTILE_TEXTS, seed


@pytest.fixture
def app_settings(app_settings, tmp_path):
    return dict(app_settings, **{"feedback.exports_dir": str(tmp_path / "exports")})


@pytest.fixture
def manager(testapp, dbsession):
    user = wf.user(dbsession, "manager")
    wf.login(testapp, user.username)
    return user


def _done_job(dbsession, tmp_path, kind="summary", fmt="xlsx") -> ExportJob:
    """A finished job, its file written the way the worker writes it."""
    import datetime as dt

    period = month_of(dt.date(2026, 11, 1))
    job = create_job(dbsession, kind, period, fmt, enqueue=False)
    job.file_path = f"2026/{kind}_{job.id}.{fmt}"
    write_export(dbsession, kind, fmt, period, tmp_path / "exports" / job.file_path, snapshot=True)
    job.status, job.progress, job.row_count = "done", 100, 8
    dbsession.flush()
    return job


def _csrf(page) -> str:
    return page.html.find("input", {"name": "csrf_token"})["value"]


def test_list_and_request_form_queue_a_background_job(testapp, dbsession, manager):
    page = testapp.get("/exports")
    assert "报表导出" in page.text and "生成报表" in page.text
    form = page.forms[[k for k, f in page.forms.items() if f.action.endswith("/exports")][0]]
    form["kind"] = "summary"
    form["date_from"] = "2026-11-01"
    form["date_to"] = "2026-11-30"
    res = form.submit(status=303)
    job = dbsession.execute(select(ExportJob)).scalar_one()
    assert (job.kind, job.period_type, job.period_label, job.status, job.format) == \
        ("summary", "month", "2026-11", "pending", "xlsx")
    assert job.requested_by_id == manager.id and job.trigger == "ui"
    outbox = dbsession.execute(select(OutboxJob)).scalar_one()
    assert outbox.actor_name == ACTOR_NAME and outbox.payload == {"job_id": job.id}
    detail = res.follow()
    assert "排队中" in detail.text and 'http-equiv="refresh"' in detail.text
    assert testapp.get(f"/exports/{job.id}/status.json").json == {
        "id": job.id, "status": "pending", "progress": 0, "error": None, "download": None}
    testapp.get(f"/exports/{job.id}/download", status=404)
    listing = testapp.get("/exports")
    assert "2026-11" in listing.text and "排队中" in listing.text


def test_bad_request_is_refused_with_a_chinese_message_and_nothing_queued(testapp, dbsession, manager):
    page = testapp.get("/exports")
    res = testapp.post("/exports", {"csrf_token": _csrf(page), "kind": "summary", "date_from": "2026-11-30",
                                    "date_to": "2026-11-01"}, status=303)
    assert "结束日期早于开始日期" in res.follow().text
    res = testapp.post("/exports", {"csrf_token": _csrf(page), "kind": "summary", "date_from": "2026-11-01",
                                    "date_to": "2026-11-31"}, status=303)
    assert "格式错误" in res.follow().text
    assert dbsession.execute(select(ExportJob)).first() is None
    assert dbsession.execute(select(OutboxJob)).first() is None
    testapp.post("/exports", {"kind": "summary", "date_from": "2026-11-01", "date_to": "2026-11-30"}, status=400)


def test_failed_job_shows_its_error(testapp, dbsession, manager):
    import datetime as dt

    job = create_job(dbsession, "ledger", month_of(dt.date(2026, 11, 1)), enqueue=False)
    job.status, job.attempts, job.error = "failed", 4, "OSError: disk full <b>"
    dbsession.flush()
    page = testapp.get(f"/exports/{job.id}")
    assert "失败" in page.text and "OSError: disk full &lt;b&gt;" in page.text
    assert "失败" in testapp.get("/exports").text


def test_download_and_html_summary_with_inline_svg_charts(testapp, dbsession, manager, tmp_path):
    seed(dbsession)
    job = _done_job(dbsession, tmp_path)
    res = testapp.get(f"/exports/{job.id}/download")
    assert res.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert res.body == (tmp_path / "exports" / job.file_path).read_bytes()
    assert "attachment" in res.headers["Content-Disposition"] and "filename*=UTF-8''" in res.headers[
        "Content-Disposition"]

    page = testapp.get(f"/exports/{job.id}/summary")
    html = page.text
    assert "根因汇总" in html and "2026年11月" in html
    assert html.count("<svg") == 11  # the same charts as the workbook (trend has two)
    for title in ("各类别投诉数", "根因帕累托图", "投诉数趋势", "各部门整改任务", "整改前后投诉率", "各平台投诉与已批准解释"):
        assert title in html
    kpi = page.html.find(attrs={"data-kpi": "complaints"})
    assert kpi.text.strip() == "8"
    # Hostile texts are shown as text, escaped; the page has no inline script or style (CSP).
    assert "=HYPERLINK(&#34;http://evil.example/x&#34;" in html or "=HYPERLINK(&quot;http" in html
    assert HOSTILE_TEXTS[0] not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert " style=" not in html and "<style" not in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_ledger_download_is_csv(testapp, dbsession, manager, tmp_path):
    seed(dbsession)
    job = _done_job(dbsession, tmp_path, "ledger", "csv")
    res = testapp.get(f"/exports/{job.id}/download")
    assert res.content_type == "text/csv" and res.body.startswith(b"\xef\xbb\xbf")
    testapp.get(f"/exports/{job.id}/summary", status=404)


def test_department_heads_and_anonymous_users_cannot_export(testapp, dbsession, tmp_path):
    seed(dbsession)
    job = _done_job(dbsession, tmp_path)
    testapp.get(f"/exports/{job.id}/download", status=303)  # anonymous: to the login page
    head = wf.user(dbsession, "dept_head", dept="qc")
    wf.login(testapp, head.username)
    testapp.get("/exports", status=403)
    testapp.get(f"/exports/{job.id}/download", status=403)
    testapp.get(f"/exports/{job.id}/summary", status=403)


def test_unknown_job_and_file_outside_the_exports_directory(testapp, dbsession, manager, tmp_path):
    testapp.get("/exports/999999", status=404)
    import datetime as dt

    job = create_job(dbsession, "ledger", month_of(dt.date(2026, 11, 1)), enqueue=False)
    (tmp_path / "secret.txt").write_text("secret")
    job.status, job.file_path = "done", "../secret.txt"
    dbsession.flush()
    testapp.get(f"/exports/{job.id}/download", status=404)
