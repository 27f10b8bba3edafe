"""The praise / false-positive check: how often a classifier flags ordinary reviews.

The held-out split of the labeled data is mostly complaints, so it cannot show how a
classifier behaves on a real shop's reviews, which are mostly praise. This check takes a fixed,
seeded sample of corpus reviews from the food categories (外卖, 水果) — ``n_pos`` with corpus
sentiment 1 and ``n_neg`` with sentiment 0 — and reports the share flagged ``complaint`` and the
share flagged ``food_safety`` in each.

The corpus sentiment label is noisy (some "positive" reviews do complain, e.g. "没有送水"), so
positive→complaint is not a pure error rate; ``food_safety`` on praise is (almost) always wrong.

The sample rows are reserved: they are excluded from the weak negatives used in
training (``weak_negatives``), so the check never scores rows a model was trained on.
"""
from __future__ import annotations

import random
from pathlib import Path

from .data import CORPUS, read_jsonl

FOOD_CATEGORIES = ("外卖", "水果")
FP_SEED = 20261123
N_POS = 600
N_NEG = 300
#: weak negatives a training run asks for (`python -m nlp train --weak-negatives`)
WEAK_NEGATIVES_DEFAULT = 3000


def _food_rows(corpus: str | Path = CORPUS) -> list[dict]:
    return [r for r in read_jsonl(corpus)
            if r.get("category") in FOOD_CATEGORIES and r.get("text") and r.get("sentiment") in (0, 1)]


def sample(corpus: str | Path = CORPUS, n_pos: int = N_POS, n_neg: int = N_NEG,
           seed: int = FP_SEED, rows: list[dict] | None = None) -> tuple[list[dict], list[dict]]:
    """(positives, negatives): a fixed seeded sample of food-category corpus reviews."""
    rows = _food_rows(corpus) if rows is None else rows
    pos = sorted((r for r in rows if r["sentiment"] == 1), key=lambda r: str(r["id"]))
    neg = sorted((r for r in rows if r["sentiment"] == 0), key=lambda r: str(r["id"]))
    rng = random.Random(seed)
    return rng.sample(pos, min(n_pos, len(pos))), rng.sample(neg, min(n_neg, len(neg)))


def weak_negatives(corpus: str | Path = CORPUS, n: int = 1500, seed: int = 13,
                   lexicon=None) -> list[dict]:
    """Corpus positive food reviews in which the lexicon finds no complaint and no food-safety
    word, as non-complaint training rows (``complaint`` false, no categories). The
    false-positive check sample is excluded. For the TRAIN side only."""
    from .lexicon import LexiconClassifier  # noqa: PLC0415
    from .text import normalize  # noqa: PLC0415

    lexicon = lexicon or LexiconClassifier()
    rows = _food_rows(corpus)
    reserved = {str(r["id"]) for part in sample(corpus, rows=rows) for r in part}
    cand = sorted((r for r in rows if r["sentiment"] == 1 and str(r["id"]) not in reserved),
                  key=lambda r: str(r["id"]))
    random.Random(seed).shuffle(cand)
    out = []
    for r in cand:
        t = normalize(r["text"])
        if not t:
            continue
        a = lexicon.analyze(t, normalized=True)
        if a.food_safety or any(LexiconClassifier.scores_from_raw(a.raw)[c] >= 0.3 for c in a.raw):
            continue  # the lexicon sees a possible complaint: not a safe negative
        out.append({"id": f"weakneg-{r['id']}", "text": r["text"], "complaint": False,
                    "categories": [], "food_safety": False})
        if len(out) >= n:
            break
    return out


def check(clf, corpus: str | Path = CORPUS, n_pos: int = N_POS, n_neg: int = N_NEG,
          seed: int = FP_SEED, examples: int = 0) -> dict:
    """Shares flagged on the sample: ``positive_complaint``, ``positive_food_safety``,
    ``negative_complaint``, ``negative_food_safety`` (0..1), plus up to ``examples`` flagged
    positive texts for reading."""
    pos, neg = sample(corpus, n_pos, n_neg, seed)
    out: dict = {"model": getattr(clf, "version", "?"), "n_positive": len(pos), "n_negative": len(neg),
                 "categories": list(FOOD_CATEGORIES), "seed": seed}
    for name, rows in (("positive", pos), ("negative", neg)):
        res = []
        for i in range(0, len(rows), 200):
            res.extend(clf.classify_batch([{"id": r["id"], "text": r["text"]} for r in rows[i:i + 200]]))
        n = max(len(res), 1)
        out[f"{name}_complaint"] = round(sum(r.complaint for r in res) / n, 4)
        out[f"{name}_food_safety"] = round(sum(r.food_safety for r in res) / n, 4)
        out[f"{name}_low_confidence"] = round(sum(r.low_confidence for r in res) / n, 4)
        if name == "positive" and examples:
            out["positive_flagged_examples"] = [
                {"id": r.id, "text": row["text"][:120], "categories": r.categories,
                 "food_safety": r.food_safety}
                for row, r in zip(rows, res) if r.complaint][:examples]
    return out


def format_report(m: dict) -> str:
    return (f"praise / false-positive check, {m['model']} "
            f"({'/'.join(m['categories'])}, seed {m['seed']})\n"
            f"  positive (n={m['n_positive']}): complaint {m['positive_complaint']:.1%}, "
            f"food_safety {m['positive_food_safety']:.1%}, low_confidence {m['positive_low_confidence']:.1%}\n"
            f"  negative (n={m['n_negative']}): complaint {m['negative_complaint']:.1%}, "
            f"food_safety {m['negative_food_safety']:.1%}, low_confidence {m['negative_low_confidence']:.1%}")
