"""Triage of complaints for review managers: the queue, one item, corrections, bulk actions.

The queue is read from the ledger (one denormalized row per complaint, with platform, SKU,
batch, carrier, rating and date already on it) joined to the current Classification. By default
it holds what waits for a manager (status ``pending`` = ``new`` complaints and ``unsure`` texts:
the classifier said "not a complaint" with low confidence; those are in no count until confirmed).
It is sorted by urgency: food safety first, then low model confidence (every unsure text is), then
newest. That order is served as three *tiers*, each read newest-first along the index
ix_ledger_entries_triage (status, food_safety, occurred_at, id), one range per status, merged;
the cursor is (tier, occurred_at, id), so every page is a few index range scans that stop after
`limit` rows — never OFFSET, whatever page the manager is on.

Text search: LIKE on SQLite, ILIKE on PostgreSQL, always combined with the other filters and the
indexed order, so a frequent word stops early. A rare word: SQLite scans the review texts once;
PostgreSQL searches the ledger entries' copies of their texts (ledger_entries.search_text, kept by
the ledger builder), reading candidates from a GIN index of each copy's characters and character
pairs (gram_candidates) and confirming them with the ILIKE. Two-character Chinese words (发霉,
漏气) are the common query, which a trigram index cannot serve; pairs serve every length
(measured by bench/web_bench.py at 200,000 reviews). Only ledger entries are indexed, so
importing texts pays nothing for it.
"""
from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator

from markupsafe import Markup, escape
from sqlalchemy import Text, and_, delete, exists, func, insert, literal, null, or_, select, update
from sqlalchemy.orm import Session

from ..models import (
    CATEGORIES,
    PLATFORM_LABELS,
    PLATFORMS,
    Classification,
    Department,
    LabelCorrection,
    LedgerCategory,
    LedgerEntry,
    Review,
    RootCauseTask,
    TaskEvidence,
    Ticket,
    User,
)
from ..models.catalog import order_system, same_order_platforms
from ..models.ledger import LEDGER_STATUSES, TRIAGE_STATUSES
from ..models.meta import utcnow
from ..models.tasks import ACTIVE_TASK_STATUSES
from ..params import YEARS, day_param
from .ledger import search_copy_sql
from .ledger_counts import track_ids
from .rootcause import attach_evidence, open_manual_task
from .withdraw import withdraw_non_complaints

CATEGORY_LABELS = {
    "taste": "口味口感", "freshness": "新鲜度/日期", "logistics": "物流配送", "quality": "品质/包装/规格",
    "service": "服务", "price": "价格", "other": "其他",
}
STATUS_LABELS = {"pending": "待分诊", "new": "新投诉", "unsure": "疑似投诉", "confirmed": "已确认",
                 "not_complaint": "非投诉"}
# The triage filter's statuses: "pending" (TRIAGE_STATUSES, the default), then each ledger status.
FILTER_STATUSES = ("pending",) + LEDGER_STATUSES
TIER_LABELS = {0: "食品安全", 1: "低置信度", 2: "普通"}
BULK_ACTIONS = {
    "confirm": "确认分类",
    "not_complaint": "标记为非投诉",
    "attach": "关联到整改任务",
    "assign": "分派给部门",
}
BULK_CHUNK = 500

# Workflows' actor (workflows/actors/pipeline.py) that re-syncs ledger entries and task grouping
# from the latest LabelCorrection. The ledger rows are also updated here directly, in the same
# transaction, so the page is right at once; the job then regroups them into root-cause tasks.
LEDGER_REBUILD_ACTOR = "update_ledger"


SAME_ORDER_LIMIT = 20


@dataclasses.dataclass
class SameOrderItem:
    kind: str  # review | ticket
    subject: Review | Ticket
    entry: LedgerEntry | None  # None: not in the ledger (not classified yet)


class TriageError(ValueError):
    """Bad input from the page; the message is shown to the user."""


# --- filters ------------------------------------------------------------------------------------

