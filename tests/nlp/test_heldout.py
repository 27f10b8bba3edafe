"""The shipped default against the held-out split of the shared labeled data, and against the
validation round: a plain random sample of 1,119 food reviews of the corpus (外卖, 水果, 蒙牛; no
keyword or model in the sampling), team-labeled and never trained on
(``nlp.data.VALIDATION_ROUNDS``). Skipped on a machine without ``../shared/data``."""
import json

import pytest

from nlp.data import VALIDATION_ROUNDS, load_corpus_labels, read_jsonl, split_labeled
from nlp.evaluate import compute_metrics

from .conftest import SHARED_DATA, shipped_model_available

LABELED = SHARED_DATA / "labeled" / "dev.jsonl"

pytestmark = [
    pytest.mark.skipif(not LABELED.exists(), reason=f"{LABELED} not available"),
    pytest.mark.skipif(not shipped_model_available(), reason="no shipped model in nlp/models"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:torch.*"),
    pytest.mark.filterwarnings("ignore::UserWarning:torch.*"),
]


def _metrics(clf, rows: list[dict]) -> dict:
    preds = clf.classify_batch([{"id": r["id"], "text": r["text"]} for r in rows])
    return compute_metrics(rows, [p.to_dict() for p in preds])


def _shipped(clf, part: str) -> dict:
    metrics = json.loads((clf.model_dir / "metrics.json").read_text(encoding="utf-8"))
    return metrics[part][clf.name]


@pytest.fixture(scope="module")
def heldout_metrics(default_clf):
    _, held = split_labeled(list(read_jsonl(LABELED)))
    assert len(held) == 300
    return _metrics(default_clf, held)


@pytest.fixture(scope="module")
def validation_rows():
    rows = load_corpus_labels(VALIDATION_ROUNDS)
    if not rows:
        pytest.skip("the corpus the validation round's texts come from is not available")
    return rows


def test_reproduces_the_shipped_metrics(default_clf, heldout_metrics):
    m = _shipped(default_clf, "heldout")
    assert heldout_metrics["macro_f1"] == pytest.approx(m["macro_f1"], abs=0.01)
    assert heldout_metrics["food_safety_recall"] == pytest.approx(m["food_safety_recall"], abs=0.07)


def test_reproduces_the_shipped_validation_metrics(default_clf, validation_rows):
    got, m = _metrics(default_clf, validation_rows), _shipped(default_clf, "validation")
    assert got["macro_f1"] == pytest.approx(m["macro_f1"], abs=0.01)
    assert got["complaint_accuracy"] == pytest.approx(m["complaint_accuracy"], abs=0.01)
    assert got["food_safety_recall"] == pytest.approx(m["food_safety_recall"], abs=0.08)


def test_no_validation_text_is_trained_on_or_held_out(validation_rows):
    """The validation round shares no text with the labeled set. Weak negatives are a seeded
    sample of the corpus praise the lexicon finds nothing in, so which texts they are moves with
    each lexicon version; the round was sampled without the shipped recipe's, and ``train_model``
    drops any training row, weak negatives included, whose text is a validation text
    (``test_retrain``), so its figures stay out of sample for every version."""
    from nlp.text import normalize

    texts = {normalize(r["text"]) for r in validation_rows}
    assert not texts & {normalize(r["text"]) for r in read_jsonl(LABELED)}


# The target figures. The shipped 2026.12.15b model reaches the macro-F1 one (0.851) and
# three of the four main categories, but not quality (0.844 against 0.88) nor food-safety flag
# recall (0.67 on this split — the flag is precision-first; see nlp/README.md); those two run and
# are reported as XFAIL. strict=True: a model that reaches one makes it XPASS -> fail, so drop
# the mark then.
TARGET_XFAIL = pytest.mark.xfail(strict=True, reason="shipped model below the issue's targets")


def test_macro_f1_target(heldout_metrics):
    assert heldout_metrics["macro_f1"] >= 0.80


@TARGET_XFAIL
def test_food_safety_recall_target(heldout_metrics):
    assert heldout_metrics["food_safety_recall"] >= 0.90


@pytest.mark.parametrize("category", [
    "taste", "freshness", "logistics", pytest.param("quality", marks=TARGET_XFAIL)])
def test_main_categories_target(heldout_metrics, category):
    assert heldout_metrics["per_category"][category]["f1"] >= 0.88
