"""Store reviews and tickets: one code path for files (CLI, demo) and the JSON API.

Speed and safety come from the same place: rows are written with set-based statements
(``INSERT ... ON CONFLICT DO NOTHING RETURNING`` in batches, one ``SELECT ... IN`` per batch for
what already exists, ``executemany`` updates only for rows that changed), never one ORM object or
one SELECT per row. The unique constraints ``(platform, dedupe_key)`` on reviews and tickets, and
the natural keys of shops, products, batches and orders, make two concurrent imports of
overlapping files safe on SQLite and PostgreSQL alike. Every table is written in key order, so
two PostgreSQL transactions take their row locks in the same order and cannot deadlock each other
(a retry on deadlock/serialization errors remains as a safety net in ``run_import``).
"""
from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import any_, bindparam, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ..models import Batch, ImportBatch, Order, Product, RejectedRow, Review, Shop, Ticket
from ..models.meta import utcnow
from ..services.ledger import refresh_search_text
from ..services.outbox import request_classification
from .errors import ImportFileError
from .headers import PLATFORM_LABELS, load_mapping, normalize_platform, platform_choices
from .platform_evidence import SIBLINGS, order_number_platform, settle_sibling, tmall_hint
from .readers import Table, read_file, read_records
from .records import (MUTABLE, RowError, build_record, content_hash, normalized_text, raw_json, same_content,
                      same_key_reason)

log = logging.getLogger(__name__)

CHUNK = 1000
ANALYZE_AFTER = 2000  # rows inserted by one import
KINDS = ("reviews", "tickets")
STATUS_CODES = {"created": 201, "updated": 200, "duplicate": 409, "error": 422}


@dataclass
class ItemResult:
    index: int
    status: str  # created | updated | duplicate | error
    id: int | None = None
    external_id: str | None = None
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        out = {"index": self.index, "status": self.status, "code": STATUS_CODES[self.status]}
        if self.id is not None:
            out["id"] = self.id
        if self.external_id:
            out["external_id"] = self.external_id
        if self.errors:
            out["errors"] = self.errors
        return out


@dataclass
class ImportResult:
    kind: str
    import_batch_id: int | None = None
    inserted: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: int = 0
    total_rows: int = 0
    filename: str | None = None
    file_format: str | None = None
    encoding: str | None = None
    header_family: str | None = None
    platform: str | None = None
    notes: list[str] = field(default_factory=list)
    items: list[ItemResult] = field(default_factory=list)
    changed_ids: list[int] = field(default_factory=list)

    def as_dict(self, rejected_samples: int = 20) -> dict:
        errors = [{"row": i.index, "reason": "；".join(i.errors)} for i in self.items if i.status == "error"]
        return {
            "kind": self.kind,
            "inserted": self.inserted,
            "updated": self.updated,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "total_rows": self.total_rows,
            "import_batch_id": self.import_batch_id,
            "file": self.filename,
            "format": self.file_format,
            "encoding": self.encoding,
            "header_family": self.header_family,
            "platform": self.platform,
            "notes": self.notes,
            "rejected_rows": errors[:rejected_samples],
        }


# -- front doors ------------------------------------------------------------------------------

def import_file(session: Session, path: str | Path, kind: str, *, platform: str | None = None,
                mapping: str | Path | None = None, created_by: str | None = None,
                source: str = "file") -> ImportResult:
    """Read and store one file. ImportFileError (nothing written) when it is not a readable table."""
    _check_kind(kind)
    platform = check_platform(platform)
    mapping_obj = load_mapping(mapping, kind) if mapping else None
    table = read_file(path, kind, mapping_obj)
    check_file_platform(table, platform)
    return import_table(session, table, kind, platform=platform, filename=Path(path).name,
                        created_by=created_by, source=source)


