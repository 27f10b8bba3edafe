"""After-sales tickets: the platform's menu reason is read for its meaning, the buyer's
description decides (nlp.tickets). Hand-written texts only."""
import json
import subprocess
import sys

import pytest

from nlp.tickets import NO_PROBLEM, reason_meaning, split_reason

from .conftest import REPO_ROOT, shipped_model_available, write_jsonl


@pytest.mark.parametrize("reason", [
    "七天无理由退货", "不想要了", "拍错/多拍/不喜欢", "协商一致退款", "其他", "退款原因：七天无理由退换货",
    "拍错／多拍／不喜欢", "地址填错了",
])
def test_no_problem_reasons(reason):
    assert reason_meaning(reason) == NO_PROBLEM


@pytest.mark.parametrize("reason,categories,food_safety", [
    ("食品安全问题", ("quality",), True),
    ("商品变质/发霉/有异物", ("freshness", "quality"), True),
    ("生产日期/保质期与商品描述不符", ("freshness",), False),
    ("发错货", ("quality",), False),
    ("少件/漏发", ("quality",), False),
    ("收到商品少件（含少配件）", ("quality",), False),
    ("赠品漏发", ("price",), False),
    ("价格变化/降价", ("price",), False),
    ("快递/物流一直未送到", ("logistics",), False),
    ("快递无跟踪记录", ("logistics",), False),
    ("未按约定时间发货", ("logistics",), False),
    ("包装/商品破损/污渍", ("logistics",), False),
    ("假冒品牌", ("quality",), False),
    ("口味不喜欢", ("taste",), False),
    ("质量问题", ("quality",), False),
])
def test_problem_reasons(reason, categories, food_safety):
    meaning = reason_meaning(reason)
    assert meaning is not None and meaning.categories == categories
    assert meaning.food_safety is food_safety


def test_a_sentence_is_not_a_reason():
    assert reason_meaning("收到的橙子烂了好几个，一点都不新鲜，客服也不理人") is None
    assert reason_meaning("") is None and reason_meaning(None) is None


@pytest.mark.parametrize("text", [
    "客服：回复很快。味道也好", "口感：很好。包装：精美", "快递很快。好评", "质量很好。会回购",
])
def test_review_templates_are_not_split(text):
    # a review's "客服：" or "质量很好。" is the buyer's words, not a menu reason
    assert split_reason(text) is None


def test_split_reason():
    assert split_reason("发错货。发成微辣的了") == ("发错货", "发成微辣的了")
    assert split_reason("七天无理由退货。") == ("七天无理由退货", "")
    assert split_reason("退款原因：质量问题；退款说明：面包长毛了") == ("退款原因：质量问题", "面包长毛了")


def _labels(r):
    return set(r.categories), r.food_safety


def test_reason_alone(lexicon_clf):
    got = lexicon_clf.classify_batch([
        {"id": 1, "text": "", "reason": "食品安全问题"},
        {"id": 2, "text": "", "reason": "七天无理由退货"},
        {"id": 3, "reason": "发错货"},
        {"id": 4, "text": "商品变质/发霉/有异物。"},
    ])
    assert [r.id for r in got] == [1, 2, 3, 4]
    assert _labels(got[0]) == ({"quality"}, True) and got[0].sources["food_safety"] == "reason"
    assert got[0].evidence["quality"] == ["食品安全问题"] and not got[0].error
    assert _labels(got[1]) == (set(), False) and not got[1].complaint and not got[1].error
    assert _labels(got[2]) == ({"quality"}, False)
    assert _labels(got[3]) == ({"freshness", "quality"}, True)


def test_the_description_decides(lexicon_clf):
    got = lexicon_clf.classify_batch([
        # a catch-all reason does not add itself to what the buyer says
        {"id": 1, "text": "牛肉干太咸了，难吃", "reason": "质量问题"},
        # nor does a three-way reason: the buyer names the one problem
        {"id": 2, "text": "粽子里面有一根头发", "reason": "商品变质/发霉/有异物"},
        # a no-problem reason with a complaint in the description is a complaint
        {"id": 3, "text": "收到发现已经过期了", "reason": "七天无理由退货"},
        # a specific reason adds what the description leaves out
        {"id": 4, "text": "联系客服半天没人回", "reason": "发错货"},
        # a reason picked by mistake
        {"id": 5, "text": "点错原因了，东西没问题，就是不想要了", "reason": "商品变质/发霉/有异物"},
        # a description that reports nothing falls back on the reason
        {"id": 6, "text": "麻烦尽快处理", "reason": "少件/漏发"},
    ])
    assert _labels(got[0]) == ({"taste"}, False)
    assert _labels(got[1]) == ({"quality"}, True)
    assert _labels(got[2]) == ({"freshness"}, True)
    assert _labels(got[3]) == ({"quality", "service"}, False) and got[3].sources["quality"] == "reason"
    assert _labels(got[4]) == (set(), False)
    assert _labels(got[5]) == ({"quality"}, False)


