"""Learning from approved replies: the most similar approved complaint lends its manager's wording.

Reviews are compared by TF-IDF over character 2-3-grams (scikit-learn). From the most similar
approved replies (cosine >= MIN_SIMILARITY) that answered the same category, the sentences a
manager wrote or rewrote (not in the machine draft) that state a commitment - and, when that
reply answered several categories, mention this one - are taken, adapted (the old product and
carrier names replaced by the new ones; sentences with numbers, dates or quoted customer words
skipped, since those facts belonged to the other order) and offered to the drafter in place of
the default action for that category. The drafter validates the result like any other wording.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .defaults import CATEGORY_MENTIONS
from .engine import LearnedSentence, ReplyInput
from .rules import RuleSettings, content_issues

_SENT_RE = re.compile(r"[^。！？!?]+[。！？!?]?")
_COMMITMENT = ("会", "已", "将", "加强", "改进", "检查", "复查", "核实", "整改", "优化", "调整", "更换", "追查")
MIN_SIMILARITY = 0.2


@dataclass
class ApprovedReply:
    id: int
    review_text: str
    text: str
    draft_text: str
    categories: list[str] = field(default_factory=list)
    product: str | None = None
    carrier: str | None = None


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENT_RE.findall(text or "") if s.strip()]


def manager_sentences(reply: ApprovedReply) -> list[str]:
    """Sentences of the approved text that were not in the machine draft."""
    drafted = {s.lstrip("另外还有同时此外，,") for s in sentences(reply.draft_text)}
    return [s for s in sentences(reply.text) if s.lstrip("另外还有同时此外，,") not in drafted]


class ApprovedReplyIndex:
    def __init__(self, replies: list[ApprovedReply], min_similarity: float = MIN_SIMILARITY):
        self.replies = [r for r in replies if (r.review_text or "").strip()]
        self.min_similarity = min_similarity
        self._vectorizer = None
        self._matrix = None
        if self.replies:
            from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: PLC0415

            self._vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True)
            self._matrix = self._vectorizer.fit_transform([_norm(r.review_text) for r in self.replies])

    def __len__(self) -> int:
        return len(self.replies)

    def similar(self, text: str, k: int = 5) -> list[tuple[ApprovedReply, float]]:
        if self._vectorizer is None or not (text or "").strip():
            return []
        query = self._vectorizer.transform([_norm(text)])
        sims = (self._matrix @ query.T).toarray().ravel()  # rows are L2-normalised: cosine
        order = sims.argsort()[::-1][:k]
        return [(self.replies[i], float(sims[i])) for i in order if sims[i] >= self.min_similarity]

    def learned_for(self, inp: ReplyInput, rules: RuleSettings) -> dict[str, LearnedSentence]:
        """category -> a manager's sentence from the most similar approved reply of that category."""
        out: dict[str, LearnedSentence] = {}
        for reply, sim in self.similar(inp.text):
            for category in inp.categories:
                if category in out or category not in (reply.categories or []):
                    continue
                for sentence in manager_sentences(reply):
                    adapted = adapt(sentence, reply, inp)
                    # a reply that answered one category only: its sentences are about that category
                    single = len(reply.categories or []) == 1
                    if adapted and _fits(adapted, None if single else category, rules):
                        out[category] = LearnedSentence(category, adapted, reply.id, sim)
                        break
        return out


def adapt(sentence: str, reply: ApprovedReply, inp: ReplyInput) -> str | None:
    """The sentence with the other order's names replaced; None when it carries other facts."""
    if any(ch.isdigit() for ch in sentence) or "“" in sentence or '"' in sentence or "月" in sentence:
        return None
    out = sentence.lstrip("另外还有同时此外，,")
    if reply.product and reply.product in out:
        out = out.replace(reply.product, inp.facts.product or "这款商品")
    if reply.carrier and reply.carrier in out:
        out = out.replace(reply.carrier, inp.facts.carrier or "快递")
    return out


def _fits(sentence: str, category: str | None, rules: RuleSettings) -> bool:
    if len(sentence) < 6 or len(sentence) > 120:
        return False
    if category is not None and not any(w in sentence for w in CATEGORY_MENTIONS.get(category, ())):
        return False
    if not any(w in sentence for w in _COMMITMENT):
        return False
    return not content_issues(sentence, rules)


def _norm(text: str) -> str:
    try:
        from nlp.text import normalize  # noqa: PLC0415
    except ImportError:  # pragma: no cover
        return (text or "").lower()
    return normalize(text)
