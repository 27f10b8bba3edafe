"""The ledger export (中差评明细表): one row per complaint of the period with every field.

Rows are streamed: one ordered query read in partitions (a server-side cursor on PostgreSQL),
its categories, tasks and reply status fetched by correlated subqueries (index lookups). Memory
stays flat however long the period. CSV is UTF-8 with a BOM (Excel detects it; GBK cannot hold emoji);
every text cell is neutralized against formula injection, in CSV and XLSX alike.
"""
from __future__ import annotations

import csv
from collections.abc import Callable, Iterator

from sqlalchemy import String, cast, func, literal_column, select
from sqlalchemy.orm import Session

from ...models import CATEGORIES, LedgerCategory, LedgerEntry, Review, RootCauseTask, Shop, TaskEvidence, Ticket
from ...models.ledger import COUNTED_STATUSES
from .labels import (
    CATEGORY_LABELS,
    LEDGER_STATUS_LABELS,
    PLATFORM_LABELS,
    RATING_LEVEL_LABELS,
    TASK_STATUS_LABELS,
    TICKET_TYPE_LABELS,
    label,
)
from .period import Period
from .safe import csv_row, xlsx_cell
from .summary import ReplyDraft

PARTITION = 2000
REPLY_STATUS_LABELS = {"draft": "草稿", "edited": "已编辑", "held": "暂缓", "approved": "已批准", "posted": "已发布"}

LEDGER_COLUMNS = [
    ("id", "台账编号"), ("source", "来源"), ("review_id", "评价ID"), ("ticket_id", "售后单ID"),
    ("platform", "平台"), ("shop", "店铺"), ("platform_order_id", "订单号"), ("sku", "SKU"),
    ("product_name", "商品名称"), ("batch_code", "批次"), ("production_date", "生产日期"),
    ("expiry_date", "到期日期"), ("shelf_life_left_ratio", "发货时剩余保质期比例"), ("near_expiry", "临期发货"),
    ("warehouse", "仓库"), ("carrier", "承运商"), ("region", "地区"), ("rating_stars", "星级"),
    ("rating_level", "评价等级"), ("primary_category", "主类别"), ("categories", "全部类别"),
    ("food_safety", "食品安全"), ("occurred_at", "发生时间"), ("week", "周"), ("month", "月"),
    ("status", "台账状态"), ("text", "评价/售后内容"), ("followup_text", "追评"), ("ticket_type", "售后类型"),
    ("ticket_reason", "售后原因"), ("amount", "金额"), ("buyer_nick", "买家昵称"), ("task_ids", "整改任务"),
    ("task_status", "任务状态"), ("reply_status", "评价解释"), ("created_at", "入账时间"),
    ("updated_at", "更新时间"),
]
HEADERS = [h for _, h in LEDGER_COLUMNS]
_CATEGORY_ORDER = {c: i for i, c in enumerate(CATEGORIES)}


def _filter(period: Period):
    start, end = period.bounds
    e = LedgerEntry
    return (e.occurred_at >= start, e.occurred_at < end, e.status.in_(COUNTED_STATUSES))


def count_ledger(session: Session, period: Period) -> int:
    return int(session.execute(select(func.count()).select_from(LedgerEntry).where(*_filter(period))).scalar() or 0)


def _agg(dialect: str, expr):
    """Comma-joined values of a correlated subquery (order fixed in Python afterwards)."""
    if dialect == "postgresql":
        return func.string_agg(expr, literal_column("','"))
    return func.group_concat(expr, literal_column("','"))


