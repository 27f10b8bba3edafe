"""The fast no-HMM cut must give jieba's own tokens, ties and odd characters included."""
import pytest

from nlp.text import Segmenter, normalize

TEXTS = [
    "送餐太慢了，等了两个小时，饭都凉了",
    "苹果个头小，还有两个烂了，顺丰快递还行",
    "iPhone13 很好用 abc123 x-y_z% 1.5kg #话题#",
    "牛奶临期，胀袋漏气，缺斤少两，客服不理人！！！",
    "第一次买，味道一般般吧。。。下次不会再来了",
    "\r\n 多行\n文本\t制表符  空格 ",
    "中文English混合mixed文本123号",
    "研究生命起源；结婚的和尚未结婚的；南京市长江大桥",
    "", " ", "a", "1", "。", "哈哈哈哈哈哈",
    "他来到了网易杭研大厦",  # an unknown name: split into single characters without HMM
]


@pytest.fixture(scope="module")
def segmenter():
    seg = Segmenter()
    seg.add_word("胀袋漏气", 10)  # a user word added after construction invalidates the table
    return seg


@pytest.mark.parametrize("text", TEXTS)
def test_same_tokens_as_jieba_without_hmm(segmenter, text):
    assert segmenter.cut(text) == segmenter._tok.lcut(text, HMM=False)
    norm = normalize(text)
    assert segmenter.cut(norm) == segmenter._tok.lcut(norm, HMM=False)


def test_words_added_later_are_used(segmenter):
    assert "胀袋漏气" in segmenter.cut("牛奶胀袋漏气了")
    assert "绝绝子款" not in segmenter.cut("这个绝绝子款真好")
    segmenter.add_word("绝绝子款", 10 ** 5)
    assert "绝绝子款" in segmenter.cut("这个绝绝子款真好")
    assert segmenter.cut("这个绝绝子款真好") == segmenter._tok.lcut("这个绝绝子款真好", HMM=False)
