"""One raw row -> one canonical record (plain dict), or the reasons it cannot be stored.

Identity: a review or ticket is keyed per platform by ``dedupe_key``: ``id:<external id>``
(``id:sub:<子订单编号>`` for Taobao-style review exports without a review id; one review per
sub-order; ``o:<order id>|<SKU or product name>`` for a review without either, as JD 京麦,
Meituan and Ele.me export them: one review per order and product, whatever the buyer edits
later or the platform masks), else ``h:<sha256 of the normalized identifying content>``. The
follow-up (追评) is not part of the identity, so a later export with a new 追评 updates the same
review. Reviews stored before the order key existed were keyed by content hash, and reviews whose
dish column (评价商品) was not read yet by their order alone: ``legacy_keys`` carries those keys so
the importer finds them (and re-keys them) instead of adding a second copy.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from decimal import Decimal

from . import values as V
from .headers import HeaderMap, normalize_platform, platform_choices

# Columns with a length limit: ids are rejected when too long, names are cut (full value kept in raw).
ID_LIMITS = {"external_id": 100, "sub_order_id": 100, "order_id": 100, "sku": 100, "batch_code": 100,
             "waybill": 100}
NAME_LIMITS = {"shop": 200, "product_name": 300, "product_category": 100, "warehouse": 100, "carrier": 100,
               "region": 100, "buyer_nick": 100, "reason": 500, "status": 50}

ORDER_FACTS = ("batch_code", "production_date", "expiry_date", "warehouse", "carrier", "waybill", "region",
               "paid_at", "shipped_at", "signed_at", "quantity")
REVIEW_MUTABLE = ("rating_stars", "rating_level", "text", "followup_text", "followup_at", "image_count",
                  "buyer_nick", "buyer_tier", "reviewed_at", "platform_order_id", "sku", "shop_id",
                  "order_id", "product_id")
TICKET_MUTABLE = ("ticket_type", "reason", "text", "amount", "status", "buyer_nick", "opened_at", "closed_at",
                  "platform_order_id", "sku", "shop_id", "order_id", "product_id")
MUTABLE = {"reviews": REVIEW_MUTABLE, "tickets": TICKET_MUTABLE}

_DATETIME_FIELDS = ("reviewed_at", "followup_at", "paid_at", "shipped_at", "signed_at", "opened_at", "closed_at")
_EVENT_FIELDS = ("reviewed_at", "followup_at", "opened_at", "closed_at")  # the review's or ticket's own dates
_DATE_FIELDS = ("production_date", "expiry_date")
_TEXT_FIELDS = ("text", "followup_text", "reason", "buyer_nick", "product_name", "shop", "status")
_WS = re.compile(r"\s+")


class RowError(ValueError):
    def __init__(self, reasons: list[str]):
        super().__init__("；".join(reasons))
        self.reasons = reasons


def raw_json(header: HeaderMap, cells: list | None, raw_text: str | None = None) -> str:
    """The row as read, JSON-encoded (column -> cell), for rejected rows."""
    if cells is None:
        return _dumps_storable({"_line": raw_text}) if raw_text is not None else "{}"
    record = {}
    for i, cell in enumerate(cells):
        name = header.columns[i] if i < len(header.columns) and header.columns[i] else f"_col{i + 1}"
        record[name] = _jsonable(cell)
    return _dumps_storable(record)


def _dumps_storable(value) -> str:
    """JSON a text column takes: a lone surrogate (a row rejected for holding one) cannot be
    UTF-8, so such a row is written with ASCII escapes, which keep the value as it was."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if not _bad_chars(text) else json.dumps(value, default=str)


