"""The team's corpus labels: joined with corpus texts by id and checked against a text digest."""
import pytest

from nlp.data import (CORPUS_LABEL_ROUNDS, VALIDATION_ROUNDS, load_corpus_labels,
                      read_jsonl, text_digest)

from .conftest import write_jsonl

ALL_ROUNDS = CORPUS_LABEL_ROUNDS + VALIDATION_ROUNDS
CATS = {"taste", "freshness", "logistics", "quality", "service", "price", "other"}


def test_labels_join_texts_and_skip_changed_or_missing(tmp_path):
    corpus = write_jsonl(tmp_path / "corpus.jsonl", [
        {"id": "c1", "category": "外卖", "sentiment": 0, "text": "送餐太慢了"},
        {"id": "c2", "category": "水果", "sentiment": 0, "text": "苹果烂了两个"},
        {"id": "c3", "category": "水果", "sentiment": 1, "text": "很甜"},
    ])
    labels = write_jsonl(tmp_path / "labels.jsonl", [
        {"id": "c1", "complaint": True, "categories": ["logistics"], "food_safety": False,
         "text_sha1": text_digest("送餐太慢了")},
        # the corpus text changed since it was labeled: the label no longer applies
        {"id": "c2", "complaint": True, "categories": ["freshness"], "food_safety": False,
         "text_sha1": text_digest("苹果烂了三个")},
        {"id": "gone", "complaint": False, "categories": [], "food_safety": False,
         "text_sha1": text_digest("x")},
    ])
    rows = load_corpus_labels(labels, corpus)
    assert rows == [{"id": "c1", "text": "送餐太慢了", "source": "外卖", "complaint": True,
                     "categories": ["logistics"], "food_safety": False}]


def test_absent_files_give_no_rows(tmp_path):
    assert load_corpus_labels(tmp_path / "none.jsonl", tmp_path / "none2.jsonl") == []
    labels = write_jsonl(tmp_path / "labels.jsonl", [])
    assert load_corpus_labels(labels, tmp_path / "no-corpus.jsonl") == []


@pytest.mark.parametrize("path", ALL_ROUNDS, ids=lambda p: p.name)
def test_shipped_labels_are_consistent_and_hold_no_text(path):
    rows = list(read_jsonl(path))
    assert len(rows) >= 800  # a labeling round: 850 to 2,000 rows
    assert len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        assert set(r) == {"id", "complaint", "categories", "food_safety", "text_sha1"}, r
        assert set(r["categories"]) <= CATS
        assert r["complaint"] == bool(r["categories"])
        assert not r["food_safety"] or r["complaint"]


def test_the_rounds_do_not_overlap():
    """Nor does the validation round overlap a training round (it is never trained on)."""
    seen: set[str] = set()
    for path in ALL_ROUNDS:
        ids = {r["id"] for r in read_jsonl(path)}
        assert ids and not ids & seen, path.name
        seen |= ids


def test_several_rounds_load_together_later_round_wins(tmp_path):
    corpus = write_jsonl(tmp_path / "corpus.jsonl", [
        {"id": "c1", "category": "外卖", "sentiment": 0, "text": "送餐太慢了"},
        {"id": "c2", "category": "水果", "sentiment": 1, "text": "很甜，就是个头小了点"},
    ])
    one = write_jsonl(tmp_path / "r1.jsonl", [
        {"id": "c1", "complaint": True, "categories": ["logistics"], "food_safety": False,
         "text_sha1": text_digest("送餐太慢了")},
        {"id": "c2", "complaint": False, "categories": [], "food_safety": False,
         "text_sha1": text_digest("很甜，就是个头小了点")},
    ])
    two = write_jsonl(tmp_path / "r2.jsonl", [
        {"id": "c2", "complaint": True, "categories": ["quality"], "food_safety": False,
         "text_sha1": text_digest("很甜，就是个头小了点")},
    ])
    rows = {r["id"]: r for r in load_corpus_labels([one, two, tmp_path / "absent.jsonl"], corpus)}
    assert rows["c1"]["categories"] == ["logistics"]
    assert rows["c2"]["complaint"] and rows["c2"]["categories"] == ["quality"]
