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

HEADER = ("平台 platform", "评价ID review_id", "回复内容 reply_text")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def rows_for(drafts) -> list[tuple[str, str, str]]:
    rows = []
    for d in drafts:
        review_ref = d.review.external_id or str(d.review_id)
        rows.append((neutralize(d.platform), neutralize(review_ref), neutralize(d.text)))
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
    ws.column_dimensions["A"].width = 10
    ws.column_dimensions["B"].width = 24
    ws.column_dimensions["C"].width = 100
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