def check_file_platform(table: Table, platform: str | None) -> None:
    """A file must say which platform exported it: --platform, the mapping's or the JSON body's
    platform, a 平台 column, or a header only one platform writes. Guessing from shared columns
    would file every row under a wrong platform (where a later import with the right one would
    add each review again), so such a file is refused as a whole, nothing written.
    A title line's platform is said in a note."""
    header = table.header
    if platform or table.platform:
        return
    if header.platform:
        if header.title_platform:
            name = PLATFORM_LABELS.get(header.title_platform, header.title_platform)
            table.notes.append(f"平台取自表头上方的标题行：{name} / platform taken from the title line: "
                               f"{header.title_platform}")
        return
    if "platform" in header.fields.values():
        return
    if order_number_platform(table) == "pdd":
        header.platform = "pdd"
        table.notes.append("平台取自订单号的格式（拼多多的订单号形如 261103-…）/ platform taken from the order "
                           "number format (Pinduoduo's look like 261103-…): pdd")
        return
    hint = ""
    if header.store_columns:
        hint = ("表头像门店（外卖/到家）导出，美团、饿了么、京东到家都用这些列 / the header looks like a store "
                "export, as Meituan, Ele.me and JD Daojia all write it. ")
    raise ImportFileError(
        "无法从表头判断平台：请用 --platform 指定 / the header does not tell which platform exported this "
        f"file: pass --platform. {hint}可用 / choices: {platform_choices()}")


def import_items(session: Session, kind: str, items: list, *, platform: str | None = None,
                 created_by: str | None = None) -> ImportResult:
    """The JSON API: canonical English field names; rejected items are answered, not stored,
    and when every item is bad nothing at all is written."""
    _check_kind(kind)
    table = read_records(items, kind, platform=check_platform(platform))
    return import_table(session, table, kind, platform=None, filename=None, created_by=created_by,
                        source="api", keep_rejected=False, reject_repeats=False)


def run_import(session_factory, fn, attempts: int = 3):
    """Run fn(session) in its own transaction and commit; retry on deadlock/serialization/locked."""
    for attempt in range(1, attempts + 1):
        session = session_factory()
        try:
            result = fn(session)
            session.commit()
            return result
        except DBAPIError as exc:
            session.rollback()
            if attempt < attempts and retryable_error(exc):
                log.warning("import retried after %s", exc.orig)
                continue
            raise
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


def retryable_error(exc: DBAPIError) -> bool:
    """A deadlock or serialization failure (PostgreSQL), or SQLite's writer lock not obtained in
    time: the whole transaction may simply be run again."""
    code = getattr(exc.orig, "sqlstate", None)
    return code in ("40P01", "40001") or "database is locked" in str(exc.orig)


def check_platform(platform: str | None) -> str | None:
    if platform is None or platform == "":
        return None
    code = normalize_platform(platform)
    if code is None:
        raise ImportFileError(f"未知平台 / unknown platform: {platform} ({platform_choices()})")
    return code


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")


# -- the one path -----------------------------------------------------------------------------

