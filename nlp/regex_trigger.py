"""A cheap pre-check for the lexicon's regular expressions.

``required_chars(rx)`` returns characters of which at least one must occur in any text the
pattern matches (taken from one mandatory element: a literal, a set of literals, or an
alternation of those), or ``None`` when no such element exists. The lexicon runs a pattern only
on texts that contain one of them: most of its ~70 patterns find nothing in most texts, and a set
intersection is much cheaper than a regex scan.
"""
from __future__ import annotations

import re
from re import _constants as _c  # the parser is private but stable; any surprise → no pre-check
from re import _parser as _p

_REPEATS = tuple(op for op in (getattr(_c, "MAX_REPEAT", None), getattr(_c, "MIN_REPEAT", None),
                               getattr(_c, "POSSESSIVE_REPEAT", None)) if op is not None)


def required_chars(rx: re.Pattern) -> frozenset[str] | None:
    if rx.flags & re.IGNORECASE:
        return None
    try:
        return _sequence(list(_p.parse(rx.pattern, rx.flags)))
    except Exception:  # noqa: BLE001 - an unexpected parse tree only costs the shortcut
        return None


def _sequence(items) -> frozenset[str] | None:
    """The smallest character set among the mandatory elements of a sequence."""
    best = None
    for op, av in items:
        s = _element(op, av)
        if s is not None and (best is None or len(s) < len(best)):
            best = s
    return best


def _element(op, av) -> frozenset[str] | None:
    if op is _c.LITERAL:
        return frozenset(chr(av))
    if op is _c.IN:
        return frozenset(chr(v) for o, v in av) if all(o is _c.LITERAL for o, _ in av) else None
    if op is _c.SUBPATTERN:
        return _sequence(list(av[-1]))
    if op is _c.BRANCH:
        out: set[str] = set()
        for branch in av[1]:
            s = _sequence(list(branch))
            if s is None:
                return None
            out |= s
        return frozenset(out)
    if op in _REPEATS:
        low, _high, sub = av
        return _sequence(list(sub)) if low >= 1 else None
    return None
