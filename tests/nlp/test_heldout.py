"""The shipped default against the held-out split of the shared labeled data (skipped on a
machine without ``../shared/data``)."""
import pytest

from nlp.data import split_labeled, read_jsonl
from nlp.evaluate import compute_metrics

from .conftest import SHARED_DATA, shipped_model_available

LABELED = SHARED_DATA / "labeled" / "dev.jsonl"

pytestmark = [
    pytest.mark.skipif(not LABELED.exists(), reason=f"{LABELED} not available"),
    pytest.mark.skipif(not shipped_model_available(), reason="no shipped model in nlp/models"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:torch.*"),
    pytest.mark.filterwarnings("ignore::UserWarning:torch.*"),
]


@pytest.fixture(scope="module")
def heldout_metrics(default_clf):
    _, held = split_labeled(list(read_jsonl(LABELED)))
    assert len(held) == 300
    preds = default_clf.classify_batch([{"id": r["id"], "text": r["text"]} for r in held])
    return compute_metrics(held, [p.to_dict() for p in preds])


def test_reproduces_the_shipped_metrics(default_clf, heldout_metrics):
    import json

    shipped = json.loads((default_clf.model_dir / "metrics.json").read_text(encoding="utf-8"))
    m = shipped["heldout"][default_clf.name]
    assert heldout_metrics["macro_f1"] == pytest.approx(m["macro_f1"], abs=0.01)
    assert heldout_metrics["food_safety_recall"] == pytest.approx(m["food_safety_recall"], abs=0.07)


# The target figures. The shipped 2026.12.06 model reaches the macro-F1 one (0.844) and
# three of the four main categories, but not quality (0.80 against 0.88) nor food-safety flag
# recall (0.60 on this split — the flag is precision-first; see nlp/README.md); those two run and
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
