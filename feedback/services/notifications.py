"""Notifications: rows first (the durable record), delivery second, through a pluggable notifier.

``queue_task_notifications`` writes ``Notification`` rows in the caller's transaction (task opened,
escalated, reopened ...): one per target (the department's robot webhook, its head's e-mail, the
company-wide webhook, and for escalations the admins' e-mails). ``deliver`` sends one row with the
notifier for its channel and records the outcome: ``sent``, or ``failed`` with ``last_error`` and
``next_attempt_at`` (exponential backoff: backoff x 2^(attempts-1)); after ``notify_max_attempts``
the row stays ``failed`` with no next attempt, visible on the admin page. Nothing here is mocked in
tests: a real HTTP server and a real SMTP socket receive the messages.

Webhook payloads (setting ``feedback.webhook_format``):
  robot   {"msgtype": "text", "text": {"content": ...}}  (DingTalk and WeCom group robots)
  feishu  {"msg_type": "text", "content": {"text": ...}}  (Feishu/Lark custom bots)
  generic {"event": ..., "title": ..., "text": ..., "task": {...}}  (your own endpoint)
"""
from __future__ import annotations

import datetime as dt
import email.message
import json
import smtplib
import urllib.error
import urllib.request
from collections.abc import Callable
from types import SimpleNamespace

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ..models import Notification, RootCauseTask, User
from ..models.meta import shop_time, utcnow
from .workflow_config import WorkflowConfig

EVENT_TITLES = {
    "opened": "新的根因任务",
    "food_safety": "食品安全紧急任务",
    "escalated": "任务已超时升级",
    "reopened": "任务已重新打开",
    "verified": "任务整改已验证",
    "assigned": "任务已改派给本部门",
}
CLAIM_SECONDS = 120  # a claimed row is not picked up again for this long (delivery in flight)


class DeliveryError(Exception):
    pass


def task_text(task: RootCauseTask, event: str) -> tuple[str, str]:
    title = f"【{EVENT_TITLES.get(event, event)}】#{task.id} {task.title}"
    due = shop_time(task.sla_due_at)
    lines = [
        title,
        f"部门: {task.department.name if task.department else '-'}",
        f"严重程度: {task.severity}    状态: {task.status}",
        f"相关投诉: {task.complaint_count} 条",
        f"处理时限: {due}",
    ]
    if task.key_phrases:
        lines.append("关键词: " + "、".join(task.key_phrases[:5]))
    return title, "\n".join(lines)


def webhook_payload(fmt: str, event: str, title: str, text: str, task: RootCauseTask | None) -> dict:
    if fmt == "feishu":
        return {"msg_type": "text", "content": {"text": text}}
    if fmt == "generic":
        data = {"event": event, "title": title, "text": text}
        if task is not None:
            data["task"] = {"id": task.id, "cause_key": task.cause_key, "category": task.category,
                            "severity": task.severity, "status": task.status,
                            "department": task.department.code if task.department else None,
                            "complaints": task.complaint_count}
        return data
    return {"msgtype": "text", "text": {"content": text}}


def queue_task_notifications(session: Session, task: RootCauseTask, event: str,
                             config: WorkflowConfig) -> list[Notification]:
    """Write the notification rows for a task event (no network here)."""
    title, text = task_text(task, event)
    targets: list[tuple[str, str]] = []
    dept = task.department
    if dept is not None and dept.webhook_url:
        targets.append(("webhook", dept.webhook_url))
    if config.notify_webhook_url:
        targets.append(("webhook", config.notify_webhook_url))
    if dept is not None and dept.head_email:
        targets.append(("email", dept.head_email))
    if event in ("escalated", "food_safety"):
        admins = [u.email for u in session.execute(
            select(User).where(User.role == "admin", User.active.is_(True), User.email.is_not(None))).scalars()]
        if config.admin_email:
            admins.append(config.admin_email)
        targets += [("email", a) for a in admins]
    rows, seen = [], set()
    for channel, target in targets:
        if (channel, target) in seen:
            continue
        seen.add((channel, target))
        payload = (webhook_payload(config.webhook_format, event, title, text, task) if channel == "webhook"
                   else {"text": text, "event": event})
        n = Notification(task_id=task.id, channel=channel, target=target, subject=title[:300],
                         payload=payload, status="pending")
        session.add(n)
        rows.append(n)
    session.flush()
    return rows


