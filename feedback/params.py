"""Parsing of values people type into URLs and forms (ids, page numbers, days).

``str.isdigit`` is not enough: it takes "²" and "١" (which ``int`` refuses) and numbers past any
database integer; a year like 9999 overflows the "day after" of a date filter.
"""
from __future__ import annotations

import datetime as dt
import re

from pyramid.httpexceptions import HTTPNotFound

_DIGITS_RE = re.compile(r"^[0-9]{1,10}$")
MAX_INT = 2 ** 31 - 1  # the INTEGER columns (ids, PostgreSQL int4)
YEARS = (1900, 2100)
MAX_PAGE = 100_000


def int_param(text) -> int | None:
    """A whole number 0..MAX_INT written in ASCII digits, else None."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not _DIGITS_RE.match(text) or int(text) > MAX_INT:
        return None
    return int(text)


def matched_id(request) -> int:
    """The ``{id}`` of the matched route; a number no row can have is a 404."""
    n = int_param(request.matchdict.get("id"))
    if n is None:
        raise HTTPNotFound()
    return n


def page_param(text, default: int = 1) -> int:
    """A page number 1..MAX_PAGE; anything else is the default."""
    n = int_param(text)
    return default if n is None or n < 1 else min(n, MAX_PAGE)


def day_param(text: str) -> dt.date:
    """YYYY-MM-DD within ``YEARS``; a ValueError otherwise."""
    day = dt.date.fromisoformat(text.strip())
    if not YEARS[0] <= day.year <= YEARS[1]:
        raise ValueError(f"year outside {YEARS[0]}-{YEARS[1]}")
    return day
