"""Praise must not be flagged: the food-safety flag opens a critical QC task at once, and a real
shop's reviews are mostly praise (the held-out split is mostly complaints and cannot show it).
Hand-written texts; the corpus check reads ../shared/data and skips where it is absent."""
import numpy as np
import pytest

from nlp.base import LABELS

from .conftest import shipped_model_available

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning:torch.*"),
    pytest.mark.filterwarnings("ignore::UserWarning:torch.*"),
]

PRAISE = [
    "客服态度很好，耐心解答问题",
    "第三次回购了，品质稳定",
    "煮了不破皮，味道像家里包的",
    "苹果又大又甜，水分很足，孩子很喜欢",
    "送餐很快，饭菜还是热的，好评",
    "包装很严实，一个坏的都没有，很新鲜",
    "物流很快，快递小哥服务周到",
    "价格实惠，分量也足，下次还会再买",
    "牛奶口感醇厚，日期很新鲜，放心喝",
    "一如既往的好吃，已经推荐给朋友了",
    "橙子很甜，个头均匀，性价比高",
]

FOOD_SAFETY = [
    "吃完以后全家拉肚子",
    "面包打开就发霉了，还有一股怪味",
    "米饭里吃出了一根头发，太恶心了",
    "牛奶胀袋了，喝了一口是酸的，已经变质",
    "收到的饼干已经过期了半个月",
    "菜里有虫子，孩子吃了还呕吐",
]


@pytest.mark.skipif(not shipped_model_available(), reason="no shipped model in nlp/models")
def test_default_never_flags_food_safety_on_praise(default_clf):
    results = default_clf.classify_batch([{"id": i, "text": t, "rating": 5} for i, t in enumerate(PRAISE)])
    flagged = [t for t, r in zip(PRAISE, results) if r.food_safety]
    assert flagged == []
    complaints = [(t, r.categories) for t, r in zip(PRAISE, results) if r.complaint]
    # at most 2 of these 11 (2026.12.06: 1; 2026.12.15b: 2, "一个坏的都没有" read as freshness).
    # The larger real samples measure it better and bound it in test_corpus_praise_check and the
    # validation figures (praise called a complaint: 2026.12.06 8 of 182, 2026.12.15b 5 of 182)
    assert len(complaints) <= 2, complaints


@pytest.mark.skipif(not shipped_model_available(), reason="no shipped model in nlp/models")
def test_default_flags_the_food_safety_complaints(default_clf):
    results = default_clf.classify_batch([{"id": i, "text": t} for i, t in enumerate(FOOD_SAFETY)])
    for t, r in zip(FOOD_SAFETY, results):
        assert r.food_safety and r.complaint and r.evidence["food_safety"], t


def test_lexicon_praised_aspect_is_no_complaint(lexicon_clf):
    for t in ("客服态度很好，耐心解答问题", "第三次回购了，品质稳定", "物流很快，包装很好", "很好的客服"):
        r = lexicon_clf.classify(t)
        assert not r.complaint, (t, r.evidence)
    # a complaint word next to the praise still counts; negated praise is no praise
    assert lexicon_clf.classify("客服态度很好，但是不给退款").categories == ["service"]
    assert "logistics" in lexicon_clf.classify("物流一点都不快，等了三天").categories
    assert "service" in lexicon_clf.classify("客服态度不好").categories


@pytest.mark.skipif(not shipped_model_available(), reason="no shipped model in nlp/models")
def test_weak_model_food_safety_goes_to_triage_not_to_the_flag(default_clf):
    """A model food-safety score between the recall-first threshold and the strict line, with no
    rule hit, sets low_confidence but not food_safety."""
    a = default_clf.lexicon.analyze("这个东西一般般吧")
    assert not a.food_safety
    thr = default_clf.thresholds["food_safety"]
    strict = default_clf.fs_strict
    if strict <= thr + 0.01:
        pytest.skip("no room between the thresholds")
    p = np.zeros(len(LABELS))
    p[LABELS.index("quality")] = p[LABELS.index("complaint")] = 0.99  # above the complaint gate
    p[LABELS.index("food_safety")] = min(0.999, (thr + min(strict, 1.0)) / 2)
    r = default_clf._decide("x", a.text, None, a, p, "ensemble", None)
    assert r.complaint and not r.food_safety and r.low_confidence
    assert r.scores["food_safety"] < 0.5
    # above the strict line (when the model may flag at all) it is a flag, still sent to triage
    if strict <= 1.0:
        p[LABELS.index("food_safety")] = min(1.0, strict + 0.005)
        r = default_clf._decide("x", a.text, None, a, p, "ensemble", None)
        assert r.food_safety and r.low_confidence