def import_table(session: Session, table: Table, kind: str, *, platform: str | None, filename: str | None,
                 created_by: str | None = None, source: str = "file", keep_rejected: bool = True,
                 reject_repeats: bool = True) -> ImportResult:
    """``reject_repeats``: a row repeating an earlier row's key with other content is rejected (a
    file); without it the later one is merged into the first (an API body, sent again as it was)."""
    header = table.header
    default_platform = normalize_platform(table.platform) if table.platform else header.platform
    result = ImportResult(kind=kind, filename=filename, file_format=table.file_format, encoding=table.encoding,
                          header_family=header.family, platform=platform or default_platform,
                          total_rows=len(table.rows), notes=list(table.notes))
    accepted, rejected = _build_rows(table, kind, platform, default_platform, reject_repeats)
    result.rejected = len(rejected)
    records = [rec for _, rec in accepted]
    result.notes += _fraction_notes(records)
    # Taobao and Tmall share a header: a header-read platform yields to where the records are stored
    header_decides = (platform is None and table.platform is None and header.family != "mapping"
                      and "platform" not in header.fields.values())
    if header_decides and result.platform in SIBLINGS and records:
        result.platform, moved = settle_sibling(session, kind, records, result.platform)
        result.notes += [moved] if moved else []
    errors_by_row = {number: reason for number, _, reason in rejected}

    if not accepted and not keep_rejected:
        result.items = [ItemResult(n, "error", errors=errors_by_row[n].split("；")) for n, _, _ in rejected]
        return result

    now = utcnow()
    batch = ImportBatch(kind=kind, source=source, filename=(filename or "")[:500] or None,
                        file_format=table.file_format, encoding=table.encoding, platform=result.platform,
                        header_family=header.family, total_rows=len(table.rows), created_by=created_by)
    session.add(batch)
    session.flush()
    result.import_batch_id = batch.id
    hint = tmall_hint(records, batch.id) if header_decides and result.platform == "taobao" else None
    result.notes += [hint] if hint else []

    shop_ids = _store_shops(session, records, now)
    product_ids = _store_products(session, records, now)
    batch_ids = _store_batches(session, records, product_ids, now)
    order_ids = _store_orders(session, records, shop_ids, product_ids, batch_ids, now)

    rows = []
    for number, rec in accepted:
        row = _main_row(kind, rec, shop_ids, product_ids, order_ids)
        row.update(import_batch_id=batch.id, created_at=now, updated_at=now)
        rows.append((number, rec, row))
    statuses, ids = _store_main(session, kind, rows, batch.id)

    for number, rec, row in rows:
        status = statuses[number]
        if status == "created":
            result.inserted += 1
        elif status == "updated":
            result.updated += 1
        else:
            result.duplicates += 1
    item_by_row = {number: ItemResult(number, statuses[number], ids[(row["platform"], row["dedupe_key"])],
                                      rec.get("external_id")) for number, rec, row in rows}
    for number, _, reason in rejected:
        item_by_row[number] = ItemResult(number, "error", errors=reason.split("；"))
    result.items = [item_by_row[n] for n in sorted(item_by_row)]

    if keep_rejected and rejected:
        table_ = RejectedRow.__table__
        params = [{"import_batch_id": batch.id, "row_number": n, "raw": raw, "reason": reason, "created_at": now}
                  for n, raw, reason in rejected]
        for chunk in _chunks(params, CHUNK):
            session.execute(table_.insert(), chunk)

    batch.inserted, batch.updated = result.inserted, result.updated
    batch.duplicates, batch.rejected = result.duplicates, result.rejected
    batch.notes = result.notes or None
    batch.finished_at = utcnow()
    changed = sorted({i.id for i in result.items if i.status in ("created", "updated") and i.id is not None})
    result.changed_ids = changed
    # A stored text that changed: its ledger entry's search copy follows now (a new text has no
    # entry yet, so the first import writes nothing here).
    updated = sorted({i.id for i in result.items if i.status == "updated" and i.id is not None})
    if updated:
        refresh_search_text(session, **{("review_ids" if kind == "reviews" else "ticket_ids"): updated})
    if changed:
        if kind == "reviews":
            request_classification(session, review_ids=changed)
        else:
            request_classification(session, ticket_ids=changed)
    session.flush()
    return result


def _fraction_notes(records: list[dict]) -> list[str]:
    """Ratings like 4.5 are read as whole stars: the batch says how many and how."""
    read = {}
    for rec in records:
        if rec.get("rating_fraction") is not None:
            pair = (rec["rating_fraction"], rec["rating_stars"])
            read[pair] = read.get(pair, 0) + 1
    if not read:
        return []
    shown = ", ".join(f"{value:g} → {stars} (×{n})" for (value, stars), n in sorted(read.items()))
    total = sum(read.values())
    were = "ratings were" if total > 1 else "rating was"
    return [f"{total} 条评分带小数，按最接近的整星读取，半星向下取整，原值留在 raw / {total} {were} fractional: "
            f"read as the nearest whole star, a half star rounded down, the value as exported kept in raw: {shown}"]


def _build_rows(table: Table, kind: str, platform: str | None, default_platform: str | None,
                reject_repeats: bool) -> tuple[list[tuple[int, dict]], list[tuple[int, str, str]]]:
    """(row number, record) for the good rows, (row number, raw JSON, reason) for the bad ones."""
    header = table.header
    accepted: list[tuple[int, dict]] = []
    rejected: list[tuple[int, str, str]] = []
    first_of_key: dict[tuple, tuple[int, dict]] = {}
    for row in table.rows:
        if row.error:
            rejected.append((row.number, raw_json(header, row.cells, row.raw_text), row.error))
            continue
        try:
            rec = build_record(kind, header, row.cells, platform_override=platform, platform_default=default_platform)
        except RowError as exc:
            rejected.append((row.number, raw_json(header, row.cells), "；".join(exc.reasons)))
            continue
        first = first_of_key.setdefault((rec["platform"], rec["dedupe_key"]), (row.number, rec))
        if reject_repeats and first[1] is not rec and not same_content(kind, first[1], rec):
            rejected.append((row.number, raw_json(header, row.cells), same_key_reason(first[0], rec["dedupe_key"])))
            continue
        accepted.append((row.number, rec))
    return accepted, rejected


