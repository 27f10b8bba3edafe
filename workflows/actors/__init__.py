"""All actors; `dramatiq workflows.actors` (what `feedback worker` runs) imports this module.

Actors take ids (never ORM objects), run one database transaction per message and are idempotent:
the same message delivered twice changes nothing the second time. Messages sent by the outbox
sweeper carry ``outbox_id``; the actor marks that job done in its own transaction.
"""
from .. import broker as _broker  # noqa: F401  (sets the global broker first)
from . import checks, notify, pipeline  # noqa: F401
from .checks import check_sla, sweep_pending_work, verify_tasks  # noqa: F401
from .notify import retry_notifications, send_notification  # noqa: F401
from .pipeline import classify_reviews, classify_tickets, update_ledger  # noqa: F401
from .exports import run_export, schedule_export  # noqa: F401  (issue 7)
from .replies import draft_replies  # noqa: F401  (issue 6)
