"""The regex pre-check must never skip a pattern that would match."""
import re

import pytest

from nlp.data import CORPUS, read_jsonl
from nlp.lexicon import FOOD_SAFETY_RES, Lexicon
from nlp.regex_trigger import TriggerIndex, required_strings
from nlp.text import normalize


@pytest.mark.parametrize("pattern,expected", [
    (r"(吃|喝)(出|到)", {"吃", "喝"}),
    (r"(?<![只才就])(用了|花了)\d+", {"用了", "花了"}),
    (r"(一句|句)?道歉(都|也)", {"道歉"}),
    (r"[^,]{0,3}(小时|分钟)", {"小时", "分钟"}),
    (r"(\d+|[一二])个", {"个"}),
    (r"(只有|才有|实际|不到)[^,]{0,4}(个|斤)", {"只有", "才有", "实际", "不到"}),
    (r"吃出了?一根", {"吃出"}),           # a literal run stops at an optional part
    (r"[^a]+", None),          # nothing mandatory and literal
    (r"\d+", None),
])
def test_required_strings(pattern, expected):
    got = required_strings(re.compile(pattern))
    assert (got if got is None else set(got)) == expected


def test_ignorecase_patterns_are_never_skipped():
    assert required_strings(re.compile("abc", re.IGNORECASE)) is None


TEXTS = ["等了两个小时才送到，饭都凉了", "吃出一根头发", "说了不要辣还是辣的", "连句道歉都没有",
         "12点下单2点才到", "肉臭了", "很好吃，下次还来", "只用了三十分钟", "abc", "😀"]


def test_every_lexicon_pattern_that_matches_contains_its_trigger():
    lex = Lexicon.load()
    pairs = [(rx, required_strings(rx)) for _, _, rx in lex.patterns]
    pairs += [(rx, required_strings(rx)) for rx in FOOD_SAFETY_RES]
    assert all(t is not None for _, t in pairs), "each shipped pattern has a pre-check"
    for rx, trig in pairs:
        for text in TEXTS:
            if rx.search(text):
                assert any(s in text for s in trig), (rx.pattern, text)


def test_trigger_index_keeps_every_pattern_that_can_match_in_order():
    lex = Lexicon.load()
    patterns = [rx for _, _, rx in lex.patterns] + list(FOOD_SAFETY_RES)
    index = TriggerIndex(patterns)
    for text in TEXTS + ["", "饭里有石头，吃了拉肚子，等了三个小时"]:
        cands = index.candidates(text)
        assert cands == sorted(cands)
        matching = [i for i, rx in enumerate(patterns) if rx.search(text)]
        assert set(matching) <= set(cands), text
    assert index.candidates("xyz") == index.always == []


def test_the_precheck_prefers_rare_strings_to_common_ones():
    """"是" or "在" lets nearly every review through; "胀"/"鼓", "蠕动" or "不到" few."""
    assert set(required_strings(re.compile(r"是(胀|鼓)的"))) == {"胀", "鼓"}
    assert set(required_strings(re.compile(r"(在|还在)(蠕动|扭)"))) == {"蠕动", "扭"}
    assert set(required_strings(re.compile(r"(到期|过期)"))) == {"到期", "过期"}
    assert set(required_strings(re.compile(r"不到[^,]{0,3}(个|斤|克)"))) == {"不到"}


def test_a_text_with_the_characters_but_not_the_string_is_no_candidate():
    index = TriggerIndex([re.compile(r"不到\d+个"), re.compile(r"(吃|喝)出")])
    assert index.candidates("到货了，不错") == []          # 不 and 到, never 不到
    assert index.candidates("只有不到3个") == [0]
    assert index.candidates("喝出来了，不到一半") == [0, 1]


@pytest.mark.skipif(not CORPUS.exists(), reason="../shared/data corpus not present")
def test_no_corpus_text_loses_a_match():
    """On ~3,000 real reviews (every 25th: all sources), every pattern that matches a text is
    among its candidates."""
    lex = Lexicon.load()
    patterns = [rx for _, _, rx in lex.patterns] + list(FOOD_SAFETY_RES)
    index = TriggerIndex(patterns)
    for text in (normalize(r["text"]) for r in list(read_jsonl(CORPUS))[::25]):
        cands = set(index.candidates(text))
        assert all(i in cands for i, rx in enumerate(patterns) if rx.search(text)), text
