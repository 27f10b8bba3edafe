"""Evidence a manager can read: whole words, never an n-gram that cuts one, never filler."""
import pytest

from nlp.base import model_evidence_labels
from nlp.classifier import EVIDENCE_STOPWORDS, word_evidence
from nlp.text import normalize

from .conftest import shipped_model_available


def weights(table):
    return lambda gram: table.get(gram, 0.0)


def test_an_ngram_counts_for_the_word_that_holds_it():
    tokens = ["荔枝", "一", "开箱", "就是", "一股", "酸腐味"]
    got = word_evidence(tokens, weights({"腐味": 3.0, "开箱": 1.0, "箱就": 5.0}))
    assert got == ["酸腐味", "开箱"]  # 箱就 cuts 开箱|就是: no evidence


def test_an_ngram_over_whole_words_is_that_run_of_words():
    tokens = ["苹果", "有", "虫", "，", "太", "恶心"]
    assert word_evidence(tokens, weights({"有虫": 2.0}), content_chars=frozenset("虫")) == ["有虫"]
    # without 虫 as a content word the span is filler only
    assert word_evidence(tokens, weights({"有虫": 2.0})) == []


def test_filler_is_trimmed_or_dropped():
    tokens = ["要", "的", "肘子", "送", "个", "鸡腿", "，", "还有", "就是", "20"]
    got = word_evidence(tokens, weights({"的肘子": 4.0, "个鸡腿": 3.0, "就是": 2.0, "20": 9.0}))
    assert got == ["肘子", "鸡腿"]
    assert {"的", "个", "还有", "就是"} <= EVIDENCE_STOPWORDS


def test_at_most_k_spans_and_no_span_inside_another():
    tokens = ["送错", "了", "送来", "的", "是", "辣白菜"]
    # 送错了 trims to 送错, already kept; 错了 cuts 送错
    got = word_evidence(tokens, weights({"送错": 5.0, "送错了": 4.5, "错了": 4.0, "送来": 3.0, "白菜": 2.0}), k=2)
    assert got == ["送错", "送来"]


@pytest.mark.skipif(not shipped_model_available(), reason="no shipped model in nlp/models")
@pytest.mark.parametrize("text", [
    "酸奶一打开冒泡了还分层，味儿不对，已经喝了一口",
    "外卖的凉面筷子一挑全是黏丝，还有股酸味",
    "太sb了，要的肘子送个鸡腿",
    "松子带一股油耗味，吃完嘴里发麻",
    "翻遍了米线也没找到肥牛啊！",
])
def test_the_shipped_models_evidence_is_whole_words(default_clf, text):
    r = default_clf.classify(text)
    words = default_clf.lexicon.segmenter.cut(normalize(text))
    bounds = {0}
    for w in words:
        bounds.add(max(bounds) + len(w))
    norm = normalize(text)
    lexicon_evidence = default_clf.lexicon.analyze(norm, normalized=True).evidence
    # the words a model chose are marked, so reply drafts do not quote them to the buyer
    assert model_evidence_labels(r.sources) == {
        c for c in r.categories if r.evidence[c] and not lexicon_evidence.get(c)
        and not (r.food_safety and r.evidence[c] == r.evidence["food_safety"])}
    for cat in r.categories:
        for span in r.evidence[cat]:
            start = norm.find(span)
            assert start >= 0, (span, text)
            # the lexicon's own phrase patterns may span words freely; the model's words may not
            if span not in lexicon_evidence.get(cat, []) \
                    and span not in r.evidence.get("food_safety", []):
                assert start in bounds and start + len(span) in bounds, (cat, span, words)
                assert span not in EVIDENCE_STOPWORDS
