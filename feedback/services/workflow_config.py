"""Settings of the background pipeline (grouping, SLA, verification, notifications), parsed once.

Every value has a default, so an ini without these keys works; development.ini and
production.ini.example list them with comments. Durations are in the unit their name says.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping

DEFAULT_SLA_HOURS = {"critical": 4, "high": 24, "normal": 72, "low": 168}


def _bool(value, default: bool) -> bool:
    if value is None or value == "":
        return default
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _sla(value: str | None) -> dict[str, float]:
    """'critical:4 high:24 normal:72 low:168' -> hours per severity."""
    hours = dict(DEFAULT_SLA_HOURS)
    for part in (value or "").replace(",", " ").split():
        name, _, num = part.partition(":")
        if name in hours and num:
            hours[name] = float(num)
    return hours


@dataclasses.dataclass(frozen=True)
class WorkflowConfig:
    near_expiry_share: float = 1 / 3  # 临期发货: shelf life left at delivery under this share
    group_threshold: int = 3  # complaints of one cause ...
    group_window_days: int = 7  # ... within this many days open a task
    spike_factor: float = 3.0  # or: this week's count >= factor x the trailing weekly average
    spike_min: int = 2  # ... and at least this many complaints
    trailing_weeks: int = 4
    sla_hours: dict = dataclasses.field(default_factory=lambda: dict(DEFAULT_SLA_HOURS))
    verify_window_days: int = 14  # compare this many days after the fix with as many before
    outbox_stuck_seconds: int = 600  # an "enqueued" outbox job older than this is enqueued again
    outbox_max_attempts: int = 10
    pending_grace_seconds: int = 300  # unclassified items older than this with no job are queued
    admin_email: str | None = None
    notify_webhook_url: str | None = None  # a company-wide robot, in addition to the department's
    webhook_format: str = "robot"  # robot (DingTalk/WeCom text) | feishu | generic
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "feedback-loop@localhost"
    smtp_starttls: bool = False
    notify_max_attempts: int = 8
    notify_backoff_seconds: int = 30  # first retry after this, doubling each time
    notify_timeout_seconds: float = 10.0

    @classmethod
    def from_settings(cls, settings: Mapping | None) -> WorkflowConfig:
        s = settings or {}

        def get(key, conv, default):
            value = s.get("feedback." + key)
            if value is None or str(value).strip() == "":
                return default
            return conv(str(value).strip())

        def share(v: str) -> float:
            if "/" in v:
                num, den = v.split("/", 1)
                return float(num) / float(den)
            return float(v)

        d = cls()
        return cls(
            near_expiry_share=get("near_expiry_share", share, d.near_expiry_share),
            group_threshold=get("group_threshold", int, d.group_threshold),
            group_window_days=get("group_window_days", int, d.group_window_days),
            spike_factor=get("spike_factor", float, d.spike_factor),
            spike_min=get("spike_min", int, d.spike_min),
            trailing_weeks=get("trailing_weeks", int, d.trailing_weeks),
            sla_hours=_sla(s.get("feedback.sla_hours")),
            verify_window_days=get("verify_window_days", int, d.verify_window_days),
            outbox_stuck_seconds=get("outbox_stuck_seconds", int, d.outbox_stuck_seconds),
            outbox_max_attempts=get("outbox_max_attempts", int, d.outbox_max_attempts),
            pending_grace_seconds=get("pending_grace_seconds", int, d.pending_grace_seconds),
            admin_email=get("admin_email", str, None),
            notify_webhook_url=get("notify_webhook_url", str, None),
            webhook_format=get("webhook_format", str, d.webhook_format),
            smtp_host=get("smtp_host", str, None),
            smtp_port=get("smtp_port", int, d.smtp_port),
            smtp_user=get("smtp_user", str, None),
            smtp_password=get("smtp_password", str, None),
            smtp_from=get("smtp_from", str, d.smtp_from),
            smtp_starttls=_bool(s.get("feedback.smtp_starttls"), False),
            notify_max_attempts=get("notify_max_attempts", int, d.notify_max_attempts),
            notify_backoff_seconds=get("notify_backoff_seconds", int, d.notify_backoff_seconds),
            notify_timeout_seconds=get("notify_timeout_seconds", float, d.notify_timeout_seconds),
        )
