"""Approved replies as CSV (UTF-8 with BOM, for Excel) or XLSX, for bulk posting.

Every text cell that a spreadsheet could read as a formula (starting with = + - @, a tab or a
carriage return) is prefixed with an apostrophe, so a review or reply text never runs as a
formula on the manager's machine.
"""
from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# What finds the review on the platform comes first: its id when the export had one, else the
# order and sub-order numbers (Taobao, Meituan … exports carry no review id); the system's own
# number is last, for looking the reply up here.
HEADER = ("平台 platform", "评价ID review_id", "订单号 order_id", "子订单号 sub_order_id", "SKU sku",
          "买家 buyer", "评价时间 reviewed_at", "评价内容 review_text", "回复内容 reply_text",
          "系统编号 feedback_id")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _sub_order(review) -> str:
    raw = getattr(review, "raw", None) or {}
    return str(raw.get("sub_order_id") or "")


def rows_for(drafts) -> list[tuple[str, ...]]:
    rows = []
    for d in drafts:
        r = d.review
        reviewed = getattr(r, "reviewed_at", None)
        values = (d.platform, r.external_id or "", getattr(r, "platform_order_id", None) or "", _sub_order(r),
                  getattr(r, "sku", None) or "", getattr(r, "buyer_nick", None) or "",
                  reviewed.strftime("%Y-%m-%d %H:%M") if reviewed else "", getattr(r, "text", None) or "",
                  d.text, str(d.review_id))
        rows.append(tuple(neutralize(v) for v in values))
    return rows


def to_csv(drafts) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows_for(drafts))
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def to_xlsx(drafts) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "评价解释"
    ws.append(HEADER)
    for row in rows_for(drafts):
        ws.append([ILLEGAL_CHARACTERS_RE.sub("", v) for v in row])
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.data_type = "s"  # text, never a formula
    for col, width in zip("ABCDEFGHIJ", (10, 24, 24, 24, 16, 14, 17, 60, 100, 10)):
        ws.column_dimensions[col].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