# -- the related rows: shops, products, batches, orders (created or filled in, never overwritten) --

def _store_shops(session, records, now) -> dict:
    wanted = {}
    for rec in records:
        if rec["shop"]:
            wanted.setdefault((rec["platform"], rec["shop"]), {"platform": rec["platform"], "name": rec["shop"],
                                                               "created_at": now})
    return _ensure(session, Shop.__table__, ("platform", "name"), wanted, fill=())


def _store_products(session, records, now) -> dict:
    wanted: dict = {}
    for rec in records:
        if not rec["sku"]:
            continue
        row = wanted.setdefault((rec["sku"],), {"sku": rec["sku"], "name": "", "category": None,
                                                "shelf_life_days": None, "created_at": now})
        row["name"] = row["name"] or rec["product_name"] or ""
        row["category"] = row["category"] or rec["product_category"]
        row["shelf_life_days"] = row["shelf_life_days"] or rec["shelf_life_days"]
    return _ensure(session, Product.__table__, ("sku",), wanted, fill=("name", "category", "shelf_life_days"))


def _store_batches(session, records, product_ids, now) -> dict:
    wanted: dict = {}
    for rec in records:
        if not (rec["sku"] and rec["batch_code"]):
            continue
        product_id = product_ids[(rec["sku"],)]
        row = wanted.setdefault((product_id, rec["batch_code"]), {
            "product_id": product_id, "batch_code": rec["batch_code"], "production_date": None,
            "expiry_date": None, "created_at": now})
        row["production_date"] = row["production_date"] or rec["production_date"]
        row["expiry_date"] = row["expiry_date"] or rec["expiry_date"]
    return _ensure(session, Batch.__table__, ("product_id", "batch_code"), wanted,
                   fill=("production_date", "expiry_date"))


_ORDER_FILL = ("shop_id", "product_id", "batch_id", "warehouse", "carrier", "waybill", "region", "paid_at",
               "shipped_at", "signed_at")


def _store_orders(session, records, shop_ids, product_ids, batch_ids, now) -> dict:
    wanted: dict = {}
    for rec in records:
        if not rec["order_id"]:
            continue
        key = (rec["platform"], rec["order_id"], rec["sku"] or "")
        product_id = product_ids.get((rec["sku"],)) if rec["sku"] else None
        facts = {
            "shop_id": shop_ids.get((rec["platform"], rec["shop"])) if rec["shop"] else None,
            "product_id": product_id,
            "batch_id": batch_ids.get((product_id, rec["batch_code"])) if product_id and rec["batch_code"] else None,
            **{name: rec[name] for name in ("warehouse", "carrier", "waybill", "region", "paid_at", "shipped_at",
                                            "signed_at")},
        }
        row = wanted.get(key)
        if row is None:
            wanted[key] = {"platform": key[0], "platform_order_id": key[1], "sku": key[2],
                           "quantity": rec["quantity"] or 1, "raw": {}, "created_at": now, **facts}
        else:
            for name, value in facts.items():
                if row[name] is None:
                    row[name] = value
    return _ensure(session, Order.__table__, ("platform", "platform_order_id", "sku"), wanted, fill=_ORDER_FILL)


def _ensure(session, table, key_cols, wanted: dict, fill) -> dict:
    """Insert the missing rows, fill empty columns of existing ones; returns key -> id."""
    ids: dict = {}
    for chunk in _chunks(_sorted(wanted), CHUNK):
        existing = _fetch(session, table, key_cols, chunk, ("id",) + tuple(fill))
        new = [wanted[k] for k in chunk if k not in existing]
        if new:
            inserted = _insert(session, table, key_cols, new)
            ids.update(inserted)
            missing = [k for k in chunk if k not in existing and k not in inserted]
            if missing:  # a concurrent import inserted them a moment ago
                existing.update(_fetch(session, table, key_cols, missing, ("id",) + tuple(fill)))
        updates = []
        for key, old in existing.items():
            ids[key] = old["id"]
            changes = {c: wanted[key][c] for c in fill
                       if old[c] in (None, "") and wanted[key][c] not in (None, "")}
            if changes:
                updates.append((old["id"], changes))
        _update_rows(session, table, updates)
    return ids


# -- reviews and tickets ----------------------------------------------------------------------

