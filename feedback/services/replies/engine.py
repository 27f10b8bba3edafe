"""The drafting engine: from a classified complaint and its order facts to one coherent reply.

Pure Python (no database): `feedback.services.replies.context` builds the `ReplyInput` from the
stored rows, the benchmark builds it from the labeled data. The reply is assembled from parts:

    opening (tone) · for each complaint category: acknowledgement naming the problem,
    explanation (only from a real fact), corrective action · closing

then checked by `rules.validate`. Parts that break a content rule are dropped; when the reply is
over the platform's length limit, parts are dropped or shortened in a fixed order (explanations,
default actions, closing, quoted words, the opening, then compact acknowledgements) so every
complaint stays answered as long as possible.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field

from . import defaults
from .rules import Issue, RuleSettings, content_issues, reply_length, validate

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_OPTIONAL = re.compile(r"\[([^\[\]]*)\]")
_SENTENCE_END = "。！？!?"


@dataclass
class TemplateData:
    kind: str
    category: str
    tone: str
    food_safety: bool
    text: str
    id: int | None = None
    active: bool = True


@dataclass
class ReplyFacts:
    """Order facts a reply may state. None means unknown: it is never invented."""

    product: str | None = None
    order_date: dt.date | None = None
    carrier: str | None = None
    ship_date: dt.date | None = None
    sign_date: dt.date | None = None
    paid_date: dt.date | None = None
    production_date: dt.date | None = None
    batch_code: str | None = None
    near_expiry: bool = False
    shelf_left_ratio: float | None = None
    # corrective actions written on root-cause tasks: category (or "any") -> text
    corrective: dict[str, str] = field(default_factory=dict)


@dataclass
class ReplyInput:
    key: str  # the review id: seeds the choice of wording
    text: str
    categories: list[str]
    evidence: dict[str, list[str]] = field(default_factory=dict)
    food_safety: bool = False
    buyer_tier: str | None = None
    # labels whose evidence words a model chose (nlp.base.MODEL_EVIDENCE): they tell a manager
    # why, but they are no quote of the buyer's complaint ("肘子", "鸡腿"), so drafts leave them out
    model_evidence: frozenset[str] = frozenset()
    facts: ReplyFacts = field(default_factory=ReplyFacts)


@dataclass
class LearnedSentence:
    category: str
    text: str
    source_id: int
    similarity: float


@dataclass
class Part:
    kind: str  # opening | ack | explain | action | corrective | learned | closing
    category: str
    text: str
    template_id: int | None = None
    source_id: int | None = None


@dataclass
class DraftResult:
    text: str
    parts: list[Part]
    issues: list[Issue]
    template_ids: list[int]
    source_ids: list[int]
    problems: dict[str, str]  # category -> the problem phrase used
    quoted: dict[str, list[str]]  # category -> evidence words quoted
    notes: list[str]


def _seed(*parts) -> int:
    return int(hashlib.sha1("|".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:12], 16)


def _words(value) -> list[str]:
    return [w for w in (value or []) if isinstance(w, str) and w.strip()]


def _fmt_date(d: dt.date | None) -> str | None:
    return None if d is None else f"{d.month}月{d.day}日"


def _fmt_full_date(d: dt.date | None) -> str | None:
    return None if d is None else f"{d.year}年{d.month}月{d.day}日"


def template_placeholders(text: str) -> tuple[set[str], set[str]]:
    """(required, optional) placeholder names of a template."""
    optional: set[str] = set()
    for inner in _OPTIONAL.findall(text):
        optional.update(_PLACEHOLDER.findall(inner))
    required = set(_PLACEHOLDER.findall(_OPTIONAL.sub("", text)))
    return required, optional - required


def check_template_text(text: str) -> list[str]:
    """Problems with a template an admin typed (unknown placeholder, unbalanced brackets)."""
    problems = []
    if not text.strip():
        problems.append("模板内容不能为空")
    if text.count("[") != text.count("]") or text.count("{") != text.count("}"):
        problems.append("括号不配对：占位符用 {名称}，可省略部分用 [ ]")
    names = set(_PLACEHOLDER.findall(text))
    unknown = names - set(defaults.PLACEHOLDERS)
    if unknown:
        problems.append(f"未知占位符：{', '.join(sorted(unknown))}；可用：{', '.join(defaults.PLACEHOLDERS)}")
    if _OPTIONAL.sub("", text).count("[") or re.search(r"\{[^a-z_}]*\}", text):
        problems.append("占位符或可省略部分写法不对")
    return problems


def render(text: str, values: dict[str, str | None]) -> str | None:
    """Fill a template; None when a required placeholder has no value."""

    def fill(fragment: str) -> str | None:
        missing = False

        def sub(m):
            nonlocal missing
            value = values.get(m.group(1))
            if not value:
                missing = True
                return ""
            return value

        out = _PLACEHOLDER.sub(sub, fragment)
        return None if missing else out

    def optional(m):
        filled = fill(m.group(1))
        return filled if filled is not None else ""

    return fill(_OPTIONAL.sub(optional, text))


def _ends(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in _SENTENCE_END else text + "。"


def clean_action(action: str) -> str:
    """A task's corrective action as a clause: whitespace squeezed, final punctuation dropped."""
    action = re.sub(r"\s+", " ", action or "").strip()
    return action.rstrip("。.!！;；，, ")