@dataclasses.dataclass
class Filters:
    category: str | None = None
    platform: str | None = None
    sku: str | None = None
    batch: str | None = None
    carrier: str | None = None
    rating: str | None = None  # "1".."5" stars or good/neutral/bad
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    status: str | None = "pending"  # one of FILTER_STATUSES; None = every status
    conf_max: float | None = None  # model confidence at most
    food_safety: bool = False
    q: str | None = None

    FIELDS = ("category", "platform", "sku", "batch", "carrier", "rating", "date_from", "date_to",
              "status", "conf_max", "food_safety", "q")

    @classmethod
    def from_params(cls, params, default_status: str | None = "pending") -> tuple[Filters, list[str]]:
        """Parse query/form parameters; bad values are dropped and reported, never fatal."""
        errors: list[str] = []
        f = cls(status=default_status)

        def text(name, maxlen=100):
            value = (params.get(name) or "").strip()
            return value[:maxlen] or None

        f.category = text("category")
        if f.category and f.category not in CATEGORIES:
            errors.append(f"未知分类 (unknown category): {f.category}")
            f.category = None
        f.platform = text("platform")
        if f.platform and f.platform not in PLATFORMS:
            errors.append(f"未知平台 (unknown platform): {f.platform}")
            f.platform = None
        f.sku, f.batch, f.carrier = text("sku"), text("batch"), text("carrier")
        f.rating = text("rating")
        if f.rating and f.rating not in ("1", "2", "3", "4", "5", "good", "neutral", "bad"):
            errors.append(f"评分应为 1–5 或 好/中/差评 (bad rating): {f.rating}")
            f.rating = None
        for name in ("date_from", "date_to"):
            raw = text(name, 10)
            if raw:
                try:
                    setattr(f, name, day_param(raw))
                except ValueError:
                    errors.append(f"日期格式应为 YYYY-MM-DD，{YEARS[0]}–{YEARS[1]} 年 (bad date): {raw}")
        if f.date_from and f.date_to and f.date_from > f.date_to:
            errors.append(f"起始日期晚于截止日期，已交换 (date_from after date_to, swapped): {f.date_from} > {f.date_to}")
            f.date_from, f.date_to = f.date_to, f.date_from
        if "status" in params:
            status = text("status")
            if status in (None, "all"):
                f.status = None
            elif status in FILTER_STATUSES:
                f.status = status
            else:
                errors.append(f"未知状态 (unknown status): {status}")
        raw = text("conf_max", 10)
        if raw:
            try:
                f.conf_max = float(raw)
                if not 0 <= f.conf_max <= 1:
                    raise ValueError
            except ValueError:
                errors.append(f"置信度应为 0–1 之间的数 (confidence must be 0..1): {raw}")
                f.conf_max = None
        f.food_safety = (params.get("food_safety") or "") in ("1", "on", "true")
        f.q = text("q", 200)
        return f, errors

    def to_params(self) -> dict[str, str]:
        out = {}
        for name in self.FIELDS:
            value = getattr(self, name)
            if name == "status":
                out["status"] = value or "all"
            elif name == "food_safety":
                if value:
                    out[name] = "1"
            elif value not in (None, ""):
                out[name] = value.isoformat() if isinstance(value, dt.date) else str(value)
        return out

    def describe(self) -> str:
        parts = []
        if self.status:
            parts.append(f"状态={STATUS_LABELS.get(self.status, self.status)}")
        labels = {"category": "分类", "platform": "平台", "sku": "SKU", "batch": "批次", "carrier": "快递",
                  "rating": "评分", "date_from": "起", "date_to": "止", "conf_max": "置信度≤", "q": "搜索"}
        for name, label in labels.items():
            value = getattr(self, name)
            if value not in (None, ""):
                shown = CATEGORY_LABELS.get(value, value) if name == "category" else value
                parts.append(f"{label}={shown}")
        if self.food_safety:
            parts.append("仅食品安全")
        return "，".join(parts) or "全部"


