"""The validator every reply passes (drafts and manager edits)."""
from __future__ import annotations

import pytest

from feedback.services.replies.rules import RuleSettings, errors, reply_length, validate

OK = "感谢您的反馈。您收到的脐橙有坏果，这是我们把关不严，非常抱歉。我们会对同批次库存逐一复检。"


def codes(text, rules=None, **kw):
    return {i.code for i in errors(validate(text, rules or RuleSettings(), **kw))}


def test_a_plain_apology_passes():
    assert codes(OK) == set()


def test_length_limit_counts_chinese_characters_and_is_configurable():
    text = "非" * 500
    assert reply_length(text) == 500
    assert "length" not in codes(text)
    assert "length" in codes(text + "常")
    issues = validate("抱歉" * 60, RuleSettings(max_chars=100))
    assert issues[0].code == "length" and "120" in issues[0].message and "100" in issues[0].message


@pytest.mark.parametrize("text", [
    "详情请看 https://shop.example.com/item", "欢迎访问 www.example.cn 了解", "点开 m.tb.cn 查看",
    "复制￥AbCdEf12345￥打开手机淘宝",
])
def test_links_are_refused_unless_allowed(text):
    assert "link" in codes(text)
    assert "link" not in codes(text, RuleSettings(allow_links=True))


@pytest.mark.parametrize("text", [
    "有问题请拨打 13812345678", "电话 138-1234-5678", "客服热线 400-820-8820", "座机 021-62345678",
    "加微信 shop_kefu01 联系", "请拨１３８１２３４５６７８",
])
def test_phone_numbers_and_contact_ids_are_refused_unless_allowed(text):
    assert "phone" in codes(text)
    assert "phone" not in codes(text, RuleSettings(allow_phone=True))


def test_dates_and_batch_codes_are_not_phone_numbers():
    assert codes("这单是2024年3月5日生产的批次B20240305，我们会复检。") == set()


@pytest.mark.parametrize("text", ["我们马上给您退款。", "联系客服给您补发一份。", "送您一张优惠券表示歉意。",
                                  "我们会给您补偿。", "下次给您多放赠品。"])
def test_compensation_wording_needs_the_platform_setting(text):
    assert "compensation" in codes(text)
    assert "compensation" not in codes(text, RuleSettings(allow_compensation=True))


@pytest.mark.parametrize("text", ["口味因人而异，这是个人口味问题。", "水果软了属于正常现象。",
                                  "请看清商品描述再下单。", "这不是我们的问题，是快递的事。",
                                  # from an audit of the approve form: these passed with a warning
                                  "可能是您收到后保存不当造成的。", "从来没有人说过有问题，建议您再仔细看看。",
                                  "快递慢不是我们能控制的，是物流公司的问题。"])
def test_blaming_the_customer_is_refused(text):
    assert "blame" in codes(text)


def test_marketing_and_asking_for_a_better_rating_are_refused():
    assert "marketing" in codes("欢迎关注店铺，新品上市有惊喜。")
    assert "marketing" in codes("麻烦您改好评，谢谢。")


def test_blocked_words_come_from_the_settings():
    rules = RuleSettings(blocked_words=["亲亲", "宝宝"])
    found = errors(validate("亲亲，非常抱歉给您添麻烦了。", rules))
    assert [i.code for i in found] == ["blocked"] and "亲亲" in found[0].message
    assert codes("全网最低价，非常抱歉。") == {"blocked"}  # the default list


def test_food_safety_replies_must_not_play_the_risk_down():
    text = "您反映吃了拉肚子，我们的产品可以放心食用。"
    assert "safety_dismissive" in codes(text, food_safety=True)
    assert "safety_dismissive" not in codes(text, food_safety=False)
    warnings = [i.code for i in validate("很抱歉。", RuleSettings(), food_safety=True)]
    assert "safety_care" in warnings


def test_a_category_the_reply_never_mentions_is_a_warning_not_an_error():
    issues = validate("非常抱歉，我们会改进。", RuleSettings(), categories=["logistics"])
    assert [(i.code, i.severity) for i in issues] == [("category_missing", "warning")]
    assert not validate("物流太慢了，非常抱歉，我们会改进。", RuleSettings(), categories=["logistics"])


def test_empty_and_unfilled_placeholders():
    assert codes("   ") == {"empty"}
    assert codes("您购买的{product}有问题，抱歉。") == {"placeholder"}