def iter_ledger(session: Session, period: Period, partition: int = PARTITION) -> Iterator[list]:
    """Rows of the ledger (lists in LEDGER_COLUMNS order), oldest first, ties by id.

    One streamed query: categories, tasks and the reply status come as correlated subqueries
    (each an index lookup), so no second round trip per partition is needed."""
    e = LedgerEntry
    dialect = session.get_bind().dialect.name
    categories = (select(_agg(dialect, LedgerCategory.category))
                  .where(LedgerCategory.entry_id == e.id).scalar_subquery())
    tasks = (select(_agg(dialect, cast(RootCauseTask.id, String) + literal_column("':'") + RootCauseTask.status))
             .select_from(TaskEvidence).join(RootCauseTask, RootCauseTask.id == TaskEvidence.task_id)
             .where(TaskEvidence.ledger_entry_id == e.id).scalar_subquery())
    reply = (select(ReplyDraft.status).where(ReplyDraft.review_id == e.review_id).limit(1).scalar_subquery()
             if ReplyDraft is not None else literal_column("NULL"))
    stmt = (
        select(
            e.id, e.review_id, e.ticket_id, e.platform, Shop.name,
            func.coalesce(Review.platform_order_id, Ticket.platform_order_id),
            e.sku, e.product_name, e.batch_code, e.production_date, e.expiry_date, e.shelf_life_left_ratio,
            e.near_expiry, e.warehouse, e.carrier, e.region, e.rating_stars, e.rating_level,
            e.primary_category, e.food_safety, e.occurred_at, e.week, e.month, e.status,
            func.coalesce(Review.text, Ticket.text), Review.followup_text, Ticket.ticket_type, Ticket.reason,
            Ticket.amount, func.coalesce(Review.buyer_nick, Ticket.buyer_nick), e.created_at, e.updated_at,
            categories, tasks, reply,
        )
        .outerjoin(Review, Review.id == e.review_id)
        .outerjoin(Ticket, Ticket.id == e.ticket_id)
        .outerjoin(Shop, Shop.id == e.shop_id)
        .where(*_filter(period))
        .order_by(e.occurred_at, e.id)
        .execution_options(yield_per=partition)
    )
    cat_label = CATEGORY_LABELS.get
    platform_label = PLATFORM_LABELS.get
    status_label = LEDGER_STATUS_LABELS.get
    for r in session.execute(stmt):
        (entry_id, review_id, ticket_id, platform, shop, order_no, sku, name, batch, prod, exp, ratio,
         near, wh, carrier, region, stars, level, category, fs, occurred, week, month, status, text,
         followup, ticket_type, reason, amount, nick, created, updated, cats, task_list, reply_status) = r
        if cats:
            cats = sorted(cats.split(","), key=lambda c: (_CATEGORY_ORDER.get(c, 99), c))
            cats = "、".join(cat_label(c, c) for c in cats)
        entry_tasks = ""
        task_states = ""
        if task_list:
            pairs = sorted((int(t), st) for t, _, st in (x.partition(":") for x in task_list.split(",")))
            entry_tasks = ",".join(str(t) for t, _ in pairs)
            task_states = "、".join(TASK_STATUS_LABELS.get(st, st) for _, st in pairs)
        yield [
            entry_id, "评价" if review_id is not None else "售后单", review_id, ticket_id,
            platform_label(platform, platform), shop, order_no, sku, name, batch, prod, exp,
            ratio, near, wh, carrier, region, stars,
            label(RATING_LEVEL_LABELS, level) if level else None,
            label(CATEGORY_LABELS, category), cats or "",
            fs, occurred, week, month, status_label(status, status), text or "", followup,
            label(TICKET_TYPE_LABELS, ticket_type) if ticket_type else None, reason,
            float(amount) if amount is not None else None, nick,
            entry_tasks, task_states,
            REPLY_STATUS_LABELS.get(reply_status, reply_status) if reply_status else None,
            created, updated,
        ]


ProgressFn = Callable[[int], None]


def _progress_every(total: int, progress: ProgressFn | None):
    step = max(total // 20, PARTITION)

    def tick(n: int):
        if progress and total and n % step == 0:
            progress(min(99, int(n * 100 / total)))

    return tick


def write_ledger_csv(session: Session, period: Period, path: str, progress: ProgressFn | None = None) -> int:
    """Stream the ledger to a CSV file (UTF-8 with BOM, CRLF). Returns the number of rows."""
    total = count_ledger(session, period) if progress else 0
    tick = _progress_every(total, progress)
    n = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(HEADERS)
        for row in iter_ledger(session, period):
            writer.writerow(csv_row(row))
            n += 1
            tick(n)
    return n


def write_ledger_xlsx(session: Session, period: Period, path: str, progress: ProgressFn | None = None) -> int:
    """Stream the ledger to an XLSX file (write-only mode). Returns the number of rows."""
    import datetime as dt

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    total = count_ledger(session, period) if progress else 0
    tick = _progress_every(total, progress)
    wb = Workbook(write_only=True)
    end = dt.datetime.combine(period.end, dt.time())
    wb.properties.created = end
    wb.properties.modified = end
    wb.properties.title = f"中差评明细表 {period.label}"
    ws = wb.create_sheet("中差评明细表")
    ws.freeze_panes = "A2"
    header = []
    for h in HEADERS:
        cell = WriteOnlyCell(ws, value=h)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    n = 0
    for row in iter_ledger(session, period):
        ws.append([xlsx_cell(v) for v in row])
        n += 1
        tick(n)
    wb.save(path)
    return n
