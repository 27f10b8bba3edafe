"""JSONL reading/writing, the shared data location and the fixed train/held-out split."""
from __future__ import annotations

import hashlib
import json
import os
import random
from collections.abc import Iterable, Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
#: ``../shared/data`` next to the repository; override with ``FEEDBACK_NLP_DATA``.
DATA_DIR = Path(os.environ.get("FEEDBACK_NLP_DATA", REPO_ROOT.parent / "shared" / "data"))
LABELED = DATA_DIR / "labeled" / "dev.jsonl"
CORPUS = DATA_DIR / "corpus" / "reviews.jsonl"

#: Labels the team wrote for corpus reviews (ids and labels only; the texts stay in the corpus),
#: one file per labeling round; training reads these rounds by default (the shipped model's;
#: rounds 6-9 joined the default with 2026.12.15b, nlp/README.md, Figures -> Session 18).
CORPUS_LABELS = Path(__file__).resolve().parent / "resources" / "corpus_labels.jsonl"
CORPUS_LABEL_ROUNDS = tuple(CORPUS_LABELS.with_name(n) for n in (
    "corpus_labels.jsonl", "corpus_labels_round2.jsonl", "corpus_labels_round3.jsonl",
    "corpus_labels_round4.jsonl", "corpus_labels_round6.jsonl", "corpus_labels_round7.jsonl",
    "corpus_labels_round8.jsonl", "corpus_labels_round9.jsonl"))
#: A round labeled as a plain random sample of the food reviews (no keyword or model in the
#: sampling), kept OUT of training: a second, larger test set with a shop's natural mix, where the
#: held-out split (15 food-safety texts) is too small to tell a real change from noise.
VALIDATION_ROUNDS = (CORPUS_LABELS.with_name("corpus_labels_round5.jsonl"),)

SPLIT_SEED = 20261123
HELDOUT_FRACTION = 0.2


class InputError(ValueError):
    """A user's input file cannot be read as asked; the message says where and why."""


#: Encodings tried in order: UTF-8 (a BOM is dropped), then GB18030, a superset of GBK/GB2312,
#: which Chinese Windows tools and platform exports still write.
ENCODINGS = ("utf-8-sig", "gb18030")


def decode_text(data: bytes, name: str = "input") -> str:
    for enc in ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputError(f"{name}: not UTF-8 or GB18030/GBK text")


def read_text(path: str | os.PathLike) -> str:
    """A text file in any of ``ENCODINGS``; a missing path or directory is an ``InputError``."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{path}: no such file" if not p.exists() else f"{path}: not a file")
    return decode_text(p.read_bytes(), str(path))


def parse_jsonl_line(line: str, lineno: int, name: str = "input") -> dict:
    """One JSONL line as an object, or an ``InputError`` naming the line and the problem."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}:{lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(row, dict):
        raise InputError(f"{name}:{lineno}: a JSON {type(row).__name__}, expected an object")
    return row


def text_lines(text: str) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` of the non-blank lines (split at \\n only: a JSON text may hold a
    raw U+2028, which ``splitlines`` would cut at)."""
    for n, line in enumerate(text.split("\n"), 1):
        if line.strip():
            yield n, line


def read_jsonl(path: str | os.PathLike) -> Iterator[dict]:
    """The objects of a JSONL file (UTF-8 with or without BOM, or GB18030); blank lines are
    skipped; the first bad line raises an ``InputError`` naming it."""
    for n, line in text_lines(read_text(path)):
        yield parse_jsonl_line(line, n, str(path))


def write_jsonl(path: str | os.PathLike, rows: Iterable[dict]) -> int:
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n


def _stratum(row: dict) -> str:
    cats = row.get("categories") or []
    if row.get("food_safety"):
        return "fs"
    rare = [c for c in ("other", "service", "price") if c in cats]
    if rare:
        return rare[0]
    return cats[0] if cats else "none"


def split_labeled(rows: list[dict], seed: int = SPLIT_SEED,
                  heldout_fraction: float = HELDOUT_FRACTION) -> tuple[list[dict], list[dict]]:
    """Stratified (by food-safety, rare category, first category) split, fixed by ``seed``.

    Returns ``(train, heldout)``. The same rows always land in the same part for a given seed.
    """
    by: dict[str, list[dict]] = {}
    for row in sorted(rows, key=lambda r: str(r["id"])):
        by.setdefault(_stratum(row), []).append(row)
    rng = random.Random(seed)
    train, held = [], []
    for key in sorted(by):
        group = by[key]
        rng.shuffle(group)
        k = round(len(group) * heldout_fraction)
        held.extend(group[:k])
        train.extend(group[k:])
    return train, held


def load_split(path: str | os.PathLike = LABELED, seed: int = SPLIT_SEED):
    return split_labeled(list(read_jsonl(path)), seed=seed)


def file_sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def text_digest(text: str) -> str:
    """Short fingerprint of a raw text: ties a label to the exact corpus text it was given for."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def load_corpus_labels(path: str | os.PathLike | Iterable[str | os.PathLike] = CORPUS_LABEL_ROUNDS,
                       corpus: str | os.PathLike = CORPUS) -> list[dict]:
    """The team's labeled corpus reviews, joined with their texts from ``corpus`` by id.

    ``path`` is one labels file or several (rounds); an id labeled in two files takes the later
    file's labels.

    The project ships the labels (``id, complaint, categories, food_safety, text_sha1``) but no
    corpus text; a label whose text is missing from the corpus or changed (digest mismatch) is
    left out. Returns ``[]`` when no labels file or the corpus is absent."""
    paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    paths = [p for p in paths if Path(p).exists()]
    if not paths or not Path(corpus).exists():
        return []
    labels = {str(r["id"]): r for p in paths for r in read_jsonl(p)}
    rows = []
    for r in read_jsonl(corpus):
        lab = labels.get(str(r.get("id")))
        if lab is None or text_digest(r.get("text") or "") != lab["text_sha1"]:
            continue
        rows.append({"id": lab["id"], "text": r["text"], "source": r.get("category"),
                     "complaint": lab["complaint"], "categories": list(lab["categories"]),
                     "food_safety": lab["food_safety"]})
    return rows
