"""Drafting rules on real-looking reviews (the engine alone; no database)."""
from __future__ import annotations

import datetime as dt

import pytest

from feedback.services.replies.engine import (
    Drafter,
    ReplyFacts,
    ReplyInput,
    TemplateData,
    check_template_text,
    default_templates,
    render,
)
from feedback.services.replies.rules import COMPENSATION_WORDS, RuleSettings, errors

ORANGE = ReplyFacts(product="赣南脐橙5斤装", order_date=dt.date(2026, 3, 1), carrier="中通快递",
                    paid_date=dt.date(2026, 3, 1), ship_date=dt.date(2026, 3, 2), sign_date=dt.date(2026, 3, 7),
                    production_date=dt.date(2026, 2, 20), batch_code="B0220")


def drafter(**rules):
    return Drafter(default_templates(), RuleSettings(**rules))


def inp(key, text, categories, evidence=None, *, food_safety=False, tier=None, facts=None):
    return ReplyInput(key=str(key), text=text, categories=list(categories), evidence=evidence or {},
                      food_safety=food_safety, buyer_tier=tier, facts=facts or ReplyFacts())


ROTTEN = inp(1, "橙子烂了三个，一点也不新鲜，快递还特别慢，等了五天才到", ["freshness", "logistics"],
             {"freshness": ["烂了", "不新鲜"], "logistics": ["慢", "等了五天"]}, facts=ORANGE)


def test_names_the_concrete_problem_with_the_customers_words_and_order_facts():
    r = drafter().draft(ROTTEN)
    assert "赣南脐橙5斤装" in r.text  # product
    assert "3月1日" in r.text  # order date
    assert "坏果烂果" in r.text and "送货太慢" in r.text  # the specific problems
    assert "“不新鲜”" in r.text or "“烂了”" in r.text  # the customer's own words
    assert not errors(r.issues)


def test_explains_only_from_real_facts():
    r = drafter().draft(ROTTEN)
    assert "2026年2月20日" in r.text  # the batch's production date
    assert "中通快递" in r.text and "5天" in r.text  # the carrier delay: shipped 3-2, signed 3-7
    bare = drafter().draft(inp(1, ROTTEN.text, ROTTEN.categories, ROTTEN.evidence))
    assert "生产的" not in bare.text and "中通" not in bare.text and "签收" not in bare.text


def test_a_short_transit_is_not_called_a_delay():
    facts = ReplyFacts(product="脐橙", carrier="顺丰", ship_date=dt.date(2026, 3, 2), sign_date=dt.date(2026, 3, 3))
    r = drafter().draft(inp(5, "物流太慢", ["logistics"], {"logistics": ["太慢"]}, facts=facts))
    assert "签收" not in r.text and "揽收" not in r.text


def test_every_category_is_answered_in_one_reply():
    review = inp(7, "味道太咸了，分量还少，送到都凉了，客服也不理人，还这么贵",
                 ["taste", "quality", "logistics", "service", "price"],
                 {"taste": ["太咸"], "quality": ["分量少"], "logistics": ["凉了"], "service": ["不理人"],
                  "price": ["贵"]}, facts=ReplyFacts(product="黄焖鸡米饭"))
    r = drafter().draft(review)
    for phrase in ("味道太咸", "分量不足", "送到时已经凉了", "客服回复不及时", "不值这个价"):
        assert phrase in r.text, phrase
    assert r.text.count("感谢") + r.text.count("谢谢") <= 3  # one opening, one closing: one reply, not five
    assert any(c in r.text for c in ("另外，", "还有，", "同时，", "此外，"))


def test_corrective_action_of_the_task_is_used():
    facts = ReplyFacts(product="脐橙", corrective={"freshness": "该批次已下架并加强入库检验。"})
    r = drafter().draft(inp(3, "橙子都烂了", ["freshness"], {"freshness": ["烂了"]}, facts=facts))
    assert "该批次已下架并加强入库检验" in r.text
    assert "逐一复检" not in r.text and "重新检查一遍" not in r.text  # replaces the default action


def test_corrective_action_that_breaks_a_rule_is_left_out_and_noted():
    facts = ReplyFacts(corrective={"quality": "已为顾客全额退款并补发"})
    r = drafter().draft(inp(3, "分量太少", ["quality"], {"quality": ["太少"]}, facts=facts))
    assert "退款" not in r.text and r.notes


@pytest.mark.parametrize("key", range(30))
def test_never_promises_refund_gift_or_compensation(key):
    r = drafter().draft(inp(key, "客服不给退款，赠品也没给，退货也不让退", ["service", "price"],
                            {"service": ["不给退款", "退货"], "price": ["赠品没给"]}))
    assert not [w for w in COMPENSATION_WORDS if w in r.text]
    assert not errors(r.issues)


def test_food_safety_reply_is_careful():
    r = drafter().draft(inp(11, "吃了以后拉肚子，里面还有一根头发", ["quality"], {"quality": ["拉肚子", "头发"]},
                            food_safety=True, facts=ReplyFacts(product="卤牛肉")))
    assert "重视" in r.text and "就医" in r.text
    assert "异物" in r.text and "身体不适" in r.text
    assert "保留" in r.text  # asks to keep the product for the batch investigation
    assert not errors(r.issues)