def _like_pattern(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _classification_exists(*conditions):
    """EXISTS over the entry's classification (by review or by ticket): a probe of a unique index."""
    return or_(
        exists().where(Classification.review_id == LedgerEntry.review_id, *conditions),
        exists().where(Classification.ticket_id == LedgerEntry.ticket_id, *conditions),
    )


def statuses_of(status: str | None) -> tuple[str, ...] | None:
    """The ledger statuses a filter status stands for (None: every status)."""
    if status is None:
        return None
    return TRIAGE_STATUSES if status == "pending" else (status,)


def filter_conditions(session: Session, f: Filters, with_status: bool = True) -> list:
    conds = []
    statuses = statuses_of(f.status)
    if with_status and statuses:
        conds.append(LedgerEntry.status.in_(statuses) if len(statuses) > 1 else LedgerEntry.status == statuses[0])
    if f.platform:
        conds.append(LedgerEntry.platform == f.platform)
    if f.sku:
        conds.append(LedgerEntry.sku == f.sku)
    if f.batch:
        conds.append(LedgerEntry.batch_code == f.batch)
    if f.carrier:
        conds.append(LedgerEntry.carrier == f.carrier)
    if f.rating:
        if f.rating.isdigit():
            conds.append(LedgerEntry.rating_stars == int(f.rating))
        else:
            conds.append(LedgerEntry.rating_level == f.rating)
    if f.date_from:
        conds.append(LedgerEntry.occurred_at >= dt.datetime.combine(f.date_from, dt.time()))
    if f.date_to:
        conds.append(LedgerEntry.occurred_at < dt.datetime.combine(f.date_to + dt.timedelta(days=1), dt.time()))
    if f.food_safety:
        conds.append(LedgerEntry.food_safety.is_(True))
    if f.category:
        conds.append(exists().where(LedgerCategory.entry_id == LedgerEntry.id, LedgerCategory.category == f.category))
    if f.conf_max is not None:
        conds.append(_classification_exists(Classification.confidence <= f.conf_max))
    if f.q:
        conds.append(_text_condition(session, f.q))
    return conds


TEXT_ID_LIMIT = 2000


def _text_condition(session: Session, q: str):
    """Full-text filter. First ask for the matching ids directly (it stops after TEXT_ID_LIMIT
    matches): a rare word then becomes an `IN (ids)` probe of a unique index; a frequent word (more
    matches than that) is checked row by row along the queue's index instead, which stops as soon
    as a page is full. SQLite: one pass over the review and ticket texts. PostgreSQL: the ledger
    entries' copies of their texts (search_text), candidates from its gram index."""
    if session.get_bind().dialect.name == "postgresql":
        return _text_condition_pg(session, q)
    pattern = _like_pattern(q)

    def match(col):
        return col.like(pattern, escape="\\")

    # the texts the search reads: a review's text and 追评, a ticket's reason and description
    review_ids = list(session.execute(select(Review.id).where(or_(match(Review.text), match(Review.followup_text)))
                                      .limit(TEXT_ID_LIMIT + 1)).scalars())
    ticket_ids = list(session.execute(select(Ticket.id).where(or_(match(Ticket.text), match(Ticket.reason)))
                                      .limit(TEXT_ID_LIMIT + 1)).scalars())
    if len(review_ids) <= TEXT_ID_LIMIT and len(ticket_ids) <= TEXT_ID_LIMIT:
        parts = []
        if review_ids:
            parts.append(LedgerEntry.review_id.in_(review_ids))
        if ticket_ids:
            parts.append(LedgerEntry.ticket_id.in_(ticket_ids))
        return or_(*parts) if parts else LedgerEntry.id.is_(None)
    # Scalar subqueries, not EXISTS: a correlated scalar is probed per queue row, and the queue
    # stops after a page.
    text_of = func.coalesce(
        select(search_copy_sql(Review)).where(Review.id == LedgerEntry.review_id).correlate(LedgerEntry)
        .scalar_subquery(),
        select(search_copy_sql(Ticket)).where(Ticket.id == LedgerEntry.ticket_id).correlate(LedgerEntry)
        .scalar_subquery(),
    )
    return match(text_of)


def _text_condition_pg(session: Session, q: str):
    """PostgreSQL: ILIKE over ledger_entries.search_text, the entry's copy of its review/ticket
    text (kept by LedgerBuilder and the importer), so the same matches as an ILIKE over the texts
    themselves. The ids come from the gram index's candidates (gram_candidates), each confirmed by
    the ILIKE; only ledger entries are indexed, never the imported texts that are no complaint."""
    match = LedgerEntry.search_text.ilike(_like_pattern(q), escape="\\")
    ids = list(session.execute(select(LedgerEntry.id).where(gram_candidates(LedgerEntry.search_text, q), match)
                               .limit(TEXT_ID_LIMIT + 1)).scalars())
    if len(ids) <= TEXT_ID_LIMIT:
        return LedgerEntry.id.in_(ids) if ids else LedgerEntry.id.is_(None)
    return match


def gram_candidates(col, q: str):
    """PostgreSQL: the rows whose ``col`` (ledger_entries.search_text) can contain ``q``, read
    from the GIN index ix_ledger_entries_search_grams (migration c41f0e8b7a2d). It holds each
    text's characters and pairs of adjacent characters, lower-cased as ILIKE compares; a text whose
    lower-cased form contains the lower-cased term holds all the term's pairs (its one character
    when it has one), whatever its length: a superset of the ILIKE matches, never a miss."""
    return func.feedback_text_grams(func.lower(col)).op("@>", is_comparison=True)(
        func.feedback_search_grams(func.lower(literal(q, Text))))


def _tier_condition(tier: int, status: str | None = None):
    """The condition of one urgency tier within one ledger status (None: any status); None when
    the tier is empty by definition. An ``unsure`` entry is low-confidence by definition (the
    ledger builder gives that status only to low-confidence verdicts), so it needs no probe of
    its classification and is never in the last tier."""
    if tier == 0:
        return LedgerEntry.food_safety.is_(True)
    if status == "unsure":
        return LedgerEntry.food_safety.is_(False) if tier == 1 else None
    low = _classification_exists(Classification.low_confidence.is_(True))
    if tier == 1:
        return and_(LedgerEntry.food_safety.is_(False), low)
    return and_(LedgerEntry.food_safety.is_(False), ~low)


# --- the cursor ---------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Cursor:
    tier: int
    occurred_at: dt.datetime
    id: int

    def encode(self) -> str:
        raw = f"{self.tier}|{self.occurred_at.isoformat()}|{self.id}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str | None) -> Cursor | None:
        if not token:
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            tier, when, ident = raw.split("|")
            return cls(int(tier), dt.datetime.fromisoformat(when), int(ident))
        except (ValueError, UnicodeDecodeError) as exc:
            raise TriageError("翻页参数无效，请回到第一页 (bad page cursor)") from exc


def entry_tier(session: Session, entry: LedgerEntry) -> int:
    if entry.food_safety:
        return 0
    if entry.status == "unsure":
        return 1
    cls = classification_for(session, entry)
    return 1 if cls is not None and cls.low_confidence else 2


# --- the queue ----------------------------------------------------------------------------------

@dataclasses.dataclass
class QueueRow:
    entry: LedgerEntry
    tier: int
    text: str
    kind: str  # review | ticket
    subject_id: int
    classification: Classification | None
    same_order: int = 0  # the order's other reviews and tickets (同一订单)

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.tier, self.entry.occurred_at, self.entry.id)