def _main_row(kind, rec, shop_ids, product_ids, order_ids) -> dict:
    row = {
        "platform": rec["platform"],
        "dedupe_key": rec["dedupe_key"][:200],
        "external_id": rec["external_id"],
        "shop_id": shop_ids.get((rec["platform"], rec["shop"])) if rec["shop"] else None,
        "order_id": order_ids.get((rec["platform"], rec["order_id"], rec["sku"] or "")) if rec["order_id"] else None,
        "platform_order_id": rec["order_id"],
        "product_id": product_ids.get((rec["sku"],)) if rec["sku"] else None,
        "sku": rec["sku"],
        "text": rec["text"],
        "buyer_nick": rec["buyer_nick"],
        "raw": rec["raw"],
    }
    if kind == "reviews":
        row.update({name: rec[name] for name in ("rating_stars", "rating_level", "followup_text", "followup_at",
                                                 "image_count", "buyer_tier", "reviewed_at")})
    else:
        row.update({name: rec[name] for name in ("ticket_type", "reason", "amount", "status", "opened_at",
                                                 "closed_at")})
    return row


def _merge(kind, old: dict, new: dict) -> dict:
    """New non-empty values win; what the new row does not say keeps its old value."""
    merged = {}
    for name in MUTABLE[kind]:
        value, previous = new.get(name), old.get(name)
        if value is None or value == "":
            value = previous
        elif name in _TEXTS and previous and normalized_text(value) == normalized_text(previous):
            value = previous  # only whitespace or full-width forms differ: not a change
        merged[name] = value
    return merged


_TEXTS = ("text", "followup_text", "reason")


def _store_main(session, kind, rows, batch_id):
    """Insert/update the reviews or tickets. Returns ({row number: status}, {key: id})."""
    table = (Review if kind == "reviews" else Ticket).__table__
    mutable = MUTABLE[kind]
    statuses: dict[int, str] = {}
    # Collapse repeats inside the file: later rows merge into the first.
    by_key: dict[tuple, dict] = {}
    first_row: dict[tuple, int] = {}
    legacy: dict[tuple, list] = {}  # key -> the keys the same review may be stored under from before
    for number, rec, row in rows:
        key = (row["platform"], row["dedupe_key"])
        if rec.get("legacy_keys"):
            legacy.setdefault(key, [(row["platform"], k) for k in rec["legacy_keys"]])
        if key not in by_key:
            by_key[key] = dict(row)
            first_row[key] = number
            continue
        merged = _merge(kind, by_key[key], row)
        statuses[number] = "updated" if any(merged[c] != by_key[key][c] for c in mutable) else "duplicate"
        by_key[key].update(merged)
    for row in by_key.values():
        row["content_hash"] = content_hash(kind, row)

    ids: dict = {}
    key_status: dict = {}
    cols = ("id", "content_hash") + mutable
    for chunk in _chunks(_sorted(by_key), CHUNK):
        existing = _fetch(session, table, ("platform", "dedupe_key"), chunk, cols)
        rekeyed = _find_legacy(session, table, [k for k in chunk if k not in existing and k in legacy], legacy,
                               cols, existing)
        new = [_insertable(kind, by_key[k]) for k in chunk if k not in existing]
        if new:
            inserted = _insert(session, table, ("platform", "dedupe_key"), new)
            for key, id_ in inserted.items():
                ids[key] = id_
                key_status[key] = "created"
            missing = [k for k in chunk if k not in existing and k not in inserted]
            if missing:  # a concurrent import inserted them a moment ago
                existing.update(_fetch(session, table, ("platform", "dedupe_key"), missing, cols))
        updates = []
        for key, old in existing.items():
            ids[key] = old["id"]
            new_row = by_key[key]
            rekey = {"dedupe_key": key[1]} if key in rekeyed else {}
            if old["content_hash"] == new_row["content_hash"]:
                key_status[key] = "duplicate"
                if rekey:  # the same review, stored under its old key: only the key changes
                    updates.append((old["id"], rekey))
                continue
            merged = _merge(kind, old, new_row)
            if all(_same(merged[c], old[c]) for c in mutable):
                key_status[key] = "duplicate"
                if rekey:
                    updates.append((old["id"], rekey))
                continue
            merged.update(rekey)
            merged["content_hash"] = content_hash(kind, merged)
            merged["import_batch_id"] = batch_id
            merged["raw"] = new_row["raw"] or None
            if merged["raw"] is None:
                del merged["raw"]
            key_status[key] = "updated"
            updates.append((old["id"], merged))
        _update_rows(session, table, updates)
    for key, number in first_row.items():
        statuses[number] = key_status[key]
    # A repeat whose key changed nothing stored is a duplicate too: re-sending a batch that
    # repeats an id must answer "duplicate" for every row (and queue no classification).
    for number, _rec, row in rows:
        if key_status[(row["platform"], row["dedupe_key"])] == "duplicate":
            statuses[number] = "duplicate"
    return statuses, ids


