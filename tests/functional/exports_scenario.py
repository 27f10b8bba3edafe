"""A small, hostile month of data for the export tests (November 2026).

Review texts try formula injection (=HYPERLINK, +1, -2, @SUM, tab, CR) and carry emoji; the
boundaries of the month are probed (Oct 31 23:59:59, Nov 30 23:59:59, Dec 1 00:00); one entry is
`not_complaint`. The expected figures are NOT stored here: tests recompute them from the rows.
"""
from __future__ import annotations

import datetime as dt

from tests import factories as f

D = dt.datetime
HOSTILE_TEXTS = [
    '=HYPERLINK("http://evil.example/x","点我领红包")',
    "+1 发霉了，吃完肚子疼",
    "-2 包装全破了",
    "@SUM(A1:A9) 快递太慢",
    "\t=1+1 口味奇怪",
    "\r=cmd|' /C calc'!A0 异物",
]
EMOJI_TEXT = "太难吃了😡🤮，再也不买"


def seed(session) -> dict:
    depts = f.departments(session)
    for day, sku, carrier, wh in [
        (2, "SKU-1", "顺丰", "杭州仓"), (3, "SKU-1", "顺丰", "杭州仓"), (5, "SKU-1", "中通", "杭州仓"),
        (9, "SKU-1", "顺丰", "广州仓"), (12, "SKU-2", "中通", "广州仓"), (15, "SKU-2", "中通", "广州仓"),
        (20, "SKU-2", "顺丰", "杭州仓"), (25, "SKU-3", "中通", "广州仓"), (30, "SKU-1", "顺丰", "杭州仓"),
        (30, "SKU-2", "中通", "广州仓"),
    ]:
        f.order(session, sku=sku, paid_at=D(2026, 11, day, 10), carrier=carrier, warehouse=wh)
    for day in (5, 10, 20):
        f.order(session, sku="SKU-1", paid_at=D(2026, 10, day, 10))
    f.order(session, sku="SKU-1", paid_at=D(2026, 12, 1, 0, 0))

    e = {}
    e["fs_hyperlink"] = f.ledger_entry(session, occurred_at=D(2026, 11, 2, 9), categories=("freshness", "quality"),
                                       food_safety=True, text=HOSTILE_TEXTS[0])
    e["plus"] = f.ledger_entry(session, occurred_at=D(2026, 11, 3, 9), categories=("freshness",), text=HOSTILE_TEXTS[1])
    e["minus"] = f.ledger_entry(session, occurred_at=D(2026, 11, 4, 9), categories=("logistics",), sku="SKU-2",
                                carrier="中通", warehouse="广州仓", text=HOSTILE_TEXTS[2], platform="jd")
    e["at"] = f.ledger_entry(session, occurred_at=D(2026, 11, 6, 9), categories=("logistics", "service"),
                             sku="SKU-2", carrier="中通", warehouse="广州仓", text=HOSTILE_TEXTS[3])
    e["tab_ticket"] = f.ledger_entry(session, occurred_at=D(2026, 11, 10, 9), categories=("taste",), source="ticket",
                                     text=HOSTILE_TEXTS[4], platform="jd")
    e["cr_fs"] = f.ledger_entry(session, occurred_at=D(2026, 11, 18, 9), categories=("quality",), sku="SKU-3",
                                food_safety=True, near_expiry=True, carrier=None, warehouse=None,
                                text=HOSTILE_TEXTS[5])
    e["emoji"] = f.ledger_entry(session, occurred_at=D(2026, 11, 22, 9), categories=("taste",), sku="SKU-2",
                                text=EMOJI_TEXT, platform="pdd")
    e["last_second"] = f.ledger_entry(session, occurred_at=D(2026, 11, 30, 23, 59, 59), categories=("price",),
                                      sku="SKU-1", text="太贵了")
    e["not_complaint"] = f.ledger_entry(session, occurred_at=D(2026, 11, 12, 9), categories=("other",),
                                        status="not_complaint", text="挺好的")
    e["october"] = f.ledger_entry(session, occurred_at=D(2026, 10, 31, 23, 59, 59), categories=("freshness",),
                                  text="十月的")
    e["october2"] = f.ledger_entry(session, occurred_at=D(2026, 10, 12, 8), categories=("logistics",), text="十月2")
    e["december"] = f.ledger_entry(session, occurred_at=D(2026, 12, 1, 0, 0), categories=("freshness",), text="十二月")
    f.review(session, text="很好吃", rating=5, reviewed_at=D(2026, 11, 8, 9))

    t = {}
    t["qc"] = f.root_cause_task(session, "qc", category="freshness", cause_key="freshness|sku=SKU-1|batch=B1",
                                status="verified", opened_at=D(2026, 11, 3, 10), resolved_at=D(2026, 11, 5, 10),
                                verified_at=D(2026, 11, 20, 10), rate_before=0.2, rate_after=0.05,
                                entries=[e["fs_hyperlink"], e["plus"]], title="SKU-1 批次B1 变质", food_safety=True)
    t["logistics"] = f.root_cause_task(session, "logistics", category="logistics",
                                       cause_key="logistics|carrier=中通", status="reopened",
                                       opened_at=D(2026, 11, 4, 10), sla_due_at=D(2026, 11, 7, 10),
                                       resolved_at=None, entries=[e["minus"], e["at"]], title="中通 破损")
    f.task_event(session, t["logistics"], "reopened", D(2026, 11, 10, 8), from_status="resolved")
    t["rnd_old"] = f.root_cause_task(session, "rnd", category="taste", status="resolved",
                                     opened_at=D(2026, 10, 1, 10), resolved_at=D(2026, 10, 3, 10))
    t["cs_verified"] = f.root_cause_task(session, "cs", category="price", status="verified",
                                         opened_at=D(2026, 11, 1, 0), resolved_at=D(2026, 11, 2, 12),
                                         verified_at=D(2026, 11, 29, 0), rate_before=0.1, rate_after=0.12,
                                         entries=[e["last_second"]])

    review_of = {k: v.review_id for k, v in e.items()}
    from feedback.models import Review

    f.reply_draft(session, session.get(Review, review_of["fs_hyperlink"]), status="approved")
    f.reply_draft(session, session.get(Review, review_of["plus"]), status="draft")
    f.reply_draft(session, session.get(Review, review_of["minus"]), status="posted")
    f.reply_draft(session, session.get(Review, review_of["october"]), status="approved")
    session.flush()
    return {"entries": e, "tasks": t, "departments": depts}
