"""Metrics on a gold JSONL file (TAXONOMY format) and their table / JSON rendering."""
from __future__ import annotations

import json
import os
import re

from .base import CATEGORIES
from .data import InputError, parse_jsonl_line, read_text, text_lines

MIN_SUPPORT = 10  # macro-F1 is taken over categories with at least this many gold examples


#: Category names a gold file may use besides the codes: the Chinese names of TAXONOMY.md and
#: their short forms (a spreadsheet of labels is often written in Chinese).
CATEGORY_ALIASES = {
    "口味口感": "taste", "口味": "taste", "口感": "taste", "味道": "taste",
    "新鲜度/日期": "freshness", "新鲜度": "freshness", "新鲜": "freshness", "日期": "freshness",
    "物流配送": "logistics", "物流": "logistics", "配送": "logistics", "快递": "logistics",
    "品质/包装/规格": "quality", "品质": "quality", "质量": "quality", "包装": "quality",
    "规格": "quality", "服务": "service", "售后": "service", "价格": "price", "其他": "other",
}
_LIST_SEP = re.compile(r"[,，、;；|/\s]+")


def _category(name: str) -> str | None:
    key = name.strip()
    return key.lower() if key.lower() in CATEGORIES else CATEGORY_ALIASES.get(key)


def _flag(value) -> bool | None:
    """A gold boolean: JSON true/false, 1/0, or the strings true/false/yes/no/是/否."""
    if isinstance(value, bool) or value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1", "是", "y"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "no", "0", "否", "n", ""):
        return False
    return None


def gold_row(row: dict) -> dict:
    """One gold row checked and normalized: ``categories`` a list of codes (Chinese names and a
    comma-separated string are accepted), ``complaint`` defaulting to ``bool(categories)``,
    ``food_safety`` to false. Raises ``ValueError`` naming the problem."""
    if not isinstance(row.get("text"), str):
        raise ValueError("missing 'text'" if row.get("text") is None else "'text' is not a string")
    if row.get("categories") is None and row.get("complaint") is None:
        raise ValueError("no labels: neither 'complaint' nor 'categories'")
    raw = row.get("categories")
    if raw is None:
        raw = []
    if isinstance(raw, str):
        raw = [c for c in _LIST_SEP.split(raw) if c]
    if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw):
        raise ValueError("'categories' must be a list of category names")
    cats = [_category(c) for c in raw]
    unknown = [c for c, k in zip(raw, cats) if k is None]
    if unknown:
        raise ValueError(f"unknown categories {unknown} (known: {', '.join(CATEGORIES)})")
    out = dict(row, categories=sorted(set(cats), key=CATEGORIES.index))
    for key, default in (("complaint", bool(cats)), ("food_safety", False)):
        v = default if row.get(key) is None else _flag(row[key])
        if v is None:
            raise ValueError(f"'{key}' is {row[key]!r}, expected true or false")
        out[key] = v
    return out


