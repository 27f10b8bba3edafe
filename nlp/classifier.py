"""The model-backed classifiers (TF-IDF, transformer, ensemble) behind the one interface.

A model directory holds ``model.json`` (the manifest: version, paths, thresholds, the stacker),
``tfidf/`` (arrays) and ``bert/`` (a ``save_pretrained`` directory). One ``ModelClassifier`` runs
one path of it: ``tfidf``, ``bert`` or ``ensemble`` (stacking lexicon + TF-IDF + transformer).

Reported scores are calibrated so that 0.5 is always the decision line of that label (a raw
probability ``p`` with threshold ``t`` maps to ``0.5 p/t`` below and ``0.5 + 0.5 (p-t)/(1-t)``
above), so a manager can compare them across labels and versions.
"""
from __future__ import annotations

import json
from itertools import accumulate
from pathlib import Path

import numpy as np

from .base import (CATEGORIES, LABELS, LOW_CONFIDENCE, MODEL_EVIDENCE, ClassificationResult,
                   Classifier, batch_items, error_result, has_cjk, margin_confidence, parse_item)
from .lexicon import LexiconClassifier, hearsay_only
from .text import has_content, normalize

PATHS = ("tfidf", "bert", "ensemble")
LOW_RATING_FACTOR = 0.85  # 1-2 stars: thresholds x0.85 (a stated reason is still required)
STRICT_FS_DEFAULT = 0.9


def calibrate(p: float, t: float) -> float:
    if p < t:
        return 0.5 * p / t if t > 0 else 0.0
    return 0.5 + 0.5 * (p - t) / (1 - t) if t < 1 else 1.0


def read_manifest(model_dir: str | Path) -> dict:
    path = Path(model_dir) / "model.json"
    if not path.exists():
        raise FileNotFoundError(f"{model_dir}: not a model directory (no model.json)")
    return json.loads(path.read_text(encoding="utf-8"))


