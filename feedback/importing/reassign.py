"""Move an import batch's records to the platform they really came from (更正导入平台).

A file whose header was read as another platform's export stores its rows under that platform,
and importing it again with ``--platform`` adds a second copy, since a record's identity is
(platform, dedupe_key). ``reassign_batch`` moves the reviews or tickets the batch last wrote,
with their shop, order line, ledger entry and reply draft, to the right platform in the caller's
transaction, or raises ``ReassignError`` before it changes anything.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import LedgerEntry, Order, Review, Shop, Ticket
from ..models.imports import ImportBatch
from ..models.replies import ReplyDraft
from ..services.ledger_counts import track_ids
from .service import check_platform

CHUNK = 500  # keys per IN (...) query


class ReassignError(ValueError):
    """A reassignment refused; the message says why, and nothing was changed."""


@dataclass
class ReassignResult:
    batch_id: int
    kind: str
    old_platform: str
    platform: str
    records: int
    orders_moved: int = 0
    orders_joined: int = 0  # order lines the new platform already had: the records now point there
    reply_drafts: int = 0
    dry_run: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


def reassign_batch(session: Session, batch_id: int, platform: str, *, dry_run: bool = False) -> ReassignResult:
    new = check_platform(platform)
    if new is None:
        raise ReassignError("需要 --platform / a platform is required")
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise ReassignError(f"没有导入批次 #{batch_id} / no import batch #{batch_id}")
    model = Review if batch.kind == "reviews" else Ticket
    mine = model.import_batch_id == batch.id
    platforms = session.scalars(select(model.platform).where(mine).distinct()).all()
    if not platforms:
        raise ReassignError(f"导入批次 #{batch.id} 没有记录（或已被之后的导入更新，请更正那个批次）/ import batch "
                            f"#{batch.id} holds no records (a later import may have rewritten them: reassign that one)")
    if len(platforms) > 1:
        raise ReassignError(f"导入批次 #{batch.id} 的记录来自多个平台（{', '.join(sorted(platforms))}，按行的平台列）/ "
                            f"import batch #{batch.id} holds records of several platforms (a per-row platform column)")
    old = platforms[0]
    if old == new:
        raise ReassignError(f"导入批次 #{batch.id} 的记录已是 {new} / the records of batch #{batch.id} are already {new}")
    records = session.scalars(select(model).where(mine).order_by(model.id)).all()
    _refuse_collisions(session, model, new, [r.dedupe_key for r in records])
    result = ReassignResult(batch.id, batch.kind, old, new, len(records), dry_run=dry_run)
    if dry_run:
        return result

    entry_ids = _ledger_entry_ids(session, model, [r.id for r in records])
    tracker = track_ids(session, entry_ids)  # the weekly counts by platform move with the entries
    shops = _shops_for(session, new, {r.shop_id for r in records if r.shop_id})
    orders = _orders_for(session, model, mine, new, records, shops, result)
    for r in records:
        r.platform = new
        r.shop_id = shops.get(r.shop_id, r.shop_id)
        r.order_id = orders.get(r.order_id, r.order_id)
    for entry in _chunked_scalars(session, LedgerEntry, LedgerEntry.id, entry_ids):
        entry.platform = new
        entry.shop_id = shops.get(entry.shop_id, entry.shop_id)
    if model is Review:
        result.reply_drafts = _move_drafts(session, new, [r.id for r in records])
    batch.platform = new
    tracker.finish()  # flushes
    return result


def _refuse_collisions(session: Session, model, new: str, keys: list[str]) -> None:
    taken = []
    for chunk in _chunks(keys):
        taken += session.scalars(select(model.dedupe_key).where(model.platform == new,
                                                                 model.dedupe_key.in_(chunk))).all()
    if taken:
        shown = "、".join(sorted(taken)[:5]) + ("…" if len(taken) > 5 else "")
        raise ReassignError(f"{len(taken)} 条记录在 {new} 下已经存在（{shown}），没有做任何更改 / {len(taken)} of "
                            f"these records are already stored under {new}; nothing was changed")


def _ledger_entry_ids(session: Session, model, ids: list[int]) -> list[int]:
    column = LedgerEntry.review_id if model is Review else LedgerEntry.ticket_id
    found = []
    for chunk in _chunks(ids):
        found += session.scalars(select(LedgerEntry.id).where(column.in_(chunk))).all()
    return found


def _shops_for(session: Session, new: str, shop_ids: set[int]) -> dict[int, int]:
    """Old shop id -> the shop of the same name on the new platform (created when missing)."""
    mapping = {}
    for shop in _chunked_scalars(session, Shop, Shop.id, sorted(shop_ids)):
        target = session.scalars(select(Shop).where(Shop.platform == new, Shop.name == shop.name)).one_or_none()
        if target is None:
            target = Shop(platform=new, name=shop.name)
            session.add(target)
            session.flush()
        mapping[shop.id] = target.id
    return mapping


def _orders_for(session: Session, model, mine, new: str, records, shops: dict[int, int],
                result: ReassignResult) -> dict[int, int]:
    """Old order line id -> the line on the new platform. A line only these records use moves;
    one the new platform already has is joined; one other records still use is copied."""
    old_orders = _chunked_scalars(session, Order, Order.id, sorted({r.order_id for r in records if r.order_id}))
    numbers = sorted({o.platform_order_id for o in old_orders})
    existing = {(o.platform_order_id, o.sku): o for o in _chunked_scalars(
        session, Order, Order.platform_order_id, numbers, Order.platform == new)}
    shared = _used_elsewhere(session, model, mine, [o.id for o in old_orders])
    mapping = {}
    for order in old_orders:
        target = existing.get((order.platform_order_id, order.sku))
        if target is not None:
            result.orders_joined += 1
        elif order.id in shared:
            target = Order(**{c: getattr(order, c) for c in _ORDER_COPY}, platform=new,
                           shop_id=shops.get(order.shop_id, order.shop_id))
            session.add(target)
            session.flush()
            result.orders_moved += 1
        else:
            order.platform, order.shop_id = new, shops.get(order.shop_id, order.shop_id)
            target = order
            result.orders_moved += 1
        mapping[order.id] = target.id
    return mapping


_ORDER_COPY = ("platform_order_id", "sku", "product_id", "batch_id", "quantity", "warehouse", "carrier", "waybill",
               "region", "paid_at", "shipped_at", "signed_at", "raw")


def _used_elsewhere(session: Session, model, mine, order_ids: list[int]) -> set[int]:
    """The order lines a review or ticket outside the moving ones (``mine``) points at."""
    used = set()
    for other in (Review, Ticket):
        outside = [~mine | other.import_batch_id.is_(None)] if other is model else []
        for chunk in _chunks(order_ids):
            used.update(session.scalars(select(other.order_id).where(other.order_id.in_(chunk), *outside)
                                        .distinct()))
    return used


def _move_drafts(session: Session, new: str, review_ids: list[int]) -> int:
    """Reply drafts follow their review: the new platform's window and rules apply to an unposted one."""
    from ..services.replies.workflow import ReplyService, deadline_for  # noqa: PLC0415 (replies import models)

    replies = ReplyService(session)
    rules = replies.rules_for(new)
    drafts = _chunked_scalars(session, ReplyDraft, ReplyDraft.review_id, review_ids)
    for draft in drafts:
        draft.platform = new
        if draft.status != "posted":
            draft.deadline_at = deadline_for(draft.review, rules)
            draft.issues = [i.to_dict() for i in replies.check(draft, draft.text)]
    return len(drafts)


def _chunked_scalars(session: Session, model, column, values, *where) -> list:
    rows = []
    for chunk in _chunks(list(values)):
        rows += session.scalars(select(model).where(column.in_(chunk), *where)).all()
    return rows


def _chunks(items: list, size: int = CHUNK):
    for i in range(0, len(items), size):
        yield items[i:i + size]