def test_strict_threshold_needs_precision():
    from nlp.pipeline import strict_fs_threshold

    rng = np.random.default_rng(0)
    y = np.zeros(200, dtype=bool)
    y[:20] = True
    rule = np.zeros(200, dtype=bool)
    rule[:10] = True  # the rules catch half of the positives
    p = rng.uniform(0, 0.5, 200)
    p[10:20] = 0.8   # the model separates the other half well above 0.5
    assert strict_fs_threshold(p, y, rule) <= 0.8
    p[20:60] = 0.95  # ... unless many negatives score higher still
    assert strict_fs_threshold(p, y, rule) > 0.95


def test_fpcheck_sample_is_fixed_and_disjoint_from_weak_negatives(tmp_path):
    import json

    from nlp.fpcheck import sample, weak_negatives

    rows = []
    for i in range(3000):  # > 600 food positives, so some remain outside the check sample
        cat = ["外卖", "水果", "酒店"][i % 3]
        rows.append({"id": f"r{i:04d}", "category": cat, "sentiment": i % 2,
                     "text": "很好吃，下次还来" if i % 2 else "太难吃了，送餐也慢"})
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    pos, neg = sample(path, n_pos=50, n_neg=30)
    assert [r["id"] for r in pos] == [r["id"] for r in sample(path, n_pos=50, n_neg=30)[0]]
    assert all(r["sentiment"] == 1 and r["category"] != "酒店" for r in pos)
    assert all(r["sentiment"] == 0 and r["category"] != "酒店" for r in neg)
    weak = weak_negatives(path, n=1000)
    full_pos, full_neg = sample(path)  # the default sample (600 / 300) is what is reserved
    reserved = {f"weakneg-{r['id']}" for r in full_pos + full_neg}
    assert weak and not reserved & {w["id"] for w in weak}
    assert all(not w["complaint"] and w["categories"] == [] and not w["food_safety"] for w in weak)


@pytest.mark.skipif(not shipped_model_available(), reason="no shipped model in nlp/models")
def test_corpus_praise_check(default_clf, shared_data):
    """On the fixed seeded sample of food-category corpus reviews. Bounds: food safety on praise
    at most 2 % and on negative reviews at most 10 % (true prevalence is ~5 % even among
    complaints). Praise flagged as a complaint: at most 30 % — the corpus sentiment label is
    noisy and, reading 40 flagged "positive" reviews, about half report a real (mostly mild)
    problem ("很甜，就是个头小了点", "没给筷子"), i.e. ~15-20 % of the sample is a genuine
    complaint; the old default flagged 38 %."""
    from nlp.fpcheck import check

    m = check(default_clf, shared_data / "corpus" / "reviews.jsonl")
    assert m["n_positive"] == 600 and m["n_negative"] == 300
    assert m["positive_food_safety"] <= 0.02, m
    assert m["negative_food_safety"] <= 0.10, m
    assert m["positive_complaint"] <= 0.26, m  # 2026.12.06: 0.252, 2026.12.15b: 0.243 of 600
    assert m["negative_complaint"] >= 0.70, m  # it still finds the complaints


@pytest.mark.skipif(not shipped_model_available(), reason="no shipped model in nlp/models")
def test_spoilage_read_by_the_rules_is_freshness_on_a_model_path(default_clf):
    """The models tie food safety to quality; when the rules read spoilage, mould or expiry
    (TAXONOMY: freshness), the decision carries freshness, from the rule."""
    a = default_clf.lexicon.analyze("酸奶盒子鼓鼓的，不敢喝")
    assert a.food_safety and a.spoilage
    p = np.zeros(len(LABELS))
    p[LABELS.index("quality")] = p[LABELS.index("complaint")] = 0.99  # above the complaint gate
    r = default_clf._decide("x", a.text, None, a, p, "ensemble", None)
    assert r.food_safety and r.categories == ["freshness", "quality"]
    assert r.sources["freshness"] == "rule" and r.sources["quality"] == "ensemble"
    # no category from the models: the rule's reading decides, not the higher model score
    r = default_clf._decide("x", a.text, None, a, np.zeros(len(LABELS)) + 0.001 * p, "ensemble", None)
    assert r.categories == ["freshness"] and r.food_safety
    # an object found in the food adds no freshness
    a = default_clf.lexicon.analyze("米饭里吃出一根头发")
    r = default_clf._decide("x", a.text, None, a, p, "ensemble", None)
    assert r.categories == ["quality"]