def _find_legacy(session, table, keys: list, legacy: dict, cols, existing: dict) -> set:
    """Reviews stored before they were keyed by order and product were keyed by a content hash
    (which held the nickname, rating and text: a re-export with a masked nickname or an edited
    review hashed anew), or by their order alone when the dish column was not read yet. Those found
    under an old key join ``existing`` as the row to update, and are re-keyed; returns the keys
    that were found so."""
    if not keys:
        return set()
    found = _fetch(session, table, ("platform", "dedupe_key"), sorted({old for k in keys for old in legacy[k]}), cols)
    taken = {row["id"] for row in existing.values()}
    rekeyed = set()
    for key in keys:
        row = next((found[old] for old in legacy[key] if old in found and found[old]["id"] not in taken), None)
        if row is not None:
            existing[key] = row
            taken.add(row["id"])
            rekeyed.add(key)
    return rekeyed


def _insertable(kind, row: dict) -> dict:
    if kind == "reviews" and row["image_count"] is None:
        return {**row, "image_count": 0}
    return row


def _same(a, b) -> bool:
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return a.replace(tzinfo=None) == b.replace(tzinfo=None)
    return a == b


# -- set-based helpers ------------------------------------------------------------------------

def _sorted(keys) -> list:
    try:
        return sorted(keys)
    except TypeError:  # None mixed with values
        return sorted(keys, key=_sort_key)


def _sort_key(key: tuple):
    return tuple("" if part is None else str(part) if not isinstance(part, int) else f"{part:020d}" for part in key)


def _chunks(items, size):
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def _dialect_insert(session, table):
    name = session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover
        raise RuntimeError(f"unsupported database {name}")
    return insert(table)


def _fetch(session, table, key_cols, keys, cols) -> dict:
    """One SELECT per group of keys sharing their first column (an indexed IN on the second)."""
    wanted = set(keys)
    found: dict = {}
    pg = session.get_bind().dialect.name == "postgresql"
    select_cols = [table.c[c] for c in dict.fromkeys(tuple(cols) + tuple(key_cols))]
    if len(key_cols) == 1:
        groups = {(): [k[0] for k in keys]}
    else:
        groups: dict = {}
        for k in keys:
            groups.setdefault(k[0], set()).add(k[1])
    for prefix, values in groups.items():
        stmt = select(*select_cols)
        if len(key_cols) > 1:
            stmt = stmt.where(table.c[key_cols[0]] == prefix)
            in_col = table.c[key_cols[1]]
        else:
            in_col = table.c[key_cols[0]]
        for part in _chunks(sorted(values, key=str), CHUNK):
            if pg:  # one array parameter instead of 1,000 placeholders
                cond = in_col == any_(bindparam("keys", part, type_=postgresql.ARRAY(in_col.type)))
            else:
                cond = in_col.in_(part)
            for row in session.execute(stmt.where(cond)).mappings():
                key = tuple(row[c] for c in key_cols)
                if key in wanted:
                    found[key] = dict(row)
    return found


def _insert(session, table, key_cols, rows) -> dict:
    """Insert rows that did not exist a moment ago, ON CONFLICT DO NOTHING; returns the keys that
    this call really inserted -> their id. Driver-level statements: the ORM and SQLAlchemy's
    per-row parameter processing cost more than the database work at 100,000 rows."""
    if session.get_bind().dialect.name == "postgresql":
        return _insert_pg(session, table, key_cols, rows)
    return _insert_sqlite(session, table, key_cols, rows)


