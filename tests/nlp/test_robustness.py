import pytest

from nlp.text import MAX_CHARS

BAD_ITEMS = [
    {"id": "empty", "text": ""},
    {"id": "blank", "text": "   \n\t  "},
    {"id": "control", "text": "\x00\x01\x02\x07\x1b"},
    {"id": "control-mixed", "text": "送餐\x00太慢\x07了"},
    {"id": "emoji", "text": "😀😡👍🍎🍎🍎"},
    {"id": "long", "text": "送餐太慢了，" * 1700},                   # ~10,000 characters
    {"id": "long-ascii", "text": "x" * 10000},
    {"id": "english", "text": "The apples arrived rotten and the delivery was late."},
    {"id": "mixed", "text": "apple烂了, delivery 太慢 ok?"},
    {"id": "none", "text": None},
    {"id": "number", "text": 12345},
    {"id": "missing"},
    {"id": "bad-rating", "text": "难吃", "rating": "five"},
    {"id": "rating-out-of-range", "text": "难吃", "rating": 9},
    "a bare string",
    42,
]


def _check_batch(clf):
    results = clf.classify_batch(BAD_ITEMS)
    assert len(results) == len(BAD_ITEMS)
    by_id = {r.id: r for r in results if r.id is not None}
    for r in results:
        if r.error:
            assert not r.complaint and r.categories == [] and not r.food_safety
            assert r.low_confidence
        assert r.model == clf.version
    for key in ("empty", "blank", "control", "emoji", "none", "number", "missing"):
        if key == "number":
            continue
        assert by_id[key].error, key
    assert "text" in by_id["missing"].error
    assert by_id["number"].error  # text must be a string
    assert by_id["long"].error is None and "logistics" in by_id["long"].categories
    assert by_id["control-mixed"].error is None and by_id["control-mixed"].complaint
    assert by_id["english"].error is None and by_id["english"].low_confidence
    assert by_id["mixed"].error is None
    assert by_id["bad-rating"].error is None and "taste" in by_id["bad-rating"].categories
    assert results[-1].error  # a non-object item
    return by_id


def test_lexicon_never_raises(lexicon_clf):
    _check_batch(lexicon_clf)


def test_default_model_never_raises(default_clf):
    _check_batch(default_clf)


def test_long_text_bounded():
    assert MAX_CHARS >= 2000