class ModelClassifier(Classifier):
    def __init__(self, model_dir: str | Path, path: str | None = None,
                 lexicon: LexiconClassifier | None = None, quantize: bool | None = None):
        self.model_dir = Path(model_dir)
        self.manifest = read_manifest(self.model_dir)
        path = path or self.manifest["default_path"]
        if path not in self.manifest["paths"]:
            raise ValueError(f"{model_dir}: no {path!r} path (has {sorted(self.manifest['paths'])})")
        self.name = path
        self.spec = self.manifest["paths"][path]
        self.version = self.spec["version"]
        self.lexicon = lexicon or LexiconClassifier()
        inputs = self.spec.get("inputs", [path])
        self.tfidf = None
        self.bert = None
        if "tfidf" in inputs or path == "tfidf":
            from .tfidf import TfidfModel  # noqa: PLC0415

            self.tfidf = TfidfModel.load(self.model_dir / self.manifest["paths"]["tfidf"]["dir"])
        if "bert" in inputs or path == "bert":
            from .bert import BertScorer  # noqa: PLC0415

            bspec = self.manifest["paths"]["bert"]
            q = bspec.get("quantize", True) if quantize is None else quantize
            self.bert = BertScorer(self.model_dir / bspec["dir"], quantize=q)
        self.sentiment = None
        if "sentiment" in inputs:
            from .tfidf import TfidfModel  # noqa: PLC0415

            self.sentiment = TfidfModel.load(self.model_dir / self.manifest["paths"]["sentiment"]["dir"])
        self.stacker = None
        if "stacker" in self.spec:
            from .ensemble import Stacker  # noqa: PLC0415

            self.stacker = Stacker.from_json(self.spec["stacker"])
            self.inputs = inputs
        self.fs_extra_threshold = self.manifest["paths"].get("tfidf", {}).get(
            "thresholds", {}).get("food_safety", 1.01)
        self.thresholds: dict[str, float] = (self.stacker.thresholds if self.stacker
                                             else self.spec["thresholds"])
        # food safety needs a rule hit or a model probability at or above this strict line
        # (fitted on out-of-fold scores of the training part, ``pipeline.strict_fs_threshold``);
        # a model score between the recall-first threshold and this line only sends the text
        # to manual triage (low_confidence). Manifests without it: 0.9.
        self.fs_strict = float(self.spec.get("food_safety_strict", STRICT_FS_DEFAULT))
        # below this complaint-head probability no category is reported (ensemble.tune_complaint_gate;
        # 0 in manifests before 2026.12.08: none)
        self.complaint_gate = float(self.spec.get("complaint_gate", 0.0))

    # -- raw probabilities ------------------------------------------------------------------
    def probabilities(self, texts: list[str], analyses=None) -> np.ndarray:
        """(n, len(LABELS)) probabilities for normalized ``texts``."""
        return self._infer(texts, analyses)[0]

    def _infer(self, texts: list[str], analyses=None):
        """Probabilities and, when the TF-IDF model ran, its logits (no shared state, so one
        classifier can serve several threads)."""
        if analyses is None:
            analyses = [self.lexicon.analyze(t, normalized=True) for t in texts]
        if self.name == "tfidf":
            lg = self.tfidf.logits(texts)
            return 1.0 / (1.0 + np.exp(-lg)), lg
        if self.name == "bert":
            return self.bert.scores(texts, normalized=True), None
        from .ensemble import build_features  # noqa: PLC0415

        blocks = []
        tf_logits = None
        for inp in self.inputs:
            if inp == "tfidf":
                tf_logits = self.tfidf.logits(texts)
                blocks.append(tf_logits)
            elif inp == "sentiment":
                blocks.append(self.sentiment.logits([t[:300] for t in texts]))
            elif inp == "bert":
                blocks.append(self.bert.logits(texts, normalized=True))
        return self.stacker.predict_proba(build_features(analyses, *blocks)), tf_logits

    # -- classification ---------------------------------------------------------------------
    def _classify_items(self, items: list) -> list[ClassificationResult]:
        items = batch_items(items)
        results: list[ClassificationResult | None] = [None] * len(items)
        todo: list[tuple[int, object, str, int | None]] = []
        for i, item in enumerate(items):
            try:
                item_id, text, rating, problem = parse_item(item)
                if problem:
                    results[i] = error_result(item_id, problem, self.version)
                    continue
                norm = normalize(text)
                if not has_content(norm):
                    results[i] = error_result(
                        item_id, "no text to classify (empty after normalization)", self.version)
                    continue
                todo.append((i, item_id, norm, rating))
            except Exception as exc:  # noqa: BLE001
                results[i] = error_result(None, f"bad item: {exc!r}", self.version)
        if todo:
            try:
                self._classify_valid(todo, results)
            except Exception:  # noqa: BLE001 - fall back item by item, isolating the bad one
                for entry in todo:
                    try:
                        self._classify_valid([entry], results)
                    except Exception as exc:  # noqa: BLE001
                        results[entry[0]] = error_result(
                            entry[1], f"classification failed: {exc!r}", self.version)
        return results  # type: ignore[return-value]

    def _classify_valid(self, todo, results) -> None:
        texts = [t for _, _, t, _ in todo]
        analyses = [self.lexicon.analyze(t, normalized=True) for t in texts]
        probs, tf_logits = self._infer(texts, analyses)
        src = "ensemble" if self.stacker is not None else "model"
        # food safety is recall-first: in an ensemble the TF-IDF model's own food-safety head
        # (thresholded on its out-of-fold scores) can flag a text on its own
        fs_extra = [None] * len(texts)
        if self.stacker is not None and tf_logits is not None:
            fs_extra = list(1 / (1 + np.exp(-tf_logits[:, LABELS.index("food_safety")])))
        for (i, item_id, norm, rating), a, p, fx in zip(todo, analyses, probs, fs_extra):
            results[i] = self._decide(item_id, norm, rating, a, p, src, fx)

    def _decide(self, item_id, norm, rating, a, p, src, fs_extra=None) -> ClassificationResult:
        factor = LOW_RATING_FACTOR if rating is not None and rating <= 2 else 1.0
        thr = {lab: self.thresholds.get(lab, 0.5) * (factor if lab in CATEGORIES else 1.0)
               for lab in LABELS}
        prob = {lab: float(p[j]) for j, lab in enumerate(LABELS)}
        scores = {lab: round(calibrate(prob[lab], thr[lab]), 4) for lab in LABELS}
        cats = [c for c in CATEGORIES if prob[c] >= thr[c]]
        if prob["complaint"] < self.complaint_gate * factor:
            cats = []  # the whole-text head says praise: a complaint word alone does not decide
        sources = {c: src for c in cats}
        fs_rule = a.food_safety
        # a scandal retold or a feeling named (三聚氰胺, 毒死, 难受 …) flags a complaint the models
        # found, but makes none on its own: alone it is mostly a boycott post or a joke (TAXONOMY),
        # so such a text goes to triage instead of opening a QC task
        fs_hearsay = fs_rule and not cats and hearsay_only(a.food_safety_evidence)
        fs_rule = fs_rule and not fs_hearsay
        # food safety is precision-first for the flag (a flag opens a critical QC task at once):
        # the lexicon's high-precision rules (negation-aware) or a model probability at or above
        # the strict line. A model score only above the recall-first threshold (or the TF-IDF
        # food-safety head of an ensemble) does NOT set the flag: the text goes to manual triage.
        fs_strong = prob["food_safety"] >= max(self.fs_strict, thr["food_safety"])
        fs_weak = not fs_rule and not fs_strong and (
            prob["food_safety"] >= thr["food_safety"]
            or bool(fs_extra is not None and fs_extra >= self.fs_extra_threshold))
        if (fs_rule or fs_strong) and not cats:
            # a health risk is reported, so it is a complaint; the category is a guess
            # (freshness or quality, whichever scores higher) unless the rules named one
            best = "freshness" if fs_rule and a.spoilage else max(("freshness", "quality"), key=lambda c: prob[c])
            cats = [best]
            sources[best] = "rule" if fs_rule else src
        elif fs_rule and a.spoilage and "freshness" not in cats:
            # the rules read spoilage, mould or expiry (TAXONOMY: freshness) where the models, which
            # tie food safety to quality, see no freshness complaint
            cats = [c for c in CATEGORIES if c in cats or c == "freshness"]
            sources["freshness"] = "rule"
        food_safety = bool(cats) and (fs_rule or fs_strong)
        # the food-safety score is calibrated on the line that sets the flag
        scores["food_safety"] = round(calibrate(prob["food_safety"],
                                                max(self.fs_strict, thr["food_safety"])), 4)
        if food_safety:
            sources["food_safety"] = src if fs_strong and not fs_rule else (
                "rule" if fs_rule and not fs_strong else "ensemble")
            scores["food_safety"] = max(scores["food_safety"], 0.9 if fs_rule else 0.5)
        model_only_fs = (fs_strong and not fs_rule) or fs_weak or fs_hearsay
        complaint = bool(cats)
        scores["complaint"] = max(scores[c] for c in CATEGORIES)
        if complaint:
            scores["complaint"] = max(scores["complaint"], 0.5)
        evidence = {c: self._evidence(c, a) for c in cats}
        chosen_by_model = {c for c in cats if evidence[c] and not a.evidence.get(c)}
        if food_safety:
            evidence["food_safety"] = a.food_safety_evidence or self._evidence("food_safety", a)
            if not a.food_safety_evidence and evidence["food_safety"]:
                chosen_by_model.add("food_safety")
            for c in ("quality", "freshness"):  # the risk reported is what the category is about
                if c in evidence and not evidence[c]:
                    evidence[c] = list(evidence["food_safety"])
                    if "food_safety" in chosen_by_model:
                        chosen_by_model.add(c)
        sources.update({MODEL_EVIDENCE + c: "model" for c in sorted(chosen_by_model)})
        conf = margin_confidence(scores, {lab: 0.5 for lab in LABELS})
        return ClassificationResult(
            id=item_id, complaint=complaint, categories=cats, food_safety=food_safety,
            scores=scores, evidence=evidence, sources=sources, confidence=conf,
            low_confidence=conf < LOW_CONFIDENCE or not has_cjk(norm) or model_only_fs,
            model=self.version)

    def _evidence(self, label: str, a, k: int = 3) -> list[str]:
        """The lexicon's spans for ``label``; failing that, the words of the text whose character
        n-grams push the TF-IDF model hardest towards it (see ``word_evidence``)."""
        spans = a.evidence.get(label, []) if label in CATEGORIES else []
        if spans or self.tfidf is None:
            return list(spans)
        j = list(self.tfidf.labels).index(label)
        index, coef, idf = self.tfidf.index, self.tfidf.coef[j], self.tfidf.idf

        def weight(gram: str) -> float:
            idx = index.get(gram)
            return 0.0 if idx is None else float(coef[idx] * idf[idx])

        return word_evidence(a.tokens, weight, k, self.lexicon.single_char_words)