def _insert_sqlite(session, table, key_cols, rows) -> dict:
    # Writers hold SQLite's write lock from BEGIN IMMEDIATE: nobody inserts between our SELECT and
    # INSERT, and ids above the current maximum are ours.
    conn = session.connection()
    cols = list(rows[0])
    procs = [table.c[c].type._cached_bind_processor(conn.dialect) for c in cols]
    sql = (f'INSERT INTO "{table.name}" ({", ".join(f"{chr(34)}{c}{chr(34)}" for c in cols)}) '
           f'VALUES ({", ".join("?" * len(cols))}) '
           f'ON CONFLICT ({", ".join(key_cols)}) DO NOTHING')
    before = conn.exec_driver_sql(f'SELECT max(id) FROM "{table.name}"').scalar() or 0
    params = [tuple(row[c] if proc is None else proc(row[c]) for c, proc in zip(cols, procs)) for row in rows]
    conn.exec_driver_sql(sql, params)
    keys = [tuple(row[c] for c in key_cols) for row in rows]
    after = conn.exec_driver_sql(f'SELECT max(id) FROM "{table.name}"').scalar() or 0
    if after - before == len(rows):  # no conflict: SQLite gave the rows max+1, max+2, ... in order
        return {key: before + n for n, key in enumerate(keys, 1)}
    found = _fetch(session, table, key_cols, keys, ("id",))
    return {key: row["id"] for key, row in found.items() if row["id"] > before}


def _insert_pg(session, table, key_cols, rows) -> dict:
    """COPY the rows into a temporary staging table, then INSERT ... SELECT ... ON CONFLICT DO
    NOTHING RETURNING. COPY's row formatting runs in psycopg's C code; binding one array per column
    (the way before) spent more client time dumping the arrays than the server spent inserting."""
    from sqlalchemy.types import JSON

    cols = list(rows[0])
    dialect = postgresql.dialect()
    json_cols = {c for c in cols if isinstance(table.c[c].type.dialect_impl(dialect), JSON)}
    quoted = ", ".join(f'"{c}"' for c in cols)
    # one staging table per table and column list; dropped with the transaction, emptied per use
    stage = f"_stage_{table.name}_{zlib.crc32(quoted.encode()):08x}"
    cur = session.connection().connection.driver_connection.cursor()
    cur.execute(f'CREATE TEMP TABLE IF NOT EXISTS "{stage}" ON COMMIT DROP AS '
                f'SELECT {quoted} FROM "{table.name}" WITH NO DATA')
    cur.execute(f'TRUNCATE "{stage}"')
    with cur.copy(f'COPY "{stage}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([json.dumps(row[c], ensure_ascii=False, default=str)
                            if c in json_cols and row[c] is not None else row[c] for c in cols])
    cur.execute(f'INSERT INTO "{table.name}" ({quoted}) SELECT {quoted} FROM "{stage}" '
                f'ON CONFLICT ({", ".join(key_cols)}) DO NOTHING RETURNING id, {", ".join(key_cols)}')
    out = {tuple(row[1:]): row[0] for row in cur.fetchall()}
    cur.close()
    _analyze_when_grown(session, table.name, len(out))
    return out


def _analyze_when_grown(session, table_name: str, added: int) -> None:
    """PostgreSQL plans the next key lookup from statistics; a table that grew a lot inside this
    transaction has none, and the lookup degrades to scanning every row per batch (quadratic).
    ANALYZE (allowed in a transaction, and it counts our own new rows) each time the table has
    grown by as many rows as it had at the previous ANALYZE: a handful of times per import."""
    state = session.info.setdefault("import_analyze", {})
    grown, base = state.get(table_name, (0, 0))
    grown += added
    if grown >= max(ANALYZE_AFTER, base):
        session.execute(text(f'ANALYZE "{table_name}"'))
        base, grown = base + grown, 0
    state[table_name] = (grown, base)


def _update_rows(session, table, updates: list[tuple[int, dict]]) -> None:
    """executemany UPDATE ... WHERE id = ?, grouped by the set of columns changed."""
    groups: dict[tuple, list] = {}
    for id_, changes in updates:
        groups.setdefault(tuple(sorted(changes)), []).append({"b_id": id_, **{f"b_{c}": v for c, v in changes.items()}})
    for cols, params in groups.items():
        stmt = update(table).where(table.c.id == bindparam("b_id")).values({c: bindparam(f"b_{c}") for c in cols})
        for chunk in _chunks(params, CHUNK):
            session.execute(stmt, chunk)


def rejected_rows_json(result: ImportResult) -> str:
    return json.dumps(result.as_dict()["rejected_rows"], ensure_ascii=False)