@dataclasses.dataclass
class Page:
    rows: list[QueueRow]
    next_cursor: str | None  # ?after=... ; None on the last page
    prev_cursor: str | None = None  # ?before=... ; None on the first page
    count: int | None = None
    count_capped: bool = False


class TriageService:
    COUNT_CAP = 10_000

    def __init__(self, session: Session):
        self.session = session
        self.skipped_unsure = 0  # entries a bulk attach/assign left out (unsure: confirm them first)

    # reading

    def _tier_ids(self, base: list, statuses: tuple[str, ...] | None, tier: int, after: Cursor | None,
                  limit: int, reverse: bool = False) -> list[int]:
        """Up to ``limit`` ids of one tier after the cursor, newest first (oldest first if
        ``reverse``): one index range per status (the index leads with the status), merged."""
        key = (LedgerEntry.occurred_at, LedgerEntry.id)
        keyset = []
        if after is not None and after.tier == tier:
            if reverse:
                keyset.append(or_(key[0] > after.occurred_at, and_(key[0] == after.occurred_at, key[1] > after.id)))
            else:
                keyset.append(or_(key[0] < after.occurred_at, and_(key[0] == after.occurred_at, key[1] < after.id)))
        order = (key[0].asc(), key[1].asc()) if reverse else (key[0].desc(), key[1].desc())
        found: list[tuple] = []
        for status in statuses or (None,):
            tier_cond = _tier_condition(tier, status)
            if tier_cond is None:
                continue
            conds = base + keyset + [tier_cond] + ([LedgerEntry.status == status] if status else [])
            stmt = select(LedgerEntry.occurred_at, LedgerEntry.id).where(*conds).order_by(*order).limit(limit)
            found += [tuple(r) for r in self.session.execute(stmt)]
        found.sort(reverse=not reverse)
        return [i for _, i in found[:limit]]

    def page(self, f: Filters, cursor: Cursor | None = None, limit: int = 50, with_count: bool = True,
             before: Cursor | None = None) -> Page:
        """One page of the queue: the ``limit`` rows after ``cursor`` (from the start without one),
        or, given ``before`` instead, the ``limit`` rows just before that cursor (each tier read
        backwards along the same index ranges, then reversed into queue order)."""
        base = filter_conditions(self.session, f, with_status=False)
        statuses = statuses_of(f.status)
        ids_tiers: list[tuple[int, int]] = []
        backwards = before is not None and cursor is None
        start = before if backwards else cursor
        tiers = range(start.tier, -1, -1) if backwards else range(start.tier if start else 0, 3)
        for tier in tiers:
            need = limit + 1 - len(ids_tiers)
            if need <= 0:
                break
            ids_tiers += [(i, tier) for i in self._tier_ids(base, statuses, tier, start, need, reverse=backwards)]
        more = len(ids_tiers) > limit
        if backwards and not more:  # back at the start: the first page as it is now, full
            return self.page(f, None, limit, with_count)
        ids_tiers = ids_tiers[:limit]
        if backwards:
            ids_tiers.reverse()
        rows = self._load_rows(ids_tiers)
        if backwards:
            page = Page(rows=rows, next_cursor=rows[-1].cursor.encode() if rows else before.encode(),
                        prev_cursor=rows[0].cursor.encode() if rows else None)
        else:
            page = Page(rows=rows, next_cursor=rows[-1].cursor.encode() if more and rows else None,
                        prev_cursor=None if cursor is None else (rows[0].cursor.encode() if rows else cursor.encode()))
        if with_count:
            page.count, page.count_capped = self.count(f, cap=self.COUNT_CAP)
        return page

    def neighbour(self, f: Filters, entry: LedgerEntry, direction: int) -> int | None:
        """The id of the next (+1) or previous (-1) entry of the queue, from this one."""
        here = Cursor(entry_tier(self.session, entry), entry.occurred_at, entry.id)
        tiers = range(here.tier, 3) if direction > 0 else range(here.tier, -1, -1)
        base = filter_conditions(self.session, f, with_status=False)
        for tier in tiers:
            ids = self._tier_ids(base, statuses_of(f.status), tier, here, 1, reverse=direction < 0)
            if ids:
                return ids[0]
        return None

    def count(self, f: Filters, cap: int | None = None) -> tuple[int, bool]:
        inner = select(literal(1)).select_from(LedgerEntry).where(*filter_conditions(self.session, f))
        if cap is not None:
            inner = inner.limit(cap + 1)
        n = self.session.execute(select(func.count()).select_from(inner.subquery())).scalar_one()
        if cap is not None and n > cap:
            return cap, True
        return n, False

    def _load_rows(self, ids_tiers: list[tuple[int, int]]) -> list[QueueRow]:
        if not ids_tiers:
            return []
        ids = [i for i, _ in ids_tiers]
        entries = {e.id: e for e in self.session.execute(select(LedgerEntry).where(LedgerEntry.id.in_(ids))).scalars()}
        review_ids = [e.review_id for e in entries.values() if e.review_id]
        ticket_ids = [e.ticket_id for e in entries.values() if e.ticket_id]
        # a review's row shows its 追评 too: a food-safety flag often comes from it
        texts_r, texts_t, orders = {}, {}, {}
        if review_ids:
            for i, t, f, platform, order_no in self.session.execute(
                    select(Review.id, Review.text, Review.followup_text, Review.platform, Review.platform_order_id)
                    .where(Review.id.in_(review_ids))):
                texts_r[i], orders[("review", i)] = _row_text(t, f), (platform, order_no)
        if ticket_ids:
            for i, t, platform, order_no in self.session.execute(
                    select(Ticket.id, Ticket.text, Ticket.platform, Ticket.platform_order_id)
                    .where(Ticket.id.in_(ticket_ids))):
                texts_t[i], orders[("ticket", i)] = t, (platform, order_no)
        siblings = self._order_sizes(orders.values())
        cls_r, cls_t = {}, {}
        if review_ids:
            cls_r = {c.review_id: c for c in self.session.execute(
                select(Classification).where(Classification.review_id.in_(review_ids))).scalars()}
        if ticket_ids:
            cls_t = {c.ticket_id: c for c in self.session.execute(
                select(Classification).where(Classification.ticket_id.in_(ticket_ids))).scalars()}
        # categories in one query
        cats: dict[int, list[str]] = {}
        for entry_id, cat in self.session.execute(
                select(LedgerCategory.entry_id, LedgerCategory.category).where(LedgerCategory.entry_id.in_(ids))):
            cats.setdefault(entry_id, []).append(cat)
        rows = []
        for entry_id, tier in ids_tiers:
            e = entries.get(entry_id)
            if e is None:
                continue
            e.category_codes = sorted(cats.get(e.id, []), key=CATEGORIES.index)
            if e.review_id:
                row = QueueRow(e, tier, texts_r.get(e.review_id, ""), "review", e.review_id, cls_r.get(e.review_id))
            else:
                row = QueueRow(e, tier, texts_t.get(e.ticket_id, ""), "ticket", e.ticket_id or 0,
                               cls_t.get(e.ticket_id))
            platform, order_no = orders.get((row.kind, row.subject_id), (None, None))
            row.same_order = siblings.get((order_system(platform), order_no), 1) - 1 if order_no else 0
            rows.append(row)
        return rows

    def _order_sizes(self, platform_orders) -> dict[tuple[str, str], int]:
        """How many reviews and tickets each (order system, order number) has: two queries a page."""
        numbers = {o for _, o in platform_orders if o}
        sizes: dict[tuple[str, str], int] = {}
        if not numbers:
            return sizes
        for model in (Review, Ticket):
            for platform, order_no, n in self.session.execute(
                    select(model.platform, model.platform_order_id, func.count())
                    .where(model.platform_order_id.in_(numbers))
                    .group_by(model.platform, model.platform_order_id)):
                key = (order_system(platform), order_no)
                sizes[key] = sizes.get(key, 0) + n
        return sizes

    def iter_filter_ids(self, f: Filters, chunk: int = BULK_CHUNK) -> Iterator[list[int]]:
        """Every entry id the filter matches, in id order and chunks; re-runs the filter query for
        each chunk (rows already changed by the caller may drop out; that is fine)."""
        last = 0
        conds = filter_conditions(self.session, f)
        while True:
            ids = list(self.session.execute(
                select(LedgerEntry.id).where(*conds, LedgerEntry.id > last).order_by(LedgerEntry.id).limit(chunk)
            ).scalars())
            if not ids:
                return
            yield ids
            last = ids[-1]
            if len(ids) < chunk:
                return

    # one item

    def get_entry(self, entry_id: int) -> LedgerEntry | None:
        return self.session.get(LedgerEntry, entry_id)

    def visible_to(self, user: User, entry: LedgerEntry, can_triage: bool) -> bool:
        """Managers and admins see every entry; a department head only those attached to a task of
        their department."""
        if can_triage:
            return True
        if user.department_id is None:
            return False
        return self.session.execute(
            select(TaskEvidence.task_id).join(RootCauseTask, RootCauseTask.id == TaskEvidence.task_id)
            .where(TaskEvidence.ledger_entry_id == entry.id, RootCauseTask.department_id == user.department_id)
            .limit(1)
        ).first() is not None

    def detail(self, entry: LedgerEntry, department_id: int | None = None) -> dict:
        """``department_id``: a department head's; only that department's tasks are listed."""
        subject = self.session.get(Review, entry.review_id) if entry.review_id else self.session.get(Ticket, entry.ticket_id)
        cls = classification_for(self.session, entry)
        order = getattr(subject, "order", None)
        batch = order.batch if order is not None else None
        query = (select(RootCauseTask).join(TaskEvidence, TaskEvidence.task_id == RootCauseTask.id)
                 .where(TaskEvidence.ledger_entry_id == entry.id).order_by(RootCauseTask.id))
        if department_id is not None:
            query = query.where(RootCauseTask.department_id == department_id)
        tasks = list(self.session.execute(query).scalars())
        corrections = list(self.session.execute(
            select(LabelCorrection, User.username).outerjoin(User, User.id == LabelCorrection.user_id)
            .where(LabelCorrection.review_id == entry.review_id if entry.review_id
                   else LabelCorrection.ticket_id == entry.ticket_id)
            .order_by(LabelCorrection.id.desc())
        ).all())
        entry.category_codes = sorted((c.category for c in entry.categories), key=CATEGORIES.index)
        evidence = evidence_terms(cls.evidence if cls else None)
        return {
            "entry": entry, "subject": subject, "kind": "review" if entry.review_id else "ticket",
            "classification": cls, "order": order, "batch": batch, "tasks": tasks,
            "corrections": corrections,
            # the classification row holds the manager's labels once corrected; what the model
            # said is kept in the first correction
            "model_prediction": corrections[-1][0].previous if corrections else None,
            "unsure_reasons": _unsure_reasons(entry, subject, cls) if entry.status == "unsure" else [],
            "highlighted": highlight(subject.text if subject else "", evidence),
            "highlighted_followup": highlight(getattr(subject, "followup_text", None) or "", evidence),
            # a ticket's platform reason is evidence of its own (nlp.tickets reads it for its meaning)
            "highlighted_reason": highlight(getattr(subject, "reason", None) or "", evidence),
            "evidence_terms": evidence,
            "scores": sorted(((c, float(s)) for c, s in ((cls.scores or {}) if cls else {}).items()
                              if c in CATEGORIES and isinstance(s, (int, float))),
                             key=lambda cs: -cs[1]),
        }

    def same_order(self, subject, limit: int = SAME_ORDER_LIMIT) -> list[SameOrderItem]:
        """The other reviews and tickets of this one's order (a buyer's 差评 and their refund are one
        incident seen twice): the manager handles them together."""
        order_no = getattr(subject, "platform_order_id", None)
        if not order_no:
            return []
        family = same_order_platforms(subject.platform)
        items = []
        for model, kind, when in ((Review, "review", Review.reviewed_at), (Ticket, "ticket", Ticket.opened_at)):
            rows = self.session.execute(
                select(model, LedgerEntry).outerjoin(
                    LedgerEntry, (LedgerEntry.review_id if kind == "review" else LedgerEntry.ticket_id) == model.id)
                .where(model.platform_order_id == order_no, model.platform.in_(family),
                       model.id != (subject.id if isinstance(subject, model) else 0))  # ids start at 1
                .order_by(when, model.id).limit(limit)).all()
            items += [SameOrderItem(kind, item, entry) for item, entry in rows]
        return items[:limit]

    # writing

    def correct(self, entry: LedgerEntry, user: User, *, complaint: bool, categories: Iterable[str],
                food_safety: bool) -> LabelCorrection:
        categories = [c for c in CATEGORIES if c in set(categories)]
        if complaint and not categories:
            raise TriageError("投诉至少要有一个分类 (a complaint needs at least one category)")
        if not complaint:
            categories, food_safety = [], False
        return self._apply(entry, user, complaint, categories, food_safety)

    def confirm(self, entry: LedgerEntry, user: User) -> LabelCorrection:
        cls = classification_for(self.session, entry)
        cats = list(cls.categories or []) if cls else [c.category for c in entry.categories]
        if not cats:
            cats = [entry.primary_category] if entry.primary_category in CATEGORIES else ["other"]
        return self._apply(entry, user, True, [c for c in CATEGORIES if c in cats],
                           bool(cls.food_safety if cls else entry.food_safety))

    def _apply(self, entry, user, complaint, categories, food_safety) -> LabelCorrection:
        cls = classification_for(self.session, entry)
        correction = LabelCorrection(
            review_id=entry.review_id, ticket_id=entry.ticket_id, user_id=user.id, complaint=complaint,
            categories=categories, food_safety=food_safety, previous=_prediction(cls),
        )
        self.session.add(correction)
        if cls is not None:
            cls.complaint = complaint
            cls.categories = categories
            cls.food_safety = food_safety
            cls.low_confidence = False
            cls.sources = {**{c: "manual" for c in categories}, "corrected_by": user.username}
        self._update_ledger([entry.id], complaint, categories, food_safety, scores=(cls.scores if cls else None))
        if not complaint:
            withdraw_non_complaints(self.session, [entry.id], user)
        self.session.flush()
        return correction

    def _update_ledger(self, entry_ids: list[int], complaint: bool, categories: list[str] | None,
                       food_safety: bool | None, scores: dict | None = None) -> None:
        """Write the corrected labels onto the ledger rows (status confirmed / not_complaint)."""
        counts = track_ids(self.session, entry_ids)
        values: dict = {"status": "confirmed" if complaint else "not_complaint", "updated_at": utcnow()}
        if categories is not None:
            if categories:
                ranked = sorted(categories, key=lambda c: -float((scores or {}).get(c, 0) or 0))
                values["primary_category"] = ranked[0]
            values["food_safety"] = bool(food_safety)
        self.session.execute(update(LedgerEntry).where(LedgerEntry.id.in_(entry_ids)).values(**values)
                             .execution_options(synchronize_session="fetch"))
        if categories:
            self.session.execute(delete(LedgerCategory).where(LedgerCategory.entry_id.in_(entry_ids)))
            self.session.execute(insert(LedgerCategory), [
                {"entry_id": i, "category": c} for i in entry_ids for c in categories])
        counts.finish()
        self.session.expire_all()

    # bulk

    def bulk(self, action: str, user: User, entry_ids: Iterable[int], *, task_id: int | None = None,
             department_id: int | None = None) -> int:
        """Apply one bulk action to these entries (a chunk). Returns how many were changed."""
        ids = sorted({int(i) for i in entry_ids})
        if not ids:
            return 0
        if action not in BULK_ACTIONS:
            raise TriageError(f"未知操作 (unknown action): {action}")
        if action in ("confirm", "not_complaint"):
            return self._bulk_label(action, user, ids)
        if action == "attach":
            task = self.session.get(RootCauseTask, task_id) if task_id else None
            if task is None:
                raise TriageError("请填写存在的整改任务编号 (no such task)")
            return self._attach(task, ids, user)
        dept = self.session.get(Department, department_id) if department_id else None
        if dept is None:
            raise TriageError("请选择部门 (choose a department)")
        return self._attach(self._manual_task(dept, user), ids, user)

    def _bulk_label(self, action: str, user: User, ids: list[int]) -> int:
        counts = track_ids(self.session, ids)
        rows = self.session.execute(
            select(LedgerEntry.id, LedgerEntry.review_id, LedgerEntry.ticket_id, LedgerEntry.primary_category,
                   LedgerEntry.food_safety).where(LedgerEntry.id.in_(ids))
        ).all()
        review_ids = [r.review_id for r in rows if r.review_id]
        ticket_ids = [r.ticket_id for r in rows if r.ticket_id]
        cls_by = {}
        if review_ids:
            cls_by.update({("r", c.review_id): c for c in self.session.execute(
                select(Classification).where(Classification.review_id.in_(review_ids))).scalars()})
        if ticket_ids:
            cls_by.update({("t", c.ticket_id): c for c in self.session.execute(
                select(Classification).where(Classification.ticket_id.in_(ticket_ids))).scalars()})
        now = utcnow()
        corrections = []
        for r in rows:
            cls = cls_by.get(("r", r.review_id) if r.review_id else ("t", r.ticket_id))
            if action == "confirm":
                cats = list(cls.categories or []) if cls is not None else []
                cats = [c for c in CATEGORIES if c in cats] or [r.primary_category if r.primary_category in CATEGORIES else "other"]
                complaint, fs = True, bool(cls.food_safety if cls is not None else r.food_safety)
            else:
                cats, complaint, fs = [], False, False
            corrections.append({"review_id": r.review_id, "ticket_id": r.ticket_id, "user_id": user.id,
                                "complaint": complaint, "categories": cats, "food_safety": fs,
                                "previous": _prediction(cls), "created_at": now})
            if cls is not None:
                cls.complaint, cls.categories, cls.food_safety, cls.low_confidence = complaint, cats, fs, False
                cls.sources = {**{c: "manual" for c in cats}, "corrected_by": user.username}
        if corrections:
            self.session.execute(insert(LabelCorrection), corrections)
        entry_ids = [r.id for r in rows]
        if action == "confirm":
            # categories stay as predicted; only the status changes
            self.session.execute(update(LedgerEntry).where(LedgerEntry.id.in_(entry_ids))
                                 .values(status="confirmed", updated_at=now)
                                 .execution_options(synchronize_session=False))
        else:
            self.session.execute(update(LedgerEntry).where(LedgerEntry.id.in_(entry_ids))
                                 .values(status="not_complaint", updated_at=now)
                                 .execution_options(synchronize_session=False))
            withdraw_non_complaints(self.session, entry_ids, user)
        counts.finish()
        for cls in cls_by.values():  # a bulk action over a whole filter must not pile up objects
            self.session.expunge(cls)
        return len(entry_ids)

    def _manual_task(self, dept: Department, user: User) -> RootCauseTask:
        return open_manual_task(self.session, dept, user)

    def _attach(self, task: RootCauseTask, ids: list[int], user: User) -> int:
        if task.status not in ACTIVE_TASK_STATUSES:
            raise TriageError(f"任务 #{task.id} 已验证关闭，不能再关联 (task is closed)")
        # an unsure text is no complaint until a manager confirms it: it is not task evidence yet
        existing, unsure = [], 0
        for entry_id, status in self.session.execute(
                select(LedgerEntry.id, LedgerEntry.status).where(LedgerEntry.id.in_(ids))):
            if status == "unsure":
                unsure += 1
            else:
                existing.append(entry_id)
        self.skipped_unsure += unsure
        return attach_evidence(self.session, task, existing, user, lambda n: f"关联 {n} 条中差评")

    # export for retraining

    def iter_corrections_jsonl(self, chunk: int = 1000) -> Iterator[str]:
        """The latest correction of each review/ticket, in the taxonomy label format, one JSON a line."""
        for kind, col, model in (("review", LabelCorrection.review_id, Review),
                                 ("ticket", LabelCorrection.ticket_id, Ticket)):
            latest = (select(func.max(LabelCorrection.id).label("id")).where(col.is_not(None))
                      .group_by(col).subquery())
            last = 0
            while True:
                reason = Ticket.reason if kind == "ticket" else null()
                rows = self.session.execute(
                    select(LabelCorrection, model.text, reason).join(latest, latest.c.id == LabelCorrection.id)
                    .join(model, model.id == col).where(LabelCorrection.id > last)
                    .order_by(LabelCorrection.id).limit(chunk)
                ).all()
                for corr, text, why in rows:
                    subject = corr.review_id if kind == "review" else corr.ticket_id
                    row = {"id": f"{kind}-{subject}", "text": text, "complaint": bool(corr.complaint),
                           "categories": list(corr.categories or []), "food_safety": bool(corr.food_safety)}
                    if why:  # a ticket's platform reason, read by nlp beside the text (nlp.tickets)
                        row["reason"] = why
                    yield json.dumps(row, ensure_ascii=False) + "\n"
                if len(rows) < chunk:
                    break
                last = rows[-1][0].id