def _jsonable(value):
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def build_record(kind: str, header: HeaderMap, cells: list, *, platform_override: str | None,
                 platform_default: str | None) -> dict:
    """Parse one row. Raises RowError with every problem found (Chinese / English)."""
    get: dict[str, object] = {}
    raw: dict[str, object] = {}
    width = len(cells)
    for i, target in header.fields.items():
        if i < width:
            get[target] = cells[i]
    for i, name in _unknown_columns(header, width):
        cell = cells[i]
        if _present(cell):
            raw[name] = _jsonable(cell)
    errors: list[str] = []
    joined = "\x1f".join([c for c in cells if isinstance(c, str)])
    nested = [c for c in cells if isinstance(c, (dict, list))]  # JSON items only
    if _bad_chars(joined) or any(_bad_chars(k) for k in raw) or any(
            _bad_chars(json.dumps(c, ensure_ascii=False, default=str), dumped=True) for c in nested):
        errors.append("单元格含有无效字符（NUL 或孤立代理项）/ a cell holds an invalid character (NUL or lone surrogate)")
    for name, value in get.items():  # a JSON object or array where one value belongs
        if isinstance(value, (dict, list)) and name != "image_count":
            errors.append(f"{name}: 须为文本或数字 / must be a string or a number, not a JSON "
                          f"{'object' if isinstance(value, dict) else 'array'}")
            get[name] = None
        elif isinstance(value, bool) and name in _TEXT_FIELDS:
            errors.append(f"{name}: 须为文本 / must be a string, not {str(value).lower()}")
            get[name] = None
    rec: dict[str, object] = dict.fromkeys(_SIMPLE)
    for name, parser in _SIMPLE.items():  # only the fields this file has
        if name in get:
            try:
                rec[name] = parser(get[name])
            except ValueError as exc:
                errors.append(f"{name}: {exc}")
    for name in _EVENT_FIELDS:
        try:
            V.check_event_date(rec[name])
        except ValueError as exc:
            errors.append(f"{name}: {exc}")

    # platform
    if platform_override:
        rec["platform"] = platform_override
    elif _present(get.get("platform")):
        rec["platform"] = normalize_platform(V.nfkc(get["platform"]))
        if rec["platform"] is None:
            errors.append(f"未知平台 / unknown platform: {V.nfkc(get['platform'])[:30]} ({platform_choices()})")
    elif platform_default:
        rec["platform"] = platform_default
    else:
        rec["platform"] = None
        errors.append("未知平台：表头无法判断平台，请用 --platform 指定 / unknown platform: "
                      "the header does not tell, pass --platform")

    for name, limit in ID_LIMITS.items():
        value = rec[name]
        if value is not None and len(value) > limit:
            errors.append(f"{name} 过长 / too long")
    for name, limit in NAME_LIMITS.items():
        if name in ("reason", "status") and kind != "tickets":
            continue
        value = get.get(name)
        if value is not None:
            value = (value if isinstance(value, str) else V.format_scalar(value)).strip()
            if len(value) > limit:
                raw[f"{name}_full"] = value
                value = value[:limit]
        rec[name] = value or None

    if kind == "reviews":
        try:
            rec["rating_stars"], rec["rating_level"] = V.parse_rating(get.get("rating"), get.get("rating_level"))
        except ValueError as exc:
            errors.append(str(exc))
            rec["rating_stars"] = rec["rating_level"] = None
        fraction = V.star_fraction(get.get("rating")) if rec["rating_stars"] is not None else None
        if fraction is not None:  # 4.5 read as 4: the batch says so, and raw keeps the value as exported
            rec["rating_fraction"] = fraction
            raw[header.columns[_index_of(header, "rating")]] = _jsonable(get["rating"])
        text = V.clean_text(get.get("text"))
        if text is not None and V.is_placeholder_text(text):  # 此用户没有填写评价。
            raw[header.columns[_index_of(header, "text")] if "text" in header.fields.values() else "text"] = text
            text = None
        rec["text"] = text or ""  # a bare rating (1★ without a word) is a review too
        if text is None and rec["rating_stars"] is None and rec["rating_level"] is None:
            errors.append("评价内容为空且没有评分 / missing review text (and no rating)")
        rec["followup_text"] = V.clean_optional_text(get.get("followup_text"))
        image_cell = get.get("image_count")
        try:
            rec["image_count"] = None if image_cell is None else V.parse_image_count(image_cell)
        except ValueError as exc:
            errors.append(f"image_count: {exc}")
        tier_cell = get.get("buyer_tier")
        rec["buyer_tier"] = V.parse_buyer_tier(tier_cell)
        if rec["buyer_tier"] is None and _present(tier_cell):
            raw[header.columns[_index_of(header, "buyer_tier")]] = _jsonable(tier_cell)
    else:
        try:
            rec["ticket_type"] = _ticket_type(header, get, cells)
        except ValueError as exc:
            errors.append(str(exc))
        rec["text"] = V.clean_text(get.get("text")) or ""
        rec["amount"] = _amount(get, "amount", errors)
        # the amount paid (实付金额) is read only to check the refund against it
        paid = _amount(get, "paid_amount", errors)
        if paid is not None:
            raw["paid_amount"] = str(paid)
            if rec["amount"] is not None and rec["amount"] > paid:
                errors.append(f"退款金额 {rec['amount']} 大于实付金额 {paid} / the refund is more than the amount "
                              f"paid (a shifted column, or an amount in 分?)")
        if not rec["text"] and not rec.get("reason"):
            errors.append("缺少售后原因或说明 / missing ticket reason and text")

    if errors:
        raise RowError(errors)
    if rec["product_name"] and not rec["sku"]:
        raw.setdefault("product_name", rec["product_name"])
    if rec["sub_order_id"]:
        raw.setdefault("sub_order_id", rec["sub_order_id"])
    rec["raw"] = raw
    rec["dedupe_key"] = dedupe_key(kind, rec)
    if rec["dedupe_key"].startswith("o:"):  # as stored before: the text as given, placeholder or not
        rec["legacy_keys"] = (content_key(kind, {**rec, "text": V.clean_text(get.get("text"))}),)
        if not rec["sku"] and rec["product_name"]:  # 评价商品 was not read as the dish before: keyed by order alone
            rec["legacy_keys"] += (f"o:{rec['order_id']}|",)
    return rec


# What a row says, for telling a repeated row of one file from a conflicting one: the mutable
# fields, with the record's own order id, shop and product name in place of the stored rows' ids.
_STORED_IDS = ("platform_order_id", "shop_id", "order_id", "product_id")
_STATED = {kind: tuple(f for f in fields if f not in _STORED_IDS) + ("order_id", "shop", "product_name")
           for kind, fields in MUTABLE.items()}


