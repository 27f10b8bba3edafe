"""Chinese complaint classification for food e-commerce reviews and tickets.

    from nlp import load_classifier, CATEGORIES
    clf = load_classifier()                  # the shipped default model (nlp/models/DEFAULT)
    clf = load_classifier("lexicon")         # the rule classifier alone
    clf = load_classifier(model_dir=path)    # another model version (its default path)
    results = clf.classify_batch([{"id": "r1", "text": "...", "rating": 1}])
    results = clf.classify_batch([{"id": "t1", "text": "...", "reason": "发错货"}])  # a ticket

Imports neither Pyramid nor dramatiq; torch is only imported when a transformer path loads.
"""
from __future__ import annotations

import threading
from pathlib import Path

from .base import CATEGORIES, LABELS, ClassificationResult, Classifier

__all__ = ["CATEGORIES", "LABELS", "ClassificationResult", "Classifier", "load_classifier",
           "default_model_dir", "MODELS_DIR"]

MODELS_DIR = Path(__file__).parent / "models"
DEFAULT_POINTER = MODELS_DIR / "DEFAULT"

_cache: dict[tuple, Classifier] = {}
_lock = threading.Lock()


def default_model_dir() -> Path:
    """The directory named by ``nlp/models/DEFAULT`` (a version name, one line)."""
    name = DEFAULT_POINTER.read_text(encoding="utf-8").strip()
    return MODELS_DIR / name


def load_classifier(name: str | None = None, *, model_dir: str | Path | None = None,
                    path: str | None = None, cached: bool = True) -> Classifier:
    """Load a classifier once per process (later calls with the same arguments return it).

    ``name``: ``None`` (the shipped default), ``"lexicon"``, or a model directory.
    ``path``: for a model directory, which path to run (``tfidf``, ``bert``, ``ensemble``);
    by default the one the manifest names as its best.
    """
    if name is not None and model_dir is None and name != "lexicon":
        model_dir, name = name, None
    if name == "lexicon" or str(model_dir) == "lexicon":
        key: tuple = ("lexicon",)
    else:
        model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
        key = ("model", str(Path(model_dir).resolve()), path)
    if cached and key in _cache:
        return _cache[key]
    with _lock:
        if cached and key in _cache:
            return _cache[key]
        lexicon = _cache.get(("lexicon",))
        if key[0] == "lexicon":
            from .lexicon import LexiconClassifier  # noqa: PLC0415

            clf: Classifier = lexicon or LexiconClassifier()
        else:
            from .classifier import ModelClassifier, read_manifest  # noqa: PLC0415

            if path is None and read_manifest(model_dir).get("default_path") == "lexicon":
                from .lexicon import LexiconClassifier  # noqa: PLC0415

                clf = lexicon or LexiconClassifier()  # the rules measured best for this version
            else:
                clf = ModelClassifier(model_dir, path=path, lexicon=lexicon)
            if cached and hasattr(clf, "lexicon"):
                _cache.setdefault(("lexicon",), clf.lexicon)
        if cached:
            _cache[key] = clf
        return clf
