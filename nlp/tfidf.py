"""TF-IDF character 1-3-gram + logistic-regression baseline, one binary model per label.

Trained with scikit-learn; shipped as plain arrays (``tfidf.npz`` + ``tfidf_vocab.json``), no
pickle, and scored here with numpy only (same analyzer, sublinear tf, smooth idf, l2 norm).
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np

from .base import LABELS

_WS = re.compile(r"\s\s+")
NGRAMS = (1, 3)


def char_ngrams(text: str, lo: int = NGRAMS[0], hi: int = NGRAMS[1]) -> list[str]:
    """sklearn's ``analyzer='char'`` n-grams (whitespace runs collapsed)."""
    text = _WS.sub(" ", text)
    out = []
    n_len = len(text)
    for n in range(lo, hi + 1):
        out.extend(text[i: i + n] for i in range(n_len - n + 1))
    return out


def label_matrix(rows: list[dict]) -> np.ndarray:
    y = np.zeros((len(rows), len(LABELS)), dtype=np.int64)
    for i, r in enumerate(rows):
        cats = r.get("categories") or []
        for j, lab in enumerate(LABELS):
            if lab == "complaint":
                y[i, j] = int(bool(r.get("complaint")))
            elif lab == "food_safety":
                y[i, j] = int(bool(r.get("food_safety")))
            else:
                y[i, j] = int(lab in cats)
    return y


def fit(texts: list[str], y: np.ndarray, C: float = 8.0, min_df: int = 2, seed: int = 0,
        labels: tuple[str, ...] = LABELS, max_features: int | None = None,
        balanced: bool = True) -> "TfidfModel":
    """``texts`` must be normalized already. Labels with one class only get a constant model."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: PLC0415

    vec = TfidfVectorizer(analyzer="char", ngram_range=NGRAMS, lowercase=False, min_df=min_df,
                          sublinear_tf=True, dtype=np.float64, max_features=max_features)
    X = vec.fit_transform(texts)
    vocab = [None] * len(vec.vocabulary_)
    for term, idx in vec.vocabulary_.items():
        vocab[idx] = term
    coef, intercept = fit_per_label(X, y, C=C, seed=seed, max_iter=2000,
                                    class_weight="balanced" if balanced else None)
    return TfidfModel(vocab, vec.idf_.astype(np.float32), coef, intercept, labels)


def fit_per_label(X, y: np.ndarray, *, C: float, seed: int, max_iter: int,
                  class_weight: str | None = None,
                  sample_weight: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One binary logistic regression per label column of ``y``; a label that is all 0 or all 1
    gets a saturated intercept instead. Returns (coef [labels x features], intercept [labels])."""
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415

    coef = np.zeros((y.shape[1], X.shape[1]), dtype=np.float32)
    intercept = np.zeros(y.shape[1], dtype=np.float32)
    for j in range(y.shape[1]):
        pos = int(y[:, j].sum())
        if pos == 0 or pos == len(y):
            intercept[j] = 8.0 if pos else -8.0
            continue
        lr = LogisticRegression(C=C, class_weight=class_weight, max_iter=max_iter, random_state=seed)
        lr.fit(X, y[:, j], sample_weight=sample_weight)
        coef[j] = lr.coef_[0]
        intercept[j] = lr.intercept_[0]
    return coef, intercept


class TfidfModel:
    def __init__(self, vocab: list[str], idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray,
                 labels: tuple[str, ...] = LABELS):
        self.vocab = vocab
        self.index = {t: i for i, t in enumerate(vocab)}
        self.idf = idf
        self.coef = coef
        self.intercept = intercept
        self.labels = tuple(labels)
        self._coef_t = np.ascontiguousarray(coef.T)  # (n_terms, n_labels)

    def logits(self, texts: list[str]) -> np.ndarray:
        """``texts`` normalized already; returns (n, n_labels) logits."""
        out = np.tile(self.intercept, (len(texts), 1)).astype(np.float32)
        index, idf, coef_t = self.index, self.idf, self._coef_t
        for r, text in enumerate(texts):
            counts: dict[int, int] = {}
            for g in char_ngrams(text):
                i = index.get(g)
                if i is not None:
                    counts[i] = counts.get(i, 0) + 1
            if not counts:
                continue
            ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
            w = (1.0 + np.log(tf)) * idf[ids]
            norm = math.sqrt(float(w @ w))
            if norm > 0:
                out[r] += (w / norm) @ coef_t[ids]
        return out

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logits(texts)))

    # -- persistence (arrays + JSON; no pickle) -------------------------------------------
    def save(self, directory: str | Path) -> None:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(d / "tfidf.npz", idf=self.idf, coef=self.coef.astype(np.float16),
                            intercept=self.intercept)
        (d / "tfidf_vocab.json").write_text(
            json.dumps({"labels": list(self.labels), "ngrams": list(NGRAMS), "vocab": self.vocab},
                       ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: str | Path) -> TfidfModel:
        d = Path(directory)
        meta = json.loads((d / "tfidf_vocab.json").read_text(encoding="utf-8"))
        if tuple(meta.get("ngrams", NGRAMS)) != NGRAMS:
            raise ValueError(f"{d}: n-gram range {meta['ngrams']} not supported")
        with np.load(d / "tfidf.npz", allow_pickle=False) as z:
            return cls(meta["vocab"], z["idf"].astype(np.float32), z["coef"].astype(np.float32),
                       z["intercept"].astype(np.float32), tuple(meta["labels"]))
