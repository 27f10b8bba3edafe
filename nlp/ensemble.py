"""Stacking: per-label logistic regression over the lexicon, TF-IDF and transformer outputs.

Features for one text (``feature_names`` lists them): the lexicon's raw category weights, their
square roots, the food-safety rule flag, the praise count, the length (log), then the logits of
each model path present. The stacker is fitted on out-of-fold predictions of the training part
(cross-validation inside ``train``), so it learns how far to trust each path per label; its
thresholds are tuned on those out-of-fold scores too, never on held-out data.

Each label's regression sees only the features about that label (``label_columns``): its own
lexicon weights, the general ones (food-safety rule, praise, length) and, from each model block,
the logit of that label and of ``complaint`` (a one-column block such as the sentiment model is
kept whole). With ~60 training examples of ``service`` or ``price``, a regression over every
feature learns noise from the other labels' logits; cross-validated on the training part the
restriction raised service and price F1 by 2–3 points and changed the others by under one.
"""
from __future__ import annotations

import math

import numpy as np

from .base import CATEGORIES, LABELS
from .lexicon import LexiconAnalysis
from .tfidf import fit_per_label


def lexicon_features(a: LexiconAnalysis) -> list[float]:
    raw = [a.raw[c] for c in CATEGORIES]
    return raw + [math.sqrt(min(r, 4.0)) for r in raw] + [
        float(a.food_safety), min(a.praise, 5.0), math.log1p(len(a.text))]


def lexicon_feature_names() -> list[str]:
    return ([f"lex_{c}" for c in CATEGORIES] + [f"lexsqrt_{c}" for c in CATEGORIES]
            + ["lex_food_safety_rule", "lex_praise", "log_len"])


def build_features(analyses: list[LexiconAnalysis], *logit_blocks: np.ndarray) -> np.ndarray:
    lex = np.array([lexicon_features(a) for a in analyses], dtype=np.float32).reshape(len(analyses), -1)
    blocks = [lex] + [np.clip(b.astype(np.float32), -12, 12) for b in logit_blocks]
    return np.hstack(blocks)


class Stacker:
    """One logistic regression per label over the stacked features (plain arrays)."""

    def __init__(self, coef: np.ndarray, intercept: np.ndarray, mean: np.ndarray, scale: np.ndarray,
                 thresholds: dict[str, float], labels: tuple[str, ...] = LABELS):
        self.coef = np.asarray(coef, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=np.float32)
        self.mean = np.asarray(mean, dtype=np.float32)
        self.scale = np.asarray(scale, dtype=np.float32)
        self.thresholds = dict(thresholds)
        self.labels = tuple(labels)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        z = np.clip((X - self.mean) / self.scale, -10, 10) @ self.coef.T + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def to_json(self) -> dict:
        return {"labels": list(self.labels), "coef": self.coef.round(6).tolist(),
                "intercept": self.intercept.round(6).tolist(), "mean": self.mean.round(6).tolist(),
                "scale": self.scale.round(6).tolist(), "thresholds": self.thresholds}

    @classmethod
    def from_json(cls, d: dict) -> Stacker:
        return cls(np.array(d["coef"]), np.array(d["intercept"]), np.array(d["mean"]),
                   np.array(d["scale"]), d["thresholds"], tuple(d["labels"]))


def label_columns(label: str, block_sizes: list[int], labels: tuple[str, ...] = LABELS) -> list[int]:
    """The columns of ``build_features`` output that the regression of ``label`` uses."""
    n = len(CATEGORIES)
    cols = [2 * n, 2 * n + 1, 2 * n + 2]  # food-safety rule, praise, log length
    if label in CATEGORIES:
        c = CATEGORIES.index(label)
        cols += [c, n + c]
    else:  # complaint / food_safety: every lexicon category weight
        cols += list(range(2 * n))
    off = 2 * n + 3
    for size in block_sizes:
        if size == len(labels):
            cols += sorted({off + labels.index(label), off + labels.index("complaint")})
        else:
            cols += list(range(off, off + size))
        off += size
    return sorted(set(cols))


