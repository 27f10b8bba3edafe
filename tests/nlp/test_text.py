from nlp.text import MAX_CHARS, get_segmenter, normalize, segment, to_simplified


def test_user_dictionary_keeps_food_words_whole():
    seg = get_segmenter()
    for word in ["临期", "胀袋", "漏气", "缺斤少两", "冷链", "顺丰", "中通", "京东物流", "化了"]:
        assert word in seg.cut(f"这次买的东西{word}了，不满意"), word


def test_segment_normalizes_first():
    tokens = segment("這個牛奶臨期了！！！")
    assert "临期" in tokens
    assert "!" in tokens and tokens.count("!") == 1


def test_traditional_to_simplified():
    assert to_simplified("這個蘋果很難吃，發霉了") == "这个苹果很难吃，发霉了"
    assert normalize("頭髮") == "头发"
    assert to_simplified("已经是简体") == "已经是简体"


def test_full_width_and_case():
    assert normalize("ＡＢＣ１２３！") == "abc123!"
    assert normalize("ＥＭＳ太慢") == "ems太慢"


def test_emoji_dropped():
    assert normalize("好吃😀😀👍") == "好吃"
    assert normalize("😡😡😡") == ""
    assert normalize("❤️️") == ""


def test_repeated_punctuation_and_characters():
    assert normalize("太慢了！！！！！") == "太慢了!"
    assert normalize("真的吗？？？！！！") == "真的吗?"
    assert normalize("好好好好好好好吃") == "好好好吃"
    assert normalize("等了好久。。。。。。") == "等了好久。"


def test_control_characters_and_whitespace():
    assert normalize("难\x00吃\x07了\u200b") == "难 吃 了"
    assert normalize("  送餐\t\t慢  \n\n\n 凉了 ") == "送餐 慢\n凉了"
    assert normalize(None) == ""
    assert normalize(12) == "12"


def test_long_text_is_cut():
    text = "送餐太慢" * 5000  # 20,000 characters
    out = normalize(text)
    assert len(out) == MAX_CHARS
    assert out.startswith("送餐太慢")
