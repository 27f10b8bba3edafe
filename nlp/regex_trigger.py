"""A cheap pre-check for the lexicon's regular expressions.

``required_chars(rx)`` returns characters of which at least one must occur in any text the
pattern matches (taken from one mandatory element: a literal, a set of literals, or an
alternation of those; the one with the fewest and least common characters), or ``None`` when no such element exists. The lexicon runs a pattern only
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


# Characters in most review texts: a set holding one of them lets nearly every text through, so a
# set of a few rarer characters is the better pre-check.
_COMMON = frozenset("的了是不一有在我这个就也到过还会很都人么说没吃好日大")


def _cost(chars: frozenset[str]) -> int:
    return sum(20 if ch in _COMMON else 1 for ch in chars)


def _sequence(items) -> frozenset[str] | None:
    """The cheapest character set (fewest and rarest characters) among the mandatory elements
    of a sequence."""
    best = None
    for op, av in items:
        s = _element(op, av)
        if s is not None and (best is None or _cost(s) < _cost(best)):
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


class TriggerIndex:
    """Which of a list of patterns can match a text, from the characters it contains: one set
    intersection per text instead of one check per pattern. ``candidates`` keeps list order."""

    def __init__(self, patterns: list[re.Pattern]):
        self.always: list[int] = []
        by_char: dict[str, list[int]] = {}
        for i, rx in enumerate(patterns):
            chars = required_chars(rx)
            if chars is None:
                self.always.append(i)
            else:
                for ch in chars:
                    by_char.setdefault(ch, []).append(i)
        self.by_char = by_char
        self.chars = frozenset(by_char)

    def candidates(self, text: str) -> list[int]:
        hit = self.chars.intersection(text)
        if not hit:
            return self.always
        found = set(self.always)
        for ch in hit:
            found.update(self.by_char[ch])
        return sorted(found)