def load_gold(path: str | os.PathLike) -> tuple[list[dict], list[str]]:
    """The gold rows of a JSONL file and a message for each line left out (not an object, no
    text, unknown category...). An ``InputError`` when the file is unreadable or no row is usable."""
    rows, problems = [], []
    for n, line in text_lines(read_text(path)):
        try:
            rows.append(gold_row(parse_jsonl_line(line, n, str(path))))
        except InputError as exc:
            problems.append(str(exc))
        except ValueError as exc:
            problems.append(f"{path}:{n}: {exc}")
    if not rows:
        raise InputError(f"{path}: no usable gold rows" + (f" ({problems[0]})" if problems else ""))
    return rows, problems


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def compute_metrics(gold: list[dict], pred: list[dict], min_support: int = MIN_SUPPORT) -> dict:
    """``gold`` and ``pred`` are aligned lists of dicts with complaint/categories/food_safety."""
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold rows but {len(pred)} predictions")
    per = {}
    tps = fps = fns = 0
    for c in CATEGORIES:
        tp = fp = fn = 0
        for g, p in zip(gold, pred):
            gi, pi = c in (g.get("categories") or []), c in (p.get("categories") or [])
            tp += gi and pi
            fp += pi and not gi
            fn += gi and not pi
        pr, rc, f1 = _prf(tp, fp, fn)
        per[c] = {"precision": round(pr, 4), "recall": round(rc, 4), "f1": round(f1, 4),
                  "support": tp + fn, "predicted": tp + fp}
        tps, fps, fns = tps + tp, fps + fp, fns + fn
    macro_cats = [c for c in CATEGORIES if per[c]["support"] >= min_support]
    # undefined (None) when no category has enough examples: 0.0 would read as a result
    macro = sum(per[c]["f1"] for c in macro_cats) / len(macro_cats) if macro_cats else None
    micro = _prf(tps, fps, fns)[2]
    comp_acc = sum(bool(g.get("complaint")) == bool(p.get("complaint")) for g, p in zip(gold, pred))
    fs_tp = sum(bool(g.get("food_safety")) and bool(p.get("food_safety")) for g, p in zip(gold, pred))
    fs_gold = sum(bool(g.get("food_safety")) for g in gold)
    fs_pred = sum(bool(p.get("food_safety")) for p in pred)
    # flagged, or sent to manual triage (low_confidence): what a reviewer would still see
    fs_seen = sum(bool(g.get("food_safety")) and (bool(p.get("food_safety")) or bool(p.get("low_confidence")))
                  for g, p in zip(gold, pred))
    errors = sum(1 for p in pred if p.get("error"))
    return {
        "n": len(gold),
        "per_category": per,
        "macro_f1": round(macro, 4) if macro is not None else None,
        "macro_categories": macro_cats,
        "micro_f1": round(micro, 4),
        "main4_min_f1": round(min(per[c]["f1"] for c in ("taste", "freshness", "logistics", "quality")), 4),
        "complaint_accuracy": round(comp_acc / len(gold), 4) if gold else 0.0,
        "food_safety_recall": round(fs_tp / fs_gold, 4) if fs_gold else None,
        "food_safety_precision": round(fs_tp / fs_pred, 4) if fs_pred else None,
        "food_safety_support": fs_gold,
        "food_safety_recall_incl_triage": round(fs_seen / fs_gold, 4) if fs_gold else None,
        "errors": errors,
    }


def format_table(m: dict, title: str = "") -> str:
    lines = []
    if title:
        lines.append(title)
    lines.append(f"{'category':<12}{'prec':>8}{'recall':>8}{'f1':>8}{'support':>9}{'pred':>7}")
    for c, v in m["per_category"].items():
        mark = "" if c in m["macro_categories"] else "  (not in macro: support < "  \
            f"{MIN_SUPPORT})"
        lines.append(f"{c:<12}{v['precision']:>8.3f}{v['recall']:>8.3f}{v['f1']:>8.3f}"
                     f"{v['support']:>9}{v['predicted']:>7}{mark}")
    if m["macro_f1"] is None:
        lines.append(f"{'macro F1':<12}{'n/a':>24}   no category has {MIN_SUPPORT} gold examples")
    else:
        lines.append(f"{'macro F1':<12}{m['macro_f1']:>24.3f}   over {', '.join(m['macro_categories'])}")
    lines.append(f"{'micro F1':<12}{m['micro_f1']:>24.3f}")
    lines.append(f"{'complaint accuracy':<28}{m['complaint_accuracy']:>8.3f}")
    fr = m["food_safety_recall"]
    fp = m["food_safety_precision"]
    lines.append(f"{'food-safety recall':<28}{'n/a' if fr is None else f'{fr:.3f}':>8}"
                 f"   (support {m['food_safety_support']}, precision "
                 f"{'n/a' if fp is None else f'{fp:.3f}'})")
    ft = m.get("food_safety_recall_incl_triage")
    if ft is not None:
        lines.append(f"{'  flagged or to triage':<28}{ft:>8.3f}")
    skipped = f", {m['skipped_lines']} gold lines skipped" if m.get("skipped_lines") else ""
    lines.append(f"{'items':<28}{m['n']:>8}   errors {m['errors']}{skipped}")
    return "\n".join(lines)


def dumps(m: dict) -> str:
    return json.dumps(m, ensure_ascii=False, indent=1)
