"""The result type and the classifier interface every backend implements."""
from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

CATEGORIES = ("taste", "freshness", "logistics", "quality", "service", "price", "other")
#: What the multi-label models predict: the categories, then complaint and food_safety.
LABELS = CATEGORIES + ("complaint", "food_safety")

#: A prediction whose confidence is under this goes to manual triage.
LOW_CONFIDENCE = 0.6

_CJK_RE = re.compile(r"[\u3400-\u9fff]")
_RATING_RE = re.compile(r"^(?:(\d+(?:\.\d+)?)|([一二三四五]))\s*(?:星|分|颗星)?$")


#: ``sources["evidence:<label>"] = "model"``: that label's evidence is words a model weighed
#: (``classifier.word_evidence``), not words the lexicon matched: they show a manager why, but
#: they are no quote of the buyer's complaint (reply drafts leave them out)
MODEL_EVIDENCE = "evidence:"


def model_evidence_labels(sources: dict | None) -> set[str]:
    """The labels whose evidence a model chose (see ``MODEL_EVIDENCE``)."""
    return {k[len(MODEL_EVIDENCE):] for k, v in (sources or {}).items()
            if isinstance(k, str) and k.startswith(MODEL_EVIDENCE) and v == "model"}


@dataclass
class ClassificationResult:
    id: Any
    complaint: bool = False
    categories: list[str] = field(default_factory=list)
    food_safety: bool = False
    scores: dict[str, float] = field(default_factory=dict)
    evidence: dict[str, list[str]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    confidence: float = 0.0
    low_confidence: bool = True
    model: str = ""
    error: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def error_result(item_id: Any, message: str, model: str) -> ClassificationResult:
    return ClassificationResult(
        id=item_id, complaint=False, categories=[], food_safety=False,
        scores={k: 0.0 for k in LABELS}, evidence={}, sources={}, confidence=0.0,
        low_confidence=True, model=model, error=message)


def parse_item(item: Any) -> tuple[Any, Any, int | None, str | None]:
    """``(id, text, rating, problem)`` from one input item; ``problem`` is an error message."""
    if isinstance(item, str):
        return None, item, None, None
    if not isinstance(item, dict):
        return None, None, None, f"item is a {type(item).__name__}, expected an object with 'text'"
    item_id = item.get("id")
    text = item.get("text")
    if text is None:
        return item_id, None, None, "missing 'text'"
    if not isinstance(text, str):
        return item_id, None, None, f"'text' is a {type(text).__name__}, expected a string"
    return item_id, text, parse_rating(item.get("rating")), None


def parse_rating(value: Any) -> int | None:
    """A 1-5 star rating from 1, 4.0, "5", "5.0", "5星" or "五星"; ``None`` when absent or not a
    rating (the text alone decides then)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        stars = value
    else:
        m = _RATING_RE.match(str(value).strip())
        if not m:
            return None
        stars = float(m[1]) if m[1] else "一二三四五".index(m[2]) + 1
    if stars != stars or not 1 <= stars <= 5:  # NaN or out of range
        return None
    return int(round(stars))


def batch_items(items: Any) -> list:
    """``classify_batch``'s argument as a list: any iterable of items (a generator too); a bare
    string, bytes or dict is a mistake for ``[item]``, and iterating it would classify characters
    or keys, so it is refused."""
    if isinstance(items, (str, bytes, dict)) or items is None:
        raise TypeError(f"classify_batch takes a list of items, not a {type(items).__name__}: "
                        "wrap one item as [item], or use classify(text)")
    try:
        return list(items)
    except TypeError:
        raise TypeError(f"classify_batch takes a list of items, not a {type(items).__name__}") from None


def has_cjk(text: str) -> bool:
    return bool(_CJK_RE.search(text))


def margin_confidence(scores: dict[str, float], thresholds: dict[str, float],
                      keys: tuple[str, ...] = CATEGORIES + ("complaint",)) -> float:
    """How far every decision is from its threshold: 0.5 (a coin flip) .. 1.0 (certain).

    Per label: the distance of the score from the threshold relative to the room on that side;
    the result is the weakest label's value."""
    worst = 1.0
    for k in keys:
        s, t = scores.get(k, 0.0), thresholds.get(k, 0.5)
        room = (1.0 - t) if s >= t else t
        d = abs(s - t) / room if room > 0 else 1.0
        worst = min(worst, d)
    return round(0.5 + 0.5 * worst, 4)


def clip01(x: float) -> float:
    if x != x or math.isinf(x):  # NaN/inf guard
        return 0.0
    return float(min(1.0, max(0.0, x)))


class Classifier:
    """One interface, several backends: ``classify_batch`` never raises for a bad item."""

    version: str = ""
    name: str = ""

    def classify_batch(self, items: list[dict]) -> list[ClassificationResult]:
        """One result per item, in order. An item is ``{"id", "text", "rating"?, "reason"?}``;
        ``reason`` is an after-sales ticket's platform reason (see ``nlp.tickets``)."""
        from .tickets import with_reasons  # noqa: PLC0415 - nlp.tickets imports this module

        return with_reasons(batch_items(items), self._classify_items, self.version)

    def _classify_items(self, items: list) -> list[ClassificationResult]:  # pragma: no cover
        """The backend: one result per item, never raising for a bad one."""
        raise NotImplementedError

    def classify(self, text: str, rating: int | None = None, id: Any = None) -> ClassificationResult:
        return self.classify_batch([{"id": id, "text": text, "rating": rating}])[0]