class Drafter:
    def __init__(self, templates: list[TemplateData], rules: RuleSettings):
        self.rules = rules
        self.templates = [t for t in templates if t.active]
        if not self.templates:
            self.templates = default_templates()

    # --- template choice --------------------------------------------------------------------
    def _candidates(self, kind: str, category: str, tone: str, food_safety: bool) -> list[TemplateData]:
        pool = [t for t in self.templates if t.kind == kind and t.food_safety == food_safety]
        exact = [t for t in pool if t.category == category]
        if not exact and kind not in ("ack",):
            exact = [t for t in pool if t.category == "any"]
        if kind in ("opening", "closing") and tone in ("new", "returning"):
            toned = [t for t in exact if t.tone == tone]
            if toned:
                return toned
        return [t for t in exact if t.tone in (tone, "any")] or exact

    def _choose(self, key: str, kind: str, category: str, tone: str, food_safety: bool,
                values: dict[str, str | None], salt: str = "") -> tuple[TemplateData, str] | None:
        rendered = []
        for t in self._candidates(kind, category, tone, food_safety):
            text = render(t.text, values)
            if text is None:
                continue
            required, _ = template_placeholders(t.text)
            specificity = len(required - defaults.ALWAYS_FILLED)
            rendered.append((specificity, t, text))
        if not rendered:
            return None
        best = max(s for s, _, _ in rendered)
        rendered = [(t, text) for s, t, text in rendered if s == best]
        rendered.sort(key=lambda r: (r[0].id or 0, r[0].text))
        return rendered[_seed(key, kind, category, salt) % len(rendered)]

    # --- problem naming ---------------------------------------------------------------------
    def _quotable(self, label: str, words: list[str], inp: ReplyInput) -> list[str]:
        """The buyer's own complaint words for ``label``, never words a model chose."""
        return [] if label in inp.model_evidence else self._safe_words(words)

    def _safe_words(self, words) -> list[str]:
        """Evidence words fit to quote: two characters or more, no rule broken, no duplicates."""
        out: list[str] = []
        for w in words or ():
            if not isinstance(w, str):
                continue
            w = w.strip().strip("，。！？,.!?、 ")
            if len(w) < 2 or len(w) > 12 or any(ch.isdigit() for ch in w) or w in defaults.NEUTRAL_WORDS:
                continue
            if content_issues(w, self.rules):
                continue
            if any(w in o for o in out):
                continue
            out = [o for o in out if o not in w] + [w]
        return out

    @staticmethod
    def problems_for(category: str, evidence_words: list[str], text: str, food_safety_only: bool | None = None):
        """The specific problem phrases for one category: [(phrase, food_safety)], most specific first."""
        found: list[tuple[str, bool]] = []
        for cat, keywords, phrase, safety in defaults.SUBTYPES:
            if cat != category or (food_safety_only is not None and safety != food_safety_only):
                continue
            if any(k in w for w in evidence_words for k in keywords):
                found.append((phrase, safety))
        if not found:
            for cat, keywords, phrase, safety in defaults.SUBTYPES:
                if cat != category or (food_safety_only is not None and safety != food_safety_only):
                    continue
                if any(len(k) >= 2 and k in text for k in keywords):
                    found.append((phrase, safety))
        return found

    # --- the reply --------------------------------------------------------------------------
    def draft(self, inp: ReplyInput, learned: dict[str, LearnedSentence] | None = None) -> DraftResult:
        learned = learned or {}
        facts = inp.facts
        tone = inp.buyer_tier if inp.buyer_tier in ("new", "returning") else "any"
        key = inp.key
        notes: list[str] = []
        categories = [c for c in defaults.CATEGORY_ORDER if c in (inp.categories or [])]
        text = inp.text or ""

        product = facts.product.strip() if facts.product and facts.product.strip() else None
        if product and content_issues(product, self.rules):
            product = None
        date = _fmt_date(facts.order_date)
        if product:
            item = f"您{date}下单的{product}" if date else f"您购买的{product}"
        else:
            item = f"您{date}下单的商品" if date else "您收到的商品"
        base = {
            "item": item,
            "product": product or "这款商品",
            "carrier": facts.carrier if facts.carrier and not content_issues(facts.carrier, self.rules) else None,
            "ship_date": _fmt_date(facts.ship_date),
            "sign_date": _fmt_date(facts.sign_date),
            "production_date": _fmt_full_date(facts.production_date),
            "batch_code": facts.batch_code if facts.batch_code and not content_issues(facts.batch_code, self.rules)
            else None,
        }
        if facts.ship_date and facts.sign_date and (facts.sign_date - facts.ship_date).days >= 3:
            base["transit_days"] = str((facts.sign_date - facts.ship_date).days)
        if facts.paid_date and facts.ship_date and (facts.ship_date - facts.paid_date).days >= 2:
            base["ship_delay_days"] = str((facts.ship_date - facts.paid_date).days)
        if facts.near_expiry and facts.shelf_left_ratio is not None:
            base["shelf_left"] = f"约{max(1, round(facts.shelf_left_ratio * 100))}%"

        problems: dict[str, str] = {}
        quoted: dict[str, list[str]] = {}
        parts: list[Part] = []
        used_actions: set[str] = set()

        chosen = self._choose(key, "opening", "any", tone, False, base)
        if chosen:
            parts.append(Part("opening", "any", _ends(chosen[1]), chosen[0].id))

        # Food safety first: one careful block for the categories that carry the health risk.
        safety_cats: list[str] = []
        if inp.food_safety:
            phrases, words = [], []
            for c in categories or ["quality"]:
                raw = _words((inp.evidence or {}).get(c, []))
                ev = self._quotable(c, raw, inp)
                found = self.problems_for(c, raw + [text], text, food_safety_only=True)
                if found:
                    safety_cats.append(c)
                    phrases += [p for p, _ in found if p not in phrases]
                    words += [w for w in ev if w not in words]
            if not safety_cats:  # flagged by the classifier without a recognisable cue
                safety_cats = [c for c in categories if c in ("quality", "freshness")][:1]
                phrases = ["可能存在食品安全问题"]
            problem = "，".join(phrases[:2])
            values = dict(base, problem=problem, evidence="、".join(f"“{w}”" for w in words[:2]) or None)
            chosen = self._choose(key, "ack", "any", tone, True, values)
            if chosen:
                parts.append(Part("ack", "food_safety", _ends(chosen[1]), chosen[0].id))
            for c in safety_cats:
                problems[c] = problem
                quoted[c] = words[:2]
            action = self._corrective(key, safety_cats, facts, base, used_actions, notes)
            if action:
                parts.append(action)
            chosen = self._choose(key, "action", "any", tone, True, base)
            if chosen:
                parts.append(Part("action", "food_safety", _ends(chosen[1]), chosen[0].id))

        rest = [c for c in categories if c not in safety_cats]
        if not categories:
            chosen = self._choose(key, "ack", "none", tone, False, base)
            if chosen:
                parts.append(Part("ack", "none", _ends(chosen[1]), chosen[0].id))
        n_acked = 1 if safety_cats else 0
        for c in rest:
            raw = _words((inp.evidence or {}).get(c, []))
            ev = self._quotable(c, raw, inp)
            found = self.problems_for(c, raw, text, food_safety_only=False if inp.food_safety else None)
            phrases = [p for p, _ in found]
            if len(phrases) > 1:  # the generic phrase only when nothing more specific was found
                phrases = [p for p in phrases if p != defaults.DEFAULT_PROBLEMS[c]]
            problem = "，".join(phrases[:2]) if phrases else defaults.DEFAULT_PROBLEMS[c]
            # quote the customer's own words unless the phrase already says them
            words = [w for w in ev if w not in problem][:2]
            problems[c] = problem
            quoted[c] = words
            values = dict(base, problem=problem, evidence="、".join(f"“{w}”" for w in words) or None)
            chosen = self._choose(key, "ack", c, tone, False, values)
            if chosen is None:
                chosen = (TemplateData("ack", c, "any", False, ""), f"{item}{problem}，非常抱歉。")
            ack = _ends(chosen[1])
            if n_acked:
                ack = defaults.CONNECTORS[_seed(key, "connector", c) % len(defaults.CONNECTORS)] + ack
            parts.append(Part("ack", c, ack, chosen[0].id))
            n_acked += 1
            chosen = self._choose(key, "explain", c, tone, False, base)
            if chosen:
                parts.append(Part("explain", c, _ends(chosen[1]), chosen[0].id))
            corrective = self._corrective(key, [c], facts, base, used_actions, notes)
            if corrective:
                parts.append(corrective)
            elif c in learned:
                parts.append(Part("learned", c, _ends(learned[c].text), None, learned[c].source_id))
            else:
                chosen = self._choose(key, "action", c, tone, False, base)
                if chosen:
                    parts.append(Part("action", c, _ends(chosen[1]), chosen[0].id))

        chosen = self._choose(key, "closing", "any", tone, False, base)
        if chosen:
            parts.append(Part("closing", "any", _ends(chosen[1]), chosen[0].id))

        # A part that breaks a content rule is dropped when it is optional.
        kept = []
        for p in parts:
            bad = content_issues(p.text, self.rules)
            if bad and p.kind in ("explain", "action", "learned", "closing", "opening"):
                notes.append(f"删去了不合规的{p.kind}部分：{bad[0].message}")
                continue
            kept.append(p)
        parts = self._fit(kept, inp, tone, base, problems)

        reply = "".join(p.text for p in parts)
        issues = validate(reply, self.rules, categories=categories, food_safety=inp.food_safety)
        return DraftResult(
            text=reply, parts=parts, issues=issues,
            template_ids=[p.template_id for p in parts if p.template_id is not None],
            source_ids=sorted({p.source_id for p in parts if p.source_id is not None}),
            problems=problems, quoted=quoted, notes=notes)

    def _corrective(self, key, cats, facts: ReplyFacts, base, used: set[str], notes) -> Part | None:
        for c in list(cats) + ["any"]:
            action = clean_action(facts.corrective.get(c, ""))
            if not action or action in used:
                continue
            bad = content_issues(action, self.rules)
            if bad:
                notes.append(f"整改措施含不允许公开的内容，未写入回复：{bad[0].message}")
                used.add(action)
                continue
            chosen = self._choose(key, "corrective", "any", "any", False, dict(base, action=action))
            text = chosen[1] if chosen else f"针对这个问题，{action}。"
            used.add(action)
            return Part("corrective", cats[0] if cats else "any", _ends(text), chosen[0].id if chosen else None)
        return None

    def _fit(self, parts: list[Part], inp: ReplyInput, tone: str, base, problems) -> list[Part]:
        """Shorten until the reply fits the platform's limit, keeping every complaint answered."""
        limit = self.rules.max_chars

        def length(ps):
            return reply_length("".join(p.text for p in ps))

        if length(parts) <= limit:
            return parts
        # 1-3: drop explanations, then default actions and learned wording, then the closing
        for kinds in (("explain",), ("action", "learned"), ("closing",)):
            for p in reversed([p for p in parts if p.kind in kinds and p.category != "food_safety"]):
                parts = [q for q in parts if q is not p]
                if length(parts) <= limit:
                    return parts
        # 4: the short opening (tone kept)
        parts = [Part("opening", "any", defaults.SHORT_OPENINGS[tone]) if p.kind == "opening" else p for p in parts]
        if length(parts) <= limit:
            return parts
        # 5: compact acknowledgements: the problem named in one short clause each
        compact = []
        for p in parts:
            if p.kind == "ack" and p.category in problems:
                compact.append(Part("ack", p.category, f"{problems[p.category]}，非常抱歉。", p.template_id))
            else:
                compact.append(p)
        parts = compact
        if length(parts) <= limit:
            return parts
        # 6: the food-safety action and corrective actions go last; then cut at a sentence end
        for kinds in (("action",), ("corrective",), ("opening",)):
            for p in reversed([p for p in parts if p.kind in kinds]):
                parts = [q for q in parts if q is not p]
                if length(parts) <= limit:
                    return parts
        text = "".join(p.text for p in parts)[:limit]
        cut = max(text.rfind(ch) for ch in _SENTENCE_END)
        return [Part("ack", "any", text[: cut + 1] if cut > 0 else text[: limit])]


def default_templates() -> list[TemplateData]:
    return [TemplateData(kind, cat, tone, fs, text, id=None)
            for kind, cat, tone, fs, text in defaults.DEFAULT_TEMPLATES]
