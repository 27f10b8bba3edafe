"""Notifications over a real local HTTP server and a real SMTP socket; failures retry with backoff
and stay visible."""
from __future__ import annotations

import datetime as dt
import email

import pytest
from sqlalchemy import select

from feedback.models import Notification
from feedback.models.meta import utcnow
from feedback.services.notifications import deliver, due_notification_ids, queue_task_notifications
from feedback.services.pipeline import classify_and_ledger
from feedback.services.departments import ensure_departments
from feedback.services.workflow_config import WorkflowConfig
from tests import workflow_helpers as h
from tests.workflow_servers import SMTPSink, WebhookServer


def food_safety_task(session, cfg, head_email=None):
    depts = ensure_departments(session)
    depts["qc"].head_email = head_email
    p = h.product(session)
    r = h.review(session, "FS 拉肚子", o=h.order(session, p, h.batch(session, p)))
    res = classify_and_ledger(h.savepoint_factory(session), h.FakeClassifier(), "review", [r.id], cfg)
    return res


def test_task_opened_goes_to_robot_webhook_and_email(dbsession):
    with WebhookServer() as hook, SMTPSink() as smtp:
        cfg = WorkflowConfig.from_settings({"feedback.notify_webhook_url": hook.url,
                                            "feedback.smtp_host": "127.0.0.1", "feedback.smtp_port": str(smtp.port),
                                            "feedback.admin_email": "boss@example.com"})
        res = food_safety_task(dbsession, cfg, head_email="qc-head@example.com")
        assert len(res.notification_ids) == 3  # company robot, QC head, admin (food safety)
        sf = h.savepoint_factory(dbsession)
        statuses = [deliver(sf, i, cfg) for i in res.notification_ids]
        assert statuses == ["sent", "sent", "sent"]
        (hit,) = hook.received
        assert hit["json"]["msgtype"] == "text" and "食品安全" in hit["json"]["text"]["content"]
        assert hit["content_type"].startswith("application/json")
        rcpts = sorted(m["rcpt"][0] for m in smtp.messages)
        assert rcpts == ["boss@example.com", "qc-head@example.com"]
        msg = email.message_from_string(smtp.messages[0]["data"])
        assert "食品安全" in str(email.header.make_header(email.header.decode_header(msg["Subject"])))
        # delivered once: a second attempt does nothing
        assert deliver(sf, res.notification_ids[0], cfg) is None


def test_failed_delivery_retries_with_backoff_and_stays_visible(dbsession):
    with WebhookServer() as hook:
        hook.status = 500
        cfg = WorkflowConfig.from_settings({"feedback.notify_webhook_url": hook.url,
                                            "feedback.notify_backoff_seconds": "10",
                                            "feedback.notify_max_attempts": "3"})
        res = food_safety_task(dbsession, cfg)
        (nid,) = res.notification_ids
        sf = h.savepoint_factory(dbsession)
        assert deliver(sf, nid, cfg) == "failed"
        n = dbsession.get(Notification, nid)
        dbsession.refresh(n)
        assert n.attempts == 1 and "HTTP 500" in n.last_error
        first_wait = n.next_attempt_at - utcnow()
        assert dt.timedelta(seconds=5) < first_wait <= dt.timedelta(seconds=10)
        assert nid not in due_notification_ids(dbsession)  # waiting for the backoff
        assert deliver(sf, nid, cfg) is None
        n.next_attempt_at = utcnow() - dt.timedelta(seconds=1)
        dbsession.flush()
        assert due_notification_ids(dbsession) == [nid]
        assert deliver(sf, nid, cfg) == "failed"
        dbsession.refresh(n)
        assert n.attempts == 2 and dt.timedelta(seconds=15) < n.next_attempt_at - utcnow() <= dt.timedelta(seconds=20)
        hook.status = 200
        n.next_attempt_at = utcnow() - dt.timedelta(seconds=1)
        dbsession.flush()
        assert deliver(sf, nid, cfg) == "sent"
        dbsession.refresh(n)
        assert n.sent_at and n.attempts == 3 and len(hook.received) == 3


def test_gives_up_after_max_attempts(dbsession):
    cfg = WorkflowConfig.from_settings({"feedback.notify_webhook_url": "http://127.0.0.1:1/nothing",
                                        "feedback.notify_max_attempts": "1"})
    (nid,) = food_safety_task(dbsession, cfg).notification_ids
    assert deliver(h.savepoint_factory(dbsession), nid, cfg) == "failed"
    n = dbsession.get(Notification, nid)
    dbsession.refresh(n)
    assert n.status == "failed" and n.next_attempt_at is None and "unreachable" in n.last_error


def test_robot_errcode_counts_as_failure(dbsession):
    with WebhookServer() as hook:
        hook.body = b'{"errcode": 310000, "errmsg": "keywords not in content"}'
        cfg = WorkflowConfig.from_settings({"feedback.notify_webhook_url": hook.url})
        (nid,) = food_safety_task(dbsession, cfg).notification_ids
        assert deliver(h.savepoint_factory(dbsession), nid, cfg) == "failed"


@pytest.mark.parametrize("fmt,key", [("feishu", "msg_type"), ("generic", "event")])
def test_payload_formats(dbsession, fmt, key):
    cfg = WorkflowConfig.from_settings({"feedback.notify_webhook_url": "http://x/", "feedback.webhook_format": fmt})
    (nid,) = food_safety_task(dbsession, cfg).notification_ids
    payload = dbsession.get(Notification, nid).payload
    assert key in payload
    if fmt == "generic":
        assert payload["task"]["severity"] == "critical" and payload["task"]["department"] == "qc"
    assert queue_task_notifications is not None and select is not None