# --- helpers ------------------------------------------------------------------------------------

def classification_for(session: Session, entry: LedgerEntry) -> Classification | None:
    if entry.review_id:
        return session.execute(select(Classification).where(Classification.review_id == entry.review_id)).scalar_one_or_none()
    if entry.ticket_id:
        return session.execute(select(Classification).where(Classification.ticket_id == entry.ticket_id)).scalar_one_or_none()
    return None


def _unsure_reasons(entry: LedgerEntry, subject, cls: Classification | None) -> list[str]:
    """Why a text the model called no complaint still waits for a manager (its confidence in
    "no complaint" may be high: the flag also comes from the rating or a food-safety score)."""
    reasons = []
    if not (getattr(subject, "text", "") or "").strip():
        reasons.append("买家没有写文字")
    if (entry.rating_stars or 5) <= 2 or entry.rating_level == "bad":
        reasons.append("评分很低（1–2 星或差评），文字里却没有找到具体问题")
    fs = float(((cls.scores if cls else None) or {}).get("food_safety", 0) or 0)
    if fs >= 0.2:
        reasons.append(f"食品安全得分 {fs:.2f}，接近需要标记的线")
    if cls is not None and (cls.confidence or 0) < 0.5 and not reasons:
        reasons.append(f"模型置信度低（{cls.confidence:.2f}）")
    return reasons or ["模型把握不足"]