# -- delivery ----------------------------------------------------------------------------------

def send_webhook(n: Notification, config: WorkflowConfig) -> None:
    body = json.dumps(n.payload, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(n.target, data=body, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(req, timeout=config.notify_timeout_seconds) as resp:
            answer = resp.read(4096)
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code}: {exc.read(300).decode('utf-8', 'replace')}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryError(f"webhook unreachable: {exc}") from None
    # DingTalk/WeCom answer 200 with {"errcode": non-zero} on a rejected message.
    try:
        data = json.loads(answer or b"{}")
    except ValueError:
        return
    if isinstance(data, dict) and data.get("errcode") not in (None, 0):
        raise DeliveryError(f"robot rejected the message: {data}")
    if isinstance(data, dict) and data.get("code") not in (None, 0):  # Feishu
        raise DeliveryError(f"robot rejected the message: {data}")


def send_email(n: Notification, config: WorkflowConfig) -> None:
    if not config.smtp_host:
        raise DeliveryError("未配置 SMTP (feedback.smtp_host is not set)")
    msg = email.message.EmailMessage()
    msg["Subject"] = n.subject
    msg["From"] = config.smtp_from
    msg["To"] = n.target
    msg.set_content(n.payload.get("text", n.subject))
    try:
        with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=config.notify_timeout_seconds) as smtp:
            if config.smtp_starttls:
                smtp.starttls()
            if config.smtp_user:
                smtp.login(config.smtp_user, config.smtp_password or "")
            smtp.send_message(msg)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP: {exc}") from None


NOTIFIERS: dict[str, Callable[[Notification, WorkflowConfig], None]] = {
    "webhook": send_webhook,
    "email": send_email,
}


def due_notification_ids(session: Session, now: dt.datetime | None = None, limit: int = 100) -> list[int]:
    now = now or utcnow()
    return list(session.execute(
        select(Notification.id).where(
            Notification.status.in_(("pending", "failed")),
            or_(Notification.next_attempt_at.is_(None) & (Notification.status == "pending"),
                Notification.next_attempt_at <= now),
        ).order_by(Notification.id).limit(limit)).scalars())


def claim(session: Session, notification_id: int, now: dt.datetime | None = None) -> bool:
    """Mark one due row as in flight (so a second sender skips it); commit right after."""
    now = now or utcnow()
    res = session.execute(
        update(Notification).where(
            Notification.id == notification_id,
            Notification.status.in_(("pending", "failed")),
            or_(Notification.next_attempt_at.is_(None) & (Notification.status == "pending"),
                Notification.next_attempt_at <= now),
        ).values(next_attempt_at=now + dt.timedelta(seconds=CLAIM_SECONDS)))
    return res.rowcount == 1


def record_outcome(session: Session, n: Notification, error: str | None, config: WorkflowConfig,
                   now: dt.datetime | None = None) -> None:
    now = now or utcnow()
    n.attempts = (n.attempts or 0) + 1
    if error is None:
        n.status, n.sent_at, n.last_error, n.next_attempt_at = "sent", now, None, None
        return
    n.status, n.last_error = "failed", error[:2000]
    if n.attempts >= config.notify_max_attempts:
        n.next_attempt_at = None  # gave up; stays visible as failed
    else:
        n.next_attempt_at = now + dt.timedelta(seconds=config.notify_backoff_seconds * 2 ** (n.attempts - 1))


def deliver(session_factory, notification_id: int, config: WorkflowConfig) -> str | None:
    """Claim, send (outside any transaction: no lock is held during network I/O) and record one
    notification. Returns its new status, or None when it was not due (already sent, in flight
    elsewhere, or waiting for its backoff)."""
    with session_factory() as session, session.begin():
        if not claim(session, notification_id):
            return None
        n = session.get(Notification, notification_id)
        snapshot = SimpleNamespace(channel=n.channel, target=n.target, subject=n.subject,
                                   payload=dict(n.payload or {}))
    error = None
    sender = NOTIFIERS.get(snapshot.channel)
    if sender is None:
        error = f"unknown channel {snapshot.channel!r}"
    else:
        try:
            sender(snapshot, config)
        except DeliveryError as exc:
            error = str(exc)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
            error = f"{type(exc).__name__}: {exc}"
    with session_factory() as session, session.begin():
        n = session.get(Notification, notification_id)
        record_outcome(session, n, error, config)
        return n.status