@pytest.mark.parametrize("text", [
    "商品与页面描述不符。其实没问题，重复购买了", "食品安全问题。点错了，本来想选七天无理由",
    "商品破损/少件。选错了，东西是好的，是我拍多了一件", "质量问题。点错原因了",
])
def test_retractions(lexicon_clf, text):
    r = lexicon_clf.classify(text)
    assert not r.complaint and not r.error


def test_a_description_without_words_leaves_the_reason(lexicon_clf):
    r = lexicon_clf.classify("质量问题。😀")
    assert r.categories == ["quality"] and not r.error


def test_joined_text_reads_as_the_reason_field(lexicon_clf):
    a, b = lexicon_clf.classify_batch([
        {"id": "a", "text": "发错货。联系客服半天没人回"},
        {"id": "b", "text": "联系客服半天没人回", "reason": "发错货"},
    ])
    assert _labels(a) == _labels(b) == ({"quality", "service"}, False)


def test_unknown_reason_is_read_as_text(lexicon_clf):
    r = lexicon_clf.classify_batch([{"id": 1, "text": "", "reason": "收到的时候箱子被压扁了，苹果摔烂好几个"}])[0]
    assert _labels(r) == ({"logistics"}, False) and r.sources["logistics"] == "lexicon"


def test_bad_items_beside_tickets(lexicon_clf):
    got = lexicon_clf.classify_batch([{"id": 1, "text": 5, "reason": "发错货"}, {"id": 2, "reason": 7},
                                      {"id": 3, "text": "", "reason": "其他"}])
    assert got[0].error and got[1].error  # bad text; no text and no usable reason
    assert not got[2].error and not got[2].complaint


@pytest.mark.skipif(not shipped_model_available(), reason="no shipped model")
def test_default_model_reads_reasons():
    from nlp import load_classifier

    clf = load_classifier()
    got = clf.classify_batch([
        {"id": 1, "text": "", "reason": "食品安全问题"},
        {"id": 2, "text": "发错货。我买的是原味，发来的是椒盐"},
        {"id": 3, "text": "", "reason": "拍错/多拍/不喜欢"},
        {"id": 4, "text": "点错原因了，其实东西没问题", "reason": "质量问题"},
    ])
    assert got[0].food_safety and "quality" in got[0].categories
    assert "quality" in got[1].categories
    assert not got[2].complaint and not got[3].complaint


def test_cli_reads_reason_field(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [
        {"id": "t1", "text": "", "reason": "食品安全问题"},
        {"id": "t2", "text": "联系客服半天没人回", "reason": "发错货"},
    ])
    out = tmp_path / "out.jsonl"
    subprocess.run([sys.executable, "-m", "nlp", "classify", "--in", str(src), "--out", str(out),
                    "--model", "lexicon"], check=True, cwd=REPO_ROOT, capture_output=True)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows[0]["food_safety"] and rows[0]["categories"] == ["quality"]
    assert rows[1]["categories"] == ["quality", "service"]


def test_evaluate_reads_reason_field(tmp_path):
    gold = write_jsonl(tmp_path / "gold.jsonl", [
        {"id": "t1", "text": "", "reason": "食品安全问题", "complaint": True, "categories": ["quality"],
         "food_safety": True},
        {"id": "t2", "text": "", "reason": "七天无理由退货", "complaint": False, "categories": [],
         "food_safety": False},
    ])
    out = subprocess.run([sys.executable, "-m", "nlp", "evaluate", "--gold", str(gold), "--model", "lexicon",
                          "--json"], check=True, cwd=REPO_ROOT, capture_output=True, text=True).stdout
    m = json.loads(out)
    assert m["food_safety_recall"] == 1.0 and m["complaint_accuracy"] == 1.0


def test_a_bare_text_item_is_read_the_same(lexicon_clf):
    a, b = lexicon_clf.classify_batch(["发错货。", {"id": "b", "text": "发错货。"}])
    assert a.categories == b.categories == ["quality"] and a.id is None
