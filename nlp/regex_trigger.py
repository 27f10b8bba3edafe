"""A cheap pre-check for the lexicon's regular expressions.

``required_strings(rx)`` returns literal strings of which at least one must occur in any text the
pattern matches (taken from one mandatory element: a run of literals, a set of literal
characters, or an alternation of those; the one whose strings are rarest), or ``None`` when no
such element exists. The lexicon runs a pattern only on texts that contain one of its strings:
most of its ~200 patterns find nothing in most texts, and a substring test is much cheaper than a
regex scan. A string of two or more characters ("不到", "吃出") lets far fewer texts through
than any one of its characters ("不" is in most reviews).
"""
from __future__ import annotations

import re
from re import _constants as _c  # the parser is private but stable; any surprise → no pre-check
from re import _parser as _p

_REPEATS = tuple(op for op in (getattr(_c, "MAX_REPEAT", None), getattr(_c, "MIN_REPEAT", None),
                               getattr(_c, "POSSESSIVE_REPEAT", None)) if op is not None)


def required_strings(rx: re.Pattern) -> frozenset[str] | None:
    if rx.flags & re.IGNORECASE:
        return None
    try:
        return _sequence(list(_p.parse(rx.pattern, rx.flags)))
    except Exception:  # noqa: BLE001 - an unexpected parse tree only costs the shortcut
        return None


# Characters in most review texts: a string of one of them lets nearly every text through.
_COMMON = frozenset("的了是不一有在我这个就也到过还会很都人么说没吃好日大")


def _cost(strings: frozenset[str]) -> float:
    """About how many texts the strings let through, in made-up units (smaller is better)."""
    def one(s: str) -> float:
        if len(s) == 1:
            return 20 if s in _COMMON else 4
        return 6 if all(ch in _COMMON for ch in s) else 1
    return sum(one(s) for s in strings)


def _sequence(items) -> frozenset[str] | None:
    """The cheapest string set among the mandatory elements of a sequence; consecutive literals
    form one string."""
    best = None
    run: list[str] = []
    elements = []
    for op, av in items:
        if op is _c.LITERAL:
            run.append(chr(av))
            continue
        if run:
            elements.append(frozenset(["".join(run)]))
            run = []
        elements.append(_element(op, av))
    if run:
        elements.append(frozenset(["".join(run)]))
    for s in elements:
        if s is not None and (best is None or _cost(s) < _cost(best)):
            best = s
    return best


def _element(op, av) -> frozenset[str] | None:
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
    """Which of a list of patterns can match a text: the characters a text contains pick the
    required strings that may occur in it, each string is looked for once, and the patterns of
    the strings found are the candidates. ``candidates`` keeps list order."""

    def __init__(self, patterns: list[re.Pattern]):
        self.always: list[int] = []
        by_string: dict[str, list[int]] = {}
        for i, rx in enumerate(patterns):
            strings = required_strings(rx)
            if strings is None:
                self.always.append(i)
            else:
                for s in strings:
                    by_string.setdefault(s, []).append(i)
        # first character → (string, patterns); a one-character string needs no substring test
        by_char: dict[str, list[tuple[str, tuple[int, ...]]]] = {}
        for s, idx in by_string.items():
            by_char.setdefault(s[0], []).append((s, tuple(idx)))
        self.by_char = by_char
        self.chars = frozenset(by_char)

    def candidates(self, text: str) -> list[int]:
        hit = self.chars.intersection(text)
        if not hit:
            return self.always
        found = set(self.always)
        for ch in hit:
            for s, idx in self.by_char[ch]:
                if len(s) == 1 or s in text:
                    found.update(idx)
        return sorted(found)
