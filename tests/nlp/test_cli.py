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


def _lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_classify_reads_bom_and_gbk_input(tmp_path, encoding):
    # Windows tools write a BOM; Chinese Windows exports are often GBK/GB18030
    inp = tmp_path / "in.jsonl"
    inp.write_bytes('{"id": "a", "text": "牛奶过期了，喝了拉肚子"}\r\n{"id": "b", "text": "送餐太慢了"}\r\n'
                    .encode(encoding))
    out = tmp_path / "out.jsonl"
    assert main(["classify", "--in", str(inp), "--out", str(out), "--model", "lexicon"]) == 0
    a, b = _lines(out)
    assert a["id"] == "a" and a["error"] is None and a["food_safety"] is True
    assert b["categories"] == ["logistics"]


def test_classify_keeps_bad_lines_in_place_with_their_reason(tmp_path, capsys):
    inp = tmp_path / "in.jsonl"
    inp.write_text('{"id": "a", "text": "太难吃了"}\n{"id": "b", "text": \n[1, 2]\n\n'
                   '{"id": "c", "text": 5}\n{"id": "d", "text": "快递太慢", "rating": "1星"}\n',
                   encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["classify", "--in", str(inp), "--out", str(out), "--model", "lexicon"]) == 0
    rows = _lines(out)
    assert [r["id"] for r in rows] == ["a", "line-2", "line-3", "c", "d"]
    assert "in.jsonl:2: not valid JSON" in rows[1]["error"]
    assert "expected an object" in rows[2]["error"]
    assert "'text' is a int" in rows[3]["error"]
    assert rows[0]["categories"] == ["taste"] and rows[4]["categories"] == ["logistics"]
    assert "5 items" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["classify", "--in", "{tmp}/missing.jsonl", "--out", "{tmp}/o.jsonl"], "missing.jsonl: no such file"),
    (["classify", "--in", "{tmp}/in.jsonl", "--out", "{tmp}/no/dir/o.jsonl"], "No such file"),
    (["classify", "--in", "{tmp}/in.jsonl", "--out", "{tmp}/o.jsonl", "--model", "{tmp}"],
     "not a model directory"),
    (["evaluate", "--gold", "{tmp}/binary.jsonl"], "not UTF-8 or GB18030"),
    (["evaluate", "--gold", "{tmp}/bad_gold.jsonl"], "no usable gold rows"),
])
def test_bad_paths_and_files_give_a_message_not_a_traceback(tmp_path, capsys, args, message):
    write_jsonl(tmp_path / "in.jsonl", [{"id": 1, "text": "好吃"}])
    (tmp_path / "binary.jsonl").write_bytes(bytes([0xff, 0xfe, 0x81, 0x30, 0xff]) * 10)
    write_jsonl(tmp_path / "bad_gold.jsonl", [{"id": 1, "text": "好吃", "categories": ["tasty"]}])
    argv = [a.format(tmp=tmp_path) for a in args]
    if argv[0] == "evaluate":
        argv += ["--model", "lexicon"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err
    assert not (tmp_path / "o.jsonl").exists()  # nothing half-written


def test_evaluate_accepts_chinese_names_and_skips_bad_rows_with_a_message(tmp_path, capsys):
    assert GOLD[0]["categories"] == ["taste"]
    gold = [dict(GOLD[0], categories=["口味口感"])] + GOLD[1:]  # the Chinese name of TAXONOMY.md
    path = tmp_path / "gold.jsonl"
    lines = [json.dumps(g, ensure_ascii=False) for g in gold]
    lines += ['{"id": "x", "text": "贵", "categories": ["pricey"]}', '{"id": "y"}', "oops"]
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8-sig"))
    assert main(["evaluate", "--gold", str(path), "--model", "lexicon", "--json"]) == 0
    out, err = capsys.readouterr()
    m = json.loads(out)
    assert m["n"] == len(GOLD) and m["skipped_lines"] == 3
    assert "unknown categories ['pricey']" in err and "missing 'text'" in err and "not valid JSON" in err
    rows = [{"id": g["id"], "text": g["text"]} for g in GOLD]
    from nlp import load_classifier
    preds = [r.to_dict() for r in load_classifier("lexicon").classify_batch(rows)]
    assert m["per_category"] == compute_metrics(GOLD, preds)["per_category"]


def test_gold_rows_are_normalized():
    from nlp.evaluate import gold_row

    r = gold_row({"text": "又贵又难吃", "categories": "价格、taste", "food_safety": "否"})
    assert r["categories"] == ["taste", "price"] and r["complaint"] is True and r["food_safety"] is False
    assert gold_row({"text": "好吃", "complaint": False})["categories"] == []
    with pytest.raises(ValueError, match="no labels"):
        gold_row({"text": "好吃"})
    with pytest.raises(ValueError, match="expected true or false"):
        gold_row({"text": "x", "categories": [], "complaint": "maybe"})


def test_classify_writes_an_id_with_a_lone_surrogate_as_an_ascii_escape(tmp_path):
    inp = tmp_path / "in.jsonl"
    inp.write_text('{"id": "\\ud800", "text": "难吃"}\n{"id": "b", "text": "快递慢"}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["classify", "--in", str(inp), "--out", str(out), "--model", "lexicon"]) == 0
    a, b = _lines(out)
    assert a["id"] == "\ud800" and a["categories"] == ["taste"] and b["id"] == "b"


@pytest.mark.parametrize("items", ["发霉", None, {"text": "发霉"}, 5])
def test_classify_batch_refuses_what_is_not_a_list_of_items(lexicon_clf, items):
    with pytest.raises(TypeError, match="list of items"):
        lexicon_clf.classify_batch(items)


def test_classify_batch_takes_a_generator(lexicon_clf):
    assert [r.categories for r in lexicon_clf.classify_batch({"text": t} for t in ["太咸了", "快递太慢"])] == [
        ["taste"], ["logistics"]]


def test_macro_f1_is_undefined_without_a_category_of_enough_examples():
    m = compute_metrics([{"categories": ["taste"], "complaint": True}],
                        [{"categories": ["taste"], "complaint": True}])
    assert m["macro_f1"] is None and m["macro_categories"] == []
    from nlp.evaluate import format_table
    assert "n/a" in format_table(m)