def fit_stacker(X: np.ndarray, y: np.ndarray, block_sizes: list[int], C: float = 0.5,
                seed: int = 0, weights: np.ndarray | None = None) -> Stacker:
    """``block_sizes``: the widths of the logit blocks after the lexicon features (e.g. ``[9, 1]``
    for TF-IDF + sentiment). Each label uses its ``label_columns`` only; the other coefficients
    stay 0, so a stacker is saved and applied as one full matrix. ``weights``: per-row sample
    weights (``mix_weights``)."""
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale = np.maximum(scale, 0.05)
    Z = np.clip((X - mean) / scale, -10, 10)
    coef = np.zeros((y.shape[1], X.shape[1]), dtype=np.float32)
    intercept = np.zeros(y.shape[1], dtype=np.float32)
    for j, lab in enumerate(LABELS):
        cols = label_columns(lab, block_sizes)
        c, b = fit_per_label(Z[:, cols], y[:, [j]], C=C, seed=seed, max_iter=5000,
                             sample_weight=weights)
        coef[j, cols] = c[0]
        intercept[j] = b[0]
    return Stacker(coef, intercept, mean, scale, {lab: 0.5 for lab in LABELS})


def mix_weights(y: np.ndarray, complaint_share: float | None,
                labels: tuple[str, ...] = LABELS) -> np.ndarray:
    """Row weights that give the non-complaint rows the weight they would have if complaints
    were ``complaint_share`` of the rows (never less than 1: only an over-share of complaints is
    corrected). Labeling rounds aimed at complaints raise their share in the training data; without
    this, the stackers and thresholds learn that most texts complain, and praise is called a
    complaint more often."""
    w = np.ones(len(y), dtype=np.float64)
    if complaint_share is None or not len(y):
        return w
    comp = y[:, labels.index("complaint")].astype(bool)
    n_pos, n_neg = int(comp.sum()), int((~comp).sum())
    if n_pos and n_neg:
        w[~comp] = max(1.0, n_pos * (1 - complaint_share) / (complaint_share * n_neg))
    return w


def weighted_f1(pred: np.ndarray, truth: np.ndarray, w: np.ndarray) -> float:
    """F1 of boolean predictions, each row counting ``w`` times (0.0 when nothing is predicted or
    true)."""
    denom = w[pred].sum() + w[truth].sum()
    return float(2 * w[pred & truth].sum() / denom) if denom else 0.0


def tune_thresholds(p: np.ndarray, y: np.ndarray, labels: tuple[str, ...] = LABELS,
                    fs_min_recall: float = 0.97,
                    weights: np.ndarray | None = None) -> dict[str, float]:
    """Per-label threshold maximizing F1 on out-of-fold scores (food safety: the highest
    threshold keeping recall >= ``fs_min_recall``). Smoothed: the middle of the best plateau.
    ``weights``: per-row weights of the F1 counts (``mix_weights``)."""
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
    grid = np.round(np.arange(0.10, 0.91, 0.02), 2)
    out = {}
    for j, lab in enumerate(labels):
        yj = y[:, j].astype(bool)
        if yj.sum() == 0:
            out[lab] = 0.5
            continue
        if lab == "food_safety":
            ok = [t for t in grid if (p[yj, j] >= t).mean() >= fs_min_recall]
            out[lab] = float(max(ok)) if ok else 0.1
            continue
        f1s = np.array([weighted_f1(p[:, j] >= t, yj, w) for t in grid])
        # smooth over neighbours so one lucky grid point does not win
        sm = np.convolve(f1s, np.ones(3) / 3, mode="same")
        out[lab] = float(grid[int(np.argmax(sm))])
    return out


def tune_complaint_gate(p: np.ndarray, y: np.ndarray, thresholds: dict[str, float],
                        weights: np.ndarray | None = None,
                        labels: tuple[str, ...] = LABELS) -> float:
    """A line on the ``complaint`` head below which a text reports no category: the value that
    maximizes the (row-weighted) F1 of the complaint decision on out-of-fold scores, or 0.0 (no
    gate) when none beats having none. A text is a complaint when a category passes its
    threshold; this lets the head that sees the whole text (praise with a complaint word in it,
    "日期很新鲜", "一个坏的都没有") veto that."""
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
    cats = [j for j, lab in enumerate(labels) if lab in CATEGORIES]
    j_c = labels.index("complaint")
    any_cat = np.zeros(len(y), dtype=bool)
    for j in cats:
        any_cat |= p[:, j] >= thresholds[labels[j]]
    truth = y[:, j_c].astype(bool)
    best_gate, best = 0.0, weighted_f1(any_cat, truth, w)
    for gate in np.round(np.arange(0.05, 0.61, 0.05), 2):
        score = weighted_f1(any_cat & (p[:, j_c] >= gate), truth, w)
        if score > best + 1e-6:
            best_gate, best = float(gate), score
    return best_gate