def same_content(kind: str, first: dict, later: dict) -> bool:
    """Two records with one key say the same (blank and 0 images alike, texts up to whitespace)."""
    for name in _STATED[kind]:
        a, b = first.get(name), later.get(name)
        if name == "image_count":
            a, b = a or 0, b or 0
        elif isinstance(a, str) or isinstance(b, str):
            a, b = normalized_text(a), normalized_text(b)
        if a != b:
            return False
    return True


def same_key_reason(first_row: int, key: str) -> str:
    return (f"与第 {first_row} 行的记录键相同但内容不同，已保留第 {first_row} 行 / same record key as row {first_row} "
            f"({key[:60]}) with different content: row {first_row} was kept")


def _ticket_type(header: HeaderMap, get: dict, cells: list) -> str:
    """The type column; without one, 是否需要退货 (是 → return, 否 → refund), else the type the
    whole file has (a Taobao 退款 export: refund; a complaint export: complaint)."""
    if "ticket_type" in header.fields.values():
        return V.parse_ticket_type(get.get("ticket_type"))
    if header.return_flag is not None and header.return_flag < len(cells):
        flag = V.parse_return_flag(cells[header.return_flag])
        if flag:
            return flag
    if header.default_ticket_type:
        return header.default_ticket_type
    return V.parse_ticket_type(None)


_SIMPLE = {
    **dict.fromkeys(("external_id", "sub_order_id", "order_id", "sku", "batch_code", "waybill"), V.parse_id),
    **dict.fromkeys(_DATETIME_FIELDS, V.parse_datetime),
    **dict.fromkeys(_DATE_FIELDS, V.parse_date),
    "quantity": lambda v: V.parse_int(v, "数量 / quantity"),
    "shelf_life_days": lambda v: V.parse_int(v, "保质期 / shelf life"),
}


def _unknown_columns(header: HeaderMap, width: int) -> list[tuple[int, str]]:
    """Columns no field claimed (cached on the header), plus cells beyond the header."""
    plan = getattr(header, "_unknown_plan", None)
    if plan is None:
        plan = [(i, c if c else f"_col{i + 1}") for i, c in enumerate(header.columns) if i not in header.fields]
        header._unknown_plan = plan
    if width > len(header.columns):
        plan = plan + [(i, f"_col{i + 1}") for i in range(len(header.columns), width)]
    return [(i, name) for i, name in plan if i < width]


def _present(value) -> bool:
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


def _bad_chars(text: str, dumped: bool = False) -> bool:
    """NUL (PostgreSQL text refuses it) or a lone surrogate (not encodable as UTF-8); ``dumped``:
    ``text`` is JSON, where a NUL is written as the escape \\u0000."""
    if "\x00" in text or (dumped and "\\u0000" in text):
        return True
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _index_of(header: HeaderMap, field_name: str) -> int:
    return next(i for i, f in header.fields.items() if f == field_name)


def normalized_text(text: str | None) -> str:
    return _WS.sub(" ", unicodedata.normalize("NFKC", text or "")).strip()


def _sha(parts: list) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, default=str).encode("utf-8")).hexdigest()


_DISH_MARK = re.compile(r"\s*[(（]\s*[赞踩]\s*[)）]")  # 黄焖鸡米饭(赞): the buyer's thumbs, not the dish


def dedupe_key(kind: str, rec: dict) -> str:
    if rec.get("external_id"):
        return "id:" + rec["external_id"]
    if kind == "reviews":
        if rec.get("sub_order_id"):
            return "id:sub:" + rec["sub_order_id"]
        if rec.get("order_id"):
            product = rec.get("sku") or _DISH_MARK.sub("", normalized_text(rec.get("product_name")))
            key = f"o:{rec['order_id']}|{product}"
            return key if len(key) <= 200 else "o:" + _sha([rec["order_id"], product])
    return content_key(kind, rec)


def content_key(kind: str, rec: dict) -> str:
    """``h:`` and the hash of what identifies a record that has no id of its own."""
    if kind == "reviews":
        parts = [rec.get("order_id"), rec.get("sku"), rec.get("buyer_nick"), rec.get("reviewed_at"),
                 rec.get("rating_stars"), rec.get("rating_level"), normalized_text(rec.get("text"))]
    else:
        parts = [rec.get("order_id"), rec.get("sku"), rec.get("ticket_type"), normalized_text(rec.get("reason")),
                 normalized_text(rec.get("text")), rec.get("amount"), rec.get("opened_at"), rec.get("buyer_nick")]
    return "h:" + _sha(parts)


def content_hash(kind: str, row: dict) -> str:
    return _sha([row.get(name) for name in MUTABLE[kind]])



def _amount(get: dict, name: str, errors: list[str]):
    """A money cell of the row (None when the column is absent or the cell empty)."""
    if name not in get:
        return None
    try:
        return V.parse_amount(get[name])
    except ValueError as exc:
        errors.append(f"{name}: {exc}")
        return None
