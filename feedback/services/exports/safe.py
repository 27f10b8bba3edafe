"""Formula neutralization for spreadsheet cells (CSV and XLSX alike).

A review text is written by a stranger. Spreadsheet programs run a cell that starts with `=`,
`+`, `-` or `@` as a formula (and tab / carriage return tricks smuggle one past a naive check);
openpyxl itself stores any string starting with `=` as a formula. Every text cell starting with
one of these characters is prefixed with an apostrophe, so it is shown as text and never run.
"""
from __future__ import annotations

import datetime as dt
import re

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_TRIGGER_CHARS = frozenset(FORMULA_TRIGGERS)

# Characters XML 1.0 cannot hold (openpyxl raises IllegalCharacterError on them).
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralize(value: str) -> str:
    if value and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_cell(value) -> object:
    """A value as written to CSV: text neutralized, booleans as 是/否, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return neutralize(value)
    return value


_DATETIME, _DATE = dt.datetime, dt.date


def csv_row(values) -> list:
    """csv_cell over a row, with the common types first (the ledger writes millions of cells)."""
    out = []
    append = out.append
    for v in values:
        t = type(v)
        if t is str:
            append("'" + v if v and v[0] in _TRIGGER_CHARS else v)
        elif v is None:
            append("")
        elif t is int or t is float:
            append(v)
        elif t is _DATETIME:
            append(v.isoformat(sep=" ", timespec="seconds"))
        elif t is _DATE:
            append(v.isoformat())
        elif t is bool:
            append("是" if v else "否")
        else:
            append(csv_cell(v))
    return out


def xlsx_cell(value) -> object:
    """A value as written to XLSX: text neutralized and stripped of XML-illegal characters."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        return neutralize(_XML_ILLEGAL.sub("", value))
    return value