@pytest.mark.parametrize("key", range(12))
def test_tone_returning_buyers_thanked_new_buyers_welcomed(key):
    base = dict(text="不新鲜", categories=["freshness"], evidence={"freshness": ["不新鲜"]})
    returning = drafter().draft(inp(key, tier="returning", **base)).text
    new = drafter().draft(inp(key, tier="new", **base)).text
    assert any(w in returning for w in ("又一次", "再次光顾", "一直以来", "老顾客"))
    assert any(w in new for w in ("欢迎", "第一次"))
    assert "一直以来" not in new and "老顾客" not in new


@pytest.mark.parametrize("limit", [500, 200, 120, 80])
def test_every_draft_fits_the_length_limit(limit):
    r = drafter(max_chars=limit).draft(inp(9, "又酸又小还烂了好几个，快递压坏了，客服态度差，太贵",
                                           ["taste", "quality", "freshness", "logistics", "service", "price"],
                                           {"taste": ["酸"], "quality": ["小"], "freshness": ["烂了"],
                                            "logistics": ["压坏"], "service": ["态度差"], "price": ["贵"]},
                                           tier="returning", facts=ORANGE))
    assert len(r.text) <= limit
    assert not [i for i in r.issues if i.code == "length"]


def test_shortening_keeps_every_complaint_named():
    r = drafter(max_chars=160).draft(ROTTEN)
    assert len(r.text) <= 160
    assert "坏果烂果" in r.text and "送货太慢" in r.text


def test_blocked_words_and_contact_details_in_customer_words_are_not_quoted():
    review = inp(4, "加我微信abc12345，这橙子垃圾，烂透了", ["freshness"], {"freshness": ["垃圾", "烂透了"]})
    r = drafter(blocked_words=["垃圾"]).draft(review)
    assert "垃圾" not in r.text and "烂透了" in r.text and not errors(r.issues)


def test_a_product_name_with_a_phone_number_is_not_used():
    facts = ReplyFacts(product="脐橙 订购电话13812345678")
    r = drafter().draft(inp(4, "不新鲜", ["freshness"], {"freshness": ["不新鲜"]}, facts=facts))
    assert "138" not in r.text and not errors(r.issues)


def test_low_rating_without_a_reason_gets_an_open_question():
    r = drafter().draft(inp(5, "差评", []))
    assert "具体" in r.text and not errors(r.issues)


def test_wording_varies_across_reviews_but_is_stable_for_one():
    texts = {drafter().draft(inp(k, "不新鲜，烂了", ["freshness"], {"freshness": ["不新鲜", "烂了"]})).text
             for k in range(40)}
    assert len(texts) >= 10
    again = drafter().draft(inp(3, "不新鲜，烂了", ["freshness"], {"freshness": ["烂了"]})).text
    assert again == drafter().draft(inp(3, "不新鲜，烂了", ["freshness"], {"freshness": ["烂了"]})).text


def test_templates_are_data_an_admin_changes():
    mine = [TemplateData("ack", "freshness", "any", False, "{product}{problem}，我们认了，对不起。", id=1),
            TemplateData("opening", "any", "any", False, "您好。", id=2)]
    r = Drafter(mine, RuleSettings()).draft(inp(1, "烂了", ["freshness"], {"freshness": ["烂了"]},
                                                facts=ReplyFacts(product="冬枣")))
    assert r.text == "您好。冬枣有坏果烂果，我们认了，对不起。"
    assert r.template_ids == [2, 1]


def test_template_syntax():
    assert render("{item}{problem}[（您提到{evidence}）]。", {"item": "您的橙子", "problem": "烂了"}) == "您的橙子烂了。"
    assert render("{carrier}慢了", {}) is None
    assert check_template_text("{item}{unknown}") and check_template_text("[{item}")
    assert check_template_text("{item}{problem}[，您提到{evidence}]，抱歉。") == []


def test_near_expiry_shipment_is_admitted_not_defended():
    facts = ReplyFacts(product="纯牛奶", production_date=dt.date(2026, 1, 5), batch_code="M0105", near_expiry=True,
                       shelf_left_ratio=0.12)
    r = drafter().draft(inp(2, "牛奶快过期了，日期很老", ["freshness"], {"freshness": ["快过期", "日期"]}, facts=facts))
    assert "2026年1月5日" in r.text and "约12%" in r.text and "出库把关没做好" in r.text
    assert not errors(r.issues)


def test_words_a_model_chose_are_not_quoted_to_the_buyer():
    text = "要的肘子送个鸡腿"
    evidence = {"quality": ["肘子", "鸡腿"]}
    quoted = drafter().draft(inp(41, text, ["quality"], evidence))
    assert "“肘子”" in quoted.text  # the same words as the lexicon's would be quoted
    r = drafter().draft(ReplyInput(key="41", text=text, categories=["quality"], evidence=evidence,
                                   model_evidence=frozenset({"quality"})))
    assert "肘子" not in r.text and "鸡腿" not in r.text and "“" not in r.text
    assert "品质" in r.text  # the category is still answered, in general words
    assert not errors(r.issues)


def test_a_couriers_title_is_no_quote():
    r = drafter().draft(inp(42, "快递员不送上楼，让我自己下去拿", ["logistics"], {"logistics": ["不送上楼", "快递员"]}))
    assert "“快递员”" not in r.text and "“不送上楼”" in r.text