def _prediction(cls: Classification | None) -> dict | None:
    if cls is None:
        return None
    return {"model_version": cls.model_version, "complaint": bool(cls.complaint),
            "categories": list(cls.categories or []), "food_safety": bool(cls.food_safety),
            "confidence": cls.confidence, "low_confidence": bool(cls.low_confidence),
            "scores": cls.scores or {}}


def evidence_terms(evidence) -> list[str]:
    """Every string in the classifier's evidence (whatever its nesting), longest first."""
    found: set[str] = set()

    def walk(value):
        if isinstance(value, str):
            if value.strip():
                found.add(value.strip())
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)

    walk(evidence or {})
    return sorted(found, key=lambda s: (-len(s), s))[:100]


def _row_text(text: str | None, followup: str | None) -> str:
    """A queue row's text: a review's 追评 is shown after a shortened text, so a cut row still shows it."""
    text = text or ""
    if not followup:
        return text
    return f"{text[:40] + '…' if len(text) > 40 else text}【追评】{followup}"


def highlight(text: str, terms: list[str]) -> Markup:
    """Escape the text, then wrap each evidence match in <mark>. Matching is done on the raw text
    and every piece is escaped on its own, so markup in a review can never get through."""
    text = text or ""
    if not terms:
        return Markup(escape(text))
    pattern = re.compile("|".join(re.escape(t) for t in terms))
    out, pos = [], 0
    for m in pattern.finditer(text):
        out.append(escape(text[pos:m.start()]))
        out.append(Markup("<mark>") + escape(m.group(0)) + Markup("</mark>"))
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


__all__ = ["BULK_ACTIONS", "CATEGORY_LABELS", "Cursor", "Filters", "TriageError", "TriageService"]
