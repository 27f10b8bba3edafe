import json
import subprocess
import sys

import pytest

from nlp.cli import main
from nlp.evaluate import compute_metrics

from .conftest import GOLD, REPO_ROOT, write_jsonl


def test_classify_then_evaluate_round_trip(tmp_path, capsys):
    gold = write_jsonl(tmp_path / "gold.jsonl", GOLD)
    inp = write_jsonl(tmp_path / "in.jsonl",
                      [{"id": g["id"], "text": g["text"]} for g in GOLD] + [{"id": "e", "text": ""}])
    out = tmp_path / "out.jsonl"
    assert main(["classify", "--in", str(inp), "--out", str(out), "--model", "lexicon"]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [g["id"] for g in GOLD] + ["e"]
    for r in rows:
        assert {"id", "complaint", "categories", "food_safety", "scores", "evidence", "model"} <= set(r)
    assert rows[-1]["error"] and rows[-1]["complaint"] is False

    assert main(["evaluate", "--gold", str(gold), "--model", "lexicon", "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    # the CLI's figures are the ones the classify output gives
    expected = compute_metrics(GOLD, rows[:-1])
    assert m["macro_f1"] == expected["macro_f1"]
    assert m["per_category"] == expected["per_category"]
    assert m["food_safety_support"] == 2
    assert m["model"].startswith("lexicon-")
    assert m["complaint_accuracy"] >= 0.9  # hand-written, unambiguous examples

    assert main(["evaluate", "--gold", str(gold), "--model", "lexicon"]) == 0
    table = capsys.readouterr().out
    for word in ("taste", "macro F1", "micro F1", "complaint accuracy", "food-safety recall"):
        assert word in table


def test_metrics_by_hand():
    gold = [{"categories": ["taste"], "complaint": True, "food_safety": True},
            {"categories": ["taste", "price"], "complaint": True, "food_safety": False},
            {"categories": [], "complaint": False, "food_safety": False}]
    pred = [{"categories": ["taste"], "complaint": True, "food_safety": False},
            {"categories": ["price"], "complaint": True, "food_safety": False},
            {"categories": ["taste"], "complaint": True, "food_safety": False}]
    m = compute_metrics(gold, pred, min_support=1)
    assert m["per_category"]["taste"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5,
                                          "support": 2, "predicted": 2}
    assert m["per_category"]["price"]["f1"] == 1.0
    assert m["macro_categories"] == ["taste", "price"]
    assert m["macro_f1"] == 0.75
    assert m["micro_f1"] == pytest.approx(2 * 2 / (2 * 2 + 1 + 1), abs=1e-4)  # tp 2, fp 1, fn 1
    assert m["complaint_accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["food_safety_recall"] == 0.0


def test_python_dash_m_entry_point(tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", [{"id": 1, "text": "送餐太慢了", "rating": 2}])
    out = tmp_path / "out.jsonl"
    proc = subprocess.run([sys.executable, "-m", "nlp", "classify", "--in", str(inp), "--out",
                           str(out), "--model", "lexicon"], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    row = json.loads(out.read_text(encoding="utf-8"))
    assert row["id"] == 1 and row["categories"] == ["logistics"]
