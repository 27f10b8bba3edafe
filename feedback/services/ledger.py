"""The negative-review ledger (中差评明细表): building entries and querying them.

Two parts:

* ``LedgerBuilder`` (used by the background pipeline): turns the classification of reviews and
  tickets into ledger entries, denormalized from review + order + product + batch (SKU, product
  name, batch, production/expiry dates, shelf life left at delivery, 临期发货 flag, warehouse,
  carrier, region, platform, rating, ISO week, month). Idempotent: running it twice for the same
  ids changes nothing the second time. A text that is no longer a complaint keeps its entry with
  status ``not_complaint`` (history and task evidence stay intact); a manager's latest
  ``LabelCorrection`` wins over the classifier. A text the classifier calls "not a complaint" with
  low confidence (and no manager has decided) gets an entry with status ``unsure``: it shows in the
  triage queue but in no count, export or root-cause task until a manager confirms it. The weekly count table (ledger_week_counts) follows
  every change in the same transaction (feedback.services.ledger_counts). Every entry it touches
  gets ``search_text``, the copy of its text the triage search reads (whatever the verdict).

* ``LedgerQuery`` (used by the web UI and exports): filtered, keyset-paginated listing, counts by
  a dimension, complaint rates per 1,000 orders where order volume is known, and week-over-week
  trend series. Every method takes a ``LedgerFilters``; build one from a request's query string
  with ``LedgerFilters.from_params(request.GET)`` (raises ``LedgerFilterError`` with a message
  ready to flash).

Example (a view)::

    q = LedgerQuery(request.dbsession)
    filters = LedgerFilters.from_params(request.GET)
    page = q.page(filters, after=request.GET.get("after"), limit=50)
    for entry in page.items: ...            # LedgerEntry, with .categories loaded
    page.next_cursor                        # pass back as ?after=... ; None on the last page
    page.prev_cursor                        # pass back as ?before=... ; None on the first page
    q.counts(filters, by="category")        # [("freshness", 12), ("logistics", 7), ...]
    q.rates(filters, by="sku")              # [RateRow(key, complaints, orders, per_1000), ...]
    q.trend(filters, weeks=12)              # [TrendPoint(week, count, change), ...]
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping

from sqlalchemy import and_, case, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased, selectinload

from ..models import (
    Batch,
    Classification,
    LabelCorrection,
    LedgerCategory,
    LedgerEntry,
    Order,
    Product,
    Review,
    Ticket,
)
from ..models.classification import CATEGORIES
from ..models.ledger import COUNTED_STATUSES, LEDGER_STATUSES
from ..params import YEARS, day_param, int_param
from .ledger_counts import CountTracker
from .workflow_config import WorkflowConfig

# Dimensions the UI may count or rate by, and the ledger column for each.
COUNT_DIMENSIONS = ("category", "sku", "batch", "carrier", "warehouse", "platform", "region",
                    "rating", "week", "month")
RATE_DIMENSIONS = ("sku", "carrier", "warehouse", "platform")
_COLUMNS = {
    "sku": LedgerEntry.sku,
    "batch": LedgerEntry.batch_code,
    "carrier": LedgerEntry.carrier,
    "warehouse": LedgerEntry.warehouse,
    "platform": LedgerEntry.platform,
    "region": LedgerEntry.region,
    "rating": LedgerEntry.rating_stars,
    "week": LedgerEntry.week,
    "month": LedgerEntry.month,
}
_ORDER_COLUMNS = {
    "sku": Order.sku,
    "carrier": Order.carrier,
    "warehouse": Order.warehouse,
    "platform": Order.platform,
}


class LedgerFilterError(ValueError):
    """Bad filter input; the message is user-facing (Chinese first)."""


def iso_week(d: dt.date | dt.datetime) -> str:
    year, week, _ = d.isocalendar()
    return f"{year}-W{week:02d}"


def week_start(week: str) -> dt.date:
    year, w = week.split("-W")
    return dt.date.fromisocalendar(int(year), int(w), 1)


def _parse_bool(name: str, value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    v = value.strip().lower()
    if v in ("1", "true", "yes", "on", "是"):
        return True
    if v in ("0", "false", "no", "off", "否"):
        return False
    raise LedgerFilterError(f"{name} 只能是 是/否 (must be true or false): {value!r}")


def _parse_date(name: str, value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return day_param(value)
    except ValueError:
        raise LedgerFilterError(f"{name} 日期格式应为 YYYY-MM-DD，{YEARS[0]}–{YEARS[1]} 年 "
                                f"(date must be YYYY-MM-DD in {YEARS[0]}-{YEARS[1]}): {value!r}") from None


@dataclasses.dataclass
class LedgerFilters:
    """All filters are optional; ``status`` None means the complaints (COUNTED_STATUSES)."""

    category: str | None = None
    sku: str | None = None
    batch: str | None = None
    carrier: str | None = None
    warehouse: str | None = None
    platform: str | None = None
    region: str | None = None
    shop_id: int | None = None
    rating: int | None = None  # stars 1..5
    rating_level: str | None = None  # good | neutral | bad
    date_from: dt.date | None = None  # inclusive, on occurred_at
    date_to: dt.date | None = None  # inclusive
    food_safety: bool | None = None
    near_expiry: bool | None = None
    status: str | None = None

    @classmethod
    def from_params(cls, params: Mapping) -> LedgerFilters:
        """Parse a query string (request.GET); empty values mean "no filter"."""

        def text(name):
            v = params.get(name)
            return v.strip() or None if isinstance(v, str) else None

        category = text("category")
        if category and category not in CATEGORIES:
            raise LedgerFilterError(f"未知类别 (unknown category): {category!r}")
        status = text("status")
        if status and status not in LEDGER_STATUSES:
            raise LedgerFilterError(f"未知状态 (unknown status): {status!r}")
        rating = text("rating")
        if rating is not None:
            if int_param(rating) not in (1, 2, 3, 4, 5):
                raise LedgerFilterError(f"评分应为 1 到 5 (rating must be 1-5): {rating!r}")
            rating = int_param(rating)
        shop_id = text("shop_id")
        if shop_id is not None:
            if int_param(shop_id) is None:
                raise LedgerFilterError(f"店铺编号无效 (invalid shop id): {shop_id!r}")
            shop_id = int_param(shop_id)
        f = cls(
            category=category, sku=text("sku"), batch=text("batch"), carrier=text("carrier"),
            warehouse=text("warehouse"), platform=text("platform"), region=text("region"),
            shop_id=shop_id, rating=rating, rating_level=text("rating_level"),
            date_from=_parse_date("开始日期 (from)", text("date_from")),
            date_to=_parse_date("结束日期 (to)", text("date_to")),
            food_safety=_parse_bool("食品安全 (food_safety)", text("food_safety")),
            near_expiry=_parse_bool("临期发货 (near_expiry)", text("near_expiry")),
            status=status,
        )
        if f.date_from and f.date_to and f.date_from > f.date_to:
            raise LedgerFilterError("开始日期晚于结束日期 (date_from is after date_to)")
        return f

    def to_params(self) -> dict[str, str]:
        """The inverse of from_params (for links that keep the current filters)."""
        out = {}
        for field in dataclasses.fields(self):
            v = getattr(self, field.name)
            if v is None:
                continue
            out[field.name] = ("true" if v else "false") if isinstance(v, bool) else str(v)
        return out

    def conditions(self) -> list:
        c = []
        if self.category:
            # An alias, correlated to the entry only: counts(by="category") selects from
            # LedgerCategory itself, which must not be swallowed by auto-correlation.
            tag = aliased(LedgerCategory)
            c.append(exists().where(tag.entry_id == LedgerEntry.id, tag.category == self.category)
                     .correlate(LedgerEntry))
        for name, col in (("sku", LedgerEntry.sku), ("batch", LedgerEntry.batch_code),
                          ("carrier", LedgerEntry.carrier), ("warehouse", LedgerEntry.warehouse),
                          ("platform", LedgerEntry.platform), ("region", LedgerEntry.region),
                          ("shop_id", LedgerEntry.shop_id), ("rating", LedgerEntry.rating_stars),
                          ("rating_level", LedgerEntry.rating_level)):
            v = getattr(self, name)
            if v is not None:
                c.append(col == v)
        if self.date_from:
            c.append(LedgerEntry.occurred_at >= dt.datetime.combine(self.date_from, dt.time()))
        if self.date_to:
            c.append(LedgerEntry.occurred_at < dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time()))
        if self.food_safety is not None:
            c.append(LedgerEntry.food_safety.is_(self.food_safety))
        if self.near_expiry is not None:
            c.append(LedgerEntry.near_expiry.is_(self.near_expiry))
        if self.status:
            c.append(LedgerEntry.status == self.status)
        else:
            c.append(LedgerEntry.status.in_(COUNTED_STATUSES))
        return c


@dataclasses.dataclass
class LedgerPage:
    items: list[LedgerEntry]
    next_cursor: str | None
    prev_cursor: str | None = None  # pass back as ?before=... ; None on the first page


@dataclasses.dataclass
class RateRow:
    key: str | None
    complaints: int
    orders: int | None  # None: order volume unknown for this key
    per_1000: float | None


@dataclasses.dataclass
class TrendPoint:
    week: str  # "2024-W09"
    count: int
    change: float | None  # vs the previous week, as a fraction (0.5 = +50%); None after a zero week


def trend_points(labels: list[str], counts: dict[str, int]) -> list[TrendPoint]:
    """One point per week label (0 where ``counts`` has none), with the change vs the week before."""
    out, prev = [], None
    for label in labels:
        n = counts.get(label, 0)
        out.append(TrendPoint(label, n, None if not prev else round((n - prev) / prev, 4)))
        prev = n
    return out


def encode_cursor(entry: LedgerEntry) -> str:
    return f"{entry.occurred_at.isoformat()}_{entry.id}"


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        at, _, ident = cursor.rpartition("_")
        return dt.datetime.fromisoformat(at), int(ident)
    except ValueError:
        raise LedgerFilterError(f"分页参数无效 (invalid cursor): {cursor!r}") from None


class LedgerQuery:
    """Read-only queries over the ledger; safe to use from GET views (no writes)."""

    def __init__(self, session: Session):
        self.session = session

    def page(self, filters: LedgerFilters, after: str | None = None, limit: int = 50,
             before: str | None = None) -> LedgerPage:
        """Entries newest first, keyset-paginated by (occurred_at desc, id desc): the page after
        the cursor ``after``, or the page just before the cursor ``before`` (read backwards along
        the same index, then reversed)."""
        limit = max(1, min(int(limit), 500))
        key = (LedgerEntry.occurred_at, LedgerEntry.id)
        backwards = bool(before) and not after
        stmt = (select(LedgerEntry).where(*filters.conditions())
                .options(selectinload(LedgerEntry.categories)).limit(limit + 1))
        if backwards:
            at, ident = decode_cursor(before)
            stmt = stmt.where(or_(key[0] > at, and_(key[0] == at, key[1] > ident))).order_by(key[0].asc(), key[1].asc())
        else:
            stmt = stmt.order_by(key[0].desc(), key[1].desc())
            if after:
                at, ident = decode_cursor(after)
                stmt = stmt.where(or_(key[0] < at, and_(key[0] == at, key[1] < ident)))
        items = list(self.session.execute(stmt).scalars())
        more = len(items) > limit
        items = items[:limit]
        if backwards:
            if not more:  # back at the start: the first page as it is now, full
                return self.page(filters, limit=limit)
            items.reverse()
            # the cursor's own entry (or what followed it) comes next
            return LedgerPage(items, encode_cursor(items[-1]), encode_cursor(items[0]))
        next_cursor = encode_cursor(items[-1]) if more else None
        prev_cursor = None if not after else (encode_cursor(items[0]) if items else after)
        return LedgerPage(items, next_cursor, prev_cursor)

    def total(self, filters: LedgerFilters) -> int:
        return self.session.execute(
            select(func.count(LedgerEntry.id)).where(*filters.conditions())).scalar_one()

    def counts(self, filters: LedgerFilters, by: str = "category", limit: int = 50) -> list[tuple]:
        """[(value, complaints)] by one dimension, most complaints first."""
        if by not in COUNT_DIMENSIONS:
            raise LedgerFilterError(f"不支持的统计维度 (unknown dimension): {by!r}")
        if by == "category":
            key = LedgerCategory.category
            stmt = (select(key, func.count()).join(LedgerEntry, LedgerEntry.id == LedgerCategory.entry_id))
        else:
            key = _COLUMNS[by]
            stmt = select(key, func.count(LedgerEntry.id))
        stmt = (stmt.where(*filters.conditions()).group_by(key)
                .order_by(func.count().desc(), key).limit(limit))
        return [(k, n) for k, n in self.session.execute(stmt)]

    def rates(self, filters: LedgerFilters, by: str = "sku", limit: int = 50) -> list[RateRow]:
        """Complaints per 1,000 orders by sku/carrier/warehouse/platform over the filtered period.

        Orders are counted from the orders table (paid_at, else shipped_at, else created_at in the
        date range, with the same sku/carrier/warehouse/platform filters); keys without known orders
        get ``orders=None, per_1000=None``.
        """
        if by not in RATE_DIMENSIONS:
            raise LedgerFilterError(f"不支持的比率维度 (unknown rate dimension): {by!r}")
        complaints = self.counts(filters, by=by, limit=limit)
        okey = _ORDER_COLUMNS[by]
        when = func.coalesce(Order.paid_at, Order.shipped_at, Order.created_at)
        cond = []
        for name in RATE_DIMENSIONS:
            v = getattr(filters, name)
            if v is not None:
                cond.append(_ORDER_COLUMNS[name] == v)
        if filters.date_from:
            cond.append(when >= dt.datetime.combine(filters.date_from, dt.time()))
        if filters.date_to:
            cond.append(when < dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time()))
        keys = [k for k, _ in complaints if k is not None]
        orders = {}
        if keys:
            orders = dict(self.session.execute(
                select(okey, func.count(Order.id)).where(*cond, okey.in_(keys)).group_by(okey)).all())
        rows = []
        for k, n in complaints:
            o = orders.get(k)
            rows.append(RateRow(k, n, o, round(n * 1000.0 / o, 2) if o else None))
        return rows

    def trend(self, filters: LedgerFilters, weeks: int = 12, end: dt.date | None = None) -> list[TrendPoint]:
        """Weekly complaint counts for the ``weeks`` ISO weeks ending at ``end`` (default: the
        filter's date_to, else the newest entry), zero-filled, with the week-over-week change."""
        weeks = max(1, min(int(weeks), 104))
        conds = filters.conditions()
        if end is None:
            end = filters.date_to
        if end is None:
            newest = self.session.execute(select(func.max(LedgerEntry.occurred_at)).where(*conds)).scalar()
            end = (newest or dt.datetime.now()).date()
        last = week_start(iso_week(end))
        labels = [iso_week(last - dt.timedelta(weeks=i)) for i in range(weeks - 1, -1, -1)]
        counts = dict(self.session.execute(
            select(LedgerEntry.week, func.count(LedgerEntry.id))
            .where(*conds, LedgerEntry.week.in_(labels)).group_by(LedgerEntry.week)).all())
        return trend_points(labels, counts)

    def trend_by_category(self, filters: LedgerFilters, weeks: int = 12) -> dict[str, list[TrendPoint]]:
        """One weekly series per category that has complaints under the filters."""
        out = {}
        for category, _ in self.counts(filters, by="category"):
            out[category] = self.trend(dataclasses.replace(filters, category=category), weeks=weeks)
        return out


# ---------------------------------------------------------------------------------------------
# Building entries (the background pipeline)
# ---------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Verdict:
    """What the ledger believes about one text: the latest correction, else the classifier."""

    complaint: bool
    categories: list[str]
    food_safety: bool
    scores: dict
    evidence: dict
    low_confidence: bool = False  # the classifier's flag (a correction is never low-confidence)
    corrected: bool = False  # a manager's LabelCorrection decided it

    @property
    def unsure(self) -> bool:
        """"Not a complaint" said by the classifier with low confidence: a manager must decide."""
        return not self.complaint and self.low_confidence and not self.corrected


def guess_category(scores: dict) -> str:
    """The best-scoring category of a text the classifier did not call a complaint ("other" if none
    scored): what the triage row shows and what "confirm" keeps unless the manager changes it."""
    best = max(CATEGORIES, key=lambda c: (float(scores.get(c, 0) or 0), -CATEGORIES.index(c)))
    return best if float(scores.get(best, 0) or 0) > 0 else "other"


def with_followup(text: str | None, followup: str | None) -> str | None:
    """A review as the classifier and the triage search read it: its text, then its 追评 on the
    next line when it has one."""
    return f"{text or ''}\n{followup}" if followup else text


def search_copy(item: Review | Ticket) -> str | None:
    """What the triage search reads of a review or ticket: a review's text and its 追评, a
    ticket's platform reason and its description (the classifier reads the same), one per line."""
    if isinstance(item, Review):
        return with_followup(item.text, item.followup_text)
    return f"{item.reason}\n{item.text or ''}" if item.reason else item.text


def search_copy_sql(model):
    """``search_copy`` as a SQL expression over ``model``'s columns (the same string)."""
    if model is Review:
        first, extra, join = Review.text, Review.followup_text, lambda a, b: a + "\n" + b
    else:
        first, extra, join = Ticket.text, Ticket.reason, lambda a, b: b + "\n" + a
    return case((func.coalesce(extra, "") == "", first), else_=join(func.coalesce(first, ""), extra))


def refresh_search_text(session: Session, review_ids: Iterable[int] = (), ticket_ids: Iterable[int] = (),
                        chunk: int = 1000) -> None:
    """Copy the current text of these reviews/tickets into their ledger entries' ``search_text``
    (the triage search's copy), in one UPDATE per chunk; items without an entry are untouched.
    The importer calls it when it changes a stored text, so a search finds the new text at once,
    before the worker reclassifies it (LedgerBuilder.sync writes the same copy then)."""
    for model, fk, ids in ((Review, LedgerEntry.review_id, sorted(set(review_ids))),
                           (Ticket, LedgerEntry.ticket_id, sorted(set(ticket_ids)))):
        for lo in range(0, len(ids), chunk):
            text = select(search_copy_sql(model)).where(model.id == fk).scalar_subquery()
            session.execute(update(LedgerEntry).where(fk.in_(ids[lo:lo + chunk])).values(search_text=text)
                            .execution_options(synchronize_session=False))


def _raw_product_name(item) -> str | None:
    name = (item.raw or {}).get("product_name") if isinstance(item.raw, dict) else None
    return str(name)[:300] if name else None


def shelf_life_left(production: dt.date | None, expiry: dt.date | None,
                    delivered: dt.date | None) -> float | None:
    """Share of the total shelf life left on the delivery day, clamped to 0..1."""
    if not (production and expiry and delivered) or expiry <= production:
        return None
    share = (expiry - delivered).days / (expiry - production).days
    return max(0.0, min(1.0, round(share, 4)))


class LedgerBuilder:
    def __init__(self, session: Session, config: WorkflowConfig | None = None):
        self.session = session
        self.config = config or WorkflowConfig()

    # -- verdicts ---------------------------------------------------------------------------
    def _verdicts(self, column, ids: list[int]) -> dict[int, Verdict]:
        subject = Classification.review_id if column == "review" else Classification.ticket_id
        ccol = LabelCorrection.review_id if column == "review" else LabelCorrection.ticket_id
        out: dict[int, Verdict] = {}
        for c in self.session.execute(select(Classification).where(subject.in_(ids))).scalars():
            out[getattr(c, column + "_id")] = Verdict(c.complaint, list(c.categories or []),
                                                      bool(c.food_safety), dict(c.scores or {}),
                                                      dict(c.evidence or {}), bool(c.low_confidence))
        for lc in self.session.execute(
                select(LabelCorrection).where(ccol.in_(ids)).order_by(LabelCorrection.id)).scalars():
            key = getattr(lc, column + "_id")
            prev = out.get(key)
            out[key] = Verdict(lc.complaint, list(lc.categories or []), bool(lc.food_safety),
                               prev.scores if prev else {}, prev.evidence if prev else {}, corrected=True)
        return out

    def _orders(self, items) -> dict[int, Order]:
        """item.id -> its order line: by order_id, else by platform order number (+ SKU)."""
        by_id = {i.order_id for i in items if i.order_id}
        numbers = {(i.platform, i.platform_order_id) for i in items if not i.order_id and i.platform_order_id}
        loaded: dict[int, Order] = {}
        if by_id:
            for o in self.session.execute(select(Order).where(Order.id.in_(by_id)).options(
                    selectinload(Order.batch), selectinload(Order.product))).scalars():
                loaded[o.id] = o
        by_number: dict[tuple, list[Order]] = {}
        if numbers:
            for o in self.session.execute(select(Order).where(
                    Order.platform_order_id.in_({n for _, n in numbers})).options(
                    selectinload(Order.batch), selectinload(Order.product))).scalars():
                by_number.setdefault((o.platform, o.platform_order_id), []).append(o)
        out = {}
        for item in items:
            if item.order_id:
                o = loaded.get(item.order_id)
            else:
                candidates = by_number.get((item.platform, item.platform_order_id), [])
                o = next((c for c in candidates if item.sku and c.sku == item.sku), None) or \
                    (candidates[0] if candidates else None)
            if o is not None:
                out[item.id] = o
        return out

    # -- sync -------------------------------------------------------------------------------
    def sync(self, review_ids: Iterable[int] = (), ticket_ids: Iterable[int] = ()) -> list[LedgerEntry]:
        """Create/update/retire the ledger entries of these items. Returns the entries that are
        complaints after the sync (the input of root-cause grouping)."""
        complaints: list[LedgerEntry] = []
        review_ids, ticket_ids = sorted(set(review_ids)), sorted(set(ticket_ids))
        # The weekly counts follow these entries; their rows are locked first, all in one id-ordered
        # statement, so nobody changes them meanwhile and two writers always lock in the same order.
        counts = CountTracker(self.session, or_(LedgerEntry.review_id.in_(review_ids),
                                                LedgerEntry.ticket_id.in_(ticket_ids)))
        for kind, model, ids in (("review", Review, review_ids), ("ticket", Ticket, ticket_ids)):
            if not ids:
                continue
            fk = LedgerEntry.review_id if kind == "review" else LedgerEntry.ticket_id
            verdicts = self._verdicts(kind, ids)
            items = self.session.execute(select(model).where(model.id.in_(ids))).scalars().all()
            orders = self._orders(items)
            product_ids = {i.product_id for i in items if i.product_id}
            products = {p.id: p for p in self.session.execute(
                select(Product).where(Product.id.in_(product_ids))).scalars()} if product_ids else {}
            existing = {getattr(e, kind + "_id"): e for e in self.session.execute(
                select(LedgerEntry).where(fk.in_(ids)).options(selectinload(LedgerEntry.categories))
            ).scalars()}
            for item in items:
                verdict = verdicts.get(item.id)
                entry = existing.get(item.id)
                copy = search_copy(item)
                if entry is not None and entry.search_text != copy:
                    entry.search_text = copy  # the triage search's copy, whatever the verdict
                if verdict is None:
                    continue  # not classified yet
                if not verdict.complaint and not verdict.unsure:
                    if entry is not None and entry.status != "not_complaint":
                        entry.status = "not_complaint"
                    continue
                if entry is None:
                    entry = LedgerEntry(**{kind + "_id": item.id})
                    with self.session.no_autoflush:
                        self._fill(entry, item, kind, verdict, orders.get(item.id), products.get(item.product_id))
                    self.session.add(entry)
                else:
                    with self.session.no_autoflush:
                        self._fill(entry, item, kind, verdict, orders.get(item.id), products.get(item.product_id))
                if verdict.unsure:
                    # in the triage queue, out of every count until a manager confirms it
                    entry.status = "unsure"
                    continue
                if entry.status in ("not_complaint", "unsure") or entry.status is None:
                    entry.status = "new"
                complaints.append(entry)
        self.session.flush()
        counts.finish()
        return complaints

    def _fill(self, entry: LedgerEntry, item, kind: str, verdict: Verdict, order: Order | None,
              product: Product | None) -> None:
        product = product or (order.product if order else None)
        if product is None and item.sku:
            product = self.session.execute(select(Product).where(Product.sku == item.sku)).scalar_one_or_none()
        batch: Batch | None = order.batch if order else None
        production = batch.production_date if batch else None
        expiry = batch.expiry_date if batch else None
        if expiry is None and production and product and product.shelf_life_days:
            expiry = production + dt.timedelta(days=product.shelf_life_days)
        delivered_at = (order.signed_at or order.shipped_at) if order else None
        ratio = shelf_life_left(production, expiry, delivered_at.date() if delivered_at else None)
        if kind == "review":
            occurred = item.reviewed_at or item.created_at
            stars, level = item.rating_stars, item.rating_level
        else:
            occurred = item.opened_at or item.created_at
            stars, level = None, None
        categories = [c for c in verdict.categories if c in CATEGORIES] or \
            [guess_category(verdict.scores) if verdict.unsure else "other"]
        primary = max(categories, key=lambda c: (float(verdict.scores.get(c, 0) or 0), -categories.index(c)))

        values = dict(
            platform=item.platform,
            shop_id=item.shop_id or (order.shop_id if order else None),
            sku=item.sku or (order.sku if order and order.sku else None) or (product.sku if product else None),
            # a dish or product without a SKU (Meituan 菜品, 有赞 商品名称) is named in raw only
            product_name=(product.name if product and product.name else None) or _raw_product_name(item),
            batch_code=batch.batch_code if batch else None,
            production_date=production,
            expiry_date=expiry,
            shelf_life_left_ratio=ratio,
            near_expiry=ratio is not None and ratio < self.config.near_expiry_share,
            warehouse=order.warehouse if order else None,
            carrier=order.carrier if order else None,
            region=order.region if order else None,
            rating_stars=stars,
            rating_level=level,
            primary_category=primary,
            food_safety=verdict.food_safety,
            occurred_at=occurred,
            week=iso_week(occurred),
            month=occurred.strftime("%Y-%m"),
            search_text=search_copy(item),
        )
        for k, v in values.items():
            if getattr(entry, k) != v:
                setattr(entry, k, v)
        have = {c.category for c in entry.categories}
        want = set(categories)
        if have != want:
            for c in list(entry.categories):
                if c.category not in want:
                    entry.categories.remove(c)
            for c in sorted(want - have):
                entry.categories.append(LedgerCategory(category=c))