#: function words that are no evidence on their own, however a model weighs their n-grams
EVIDENCE_STOPWORDS = frozenset("""的 了 是 有 在 就 都 也 还 很 又 和 与 及 或 而 但 这 那 个 一 一个 一些 一点 一下
我 你 他 她 它 我们 你们 他们 大家 自己 这个 那个 这次 这些 那些 什么 怎么 还有 就是 都是 全是 也是 还是 但是 可是
不过 然后 而且 所以 因为 如果 虽然 已经 真的 感觉 觉得 时候 好多 很多 里面 出来 起来 下去 过来 一样 一次 一块 一颗
有点 有些 比较 非常 特别 太 吧 吗 呢 啊 呀 哦 嘛 啦 哈 的话 东西 今天 昨天 这样 那样 没有 给 让 被 把 从 到 对 说
似的 一般 原来 后来 之前 以后 以前 现在 全 才 再 只 能 会 要 想 看 去 来 上 下 里 中 后 前""".split())
EVIDENCE_MAX_CHARS = 6


def word_evidence(tokens: list[str], weight, k: int = 3, content_chars=frozenset()) -> list[str]:
    """The ``k`` spans of whole jieba words whose character 2-3-grams ``weight`` (a TF-IDF
    coefficient x idf) scores highest. An n-gram counts for the word that holds it, or for the
    run of words it covers exactly ("有虫" = 有 + 虫). No evidence a manager can read: n-grams
    that cut a word ("完嘴" in 吃完/嘴里), and spans without a content word (a word of two or more
    characters that is no function word, or one of ``content_chars``: 虫, 酸, 臭 ...)."""
    starts = list(accumulate(map(len, tokens), initial=0))
    text = "".join(tokens)
    token_at = {}  # character offset -> index of the token it falls in
    for i, t in enumerate(tokens):
        for c in range(starts[i], starts[i + 1]):
            token_at[c] = i
    best: dict[tuple[int, int], float] = {}
    for n in (2, 3):
        for p in range(len(text) - n + 1):
            gram = text[p:p + n]
            if not all(ch.isalnum() for ch in gram):
                continue
            w = weight(gram)
            if w <= 0:
                continue
            first, last = token_at[p], token_at[p + n - 1]
            if first != last and (starts[first] != p or starts[last + 1] != p + n):
                continue  # the n-gram cuts a word
            span = (first, last + 1)
            if w > best.get(span, 0.0):
                best[span] = w
    kept: list[str] = []
    for (i, j), _ in sorted(best.items(), key=lambda kv: kv[1], reverse=True):
        # filler at either end goes ("的肘子" -> 肘子, "苹果都" -> 苹果) while two characters stay ("有虫")
        while j - i > 1 and tokens[i] in EVIDENCE_STOPWORDS and starts[j] - starts[i + 1] >= 2:
            i += 1
        while j - i > 1 and tokens[j - 1] in EVIDENCE_STOPWORDS and starts[j - 1] - starts[i] >= 2:
            j -= 1
        words = tokens[i:j]
        phrase = "".join(words)
        if len(phrase) > EVIDENCE_MAX_CHARS or not any(ch.isalpha() for ch in phrase) or not any(
                t in content_chars or (len(t) > 1 and t not in EVIDENCE_STOPWORDS) for t in words):
            continue
        if any(phrase in x or x in phrase for x in kept):
            continue
        kept.append(phrase)
        if len(kept) == k:
            break
    return kept
