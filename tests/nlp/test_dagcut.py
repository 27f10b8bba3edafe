"""The fast no-HMM cut must give jieba's own tokens, ties and odd characters included."""
import pytest

from nlp.dagcut import WordTable
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
    seg = Segmenter(cache=False)  # words are added as the tests go: no table worth keeping
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


# -- the word table kept between processes ----------------------------------------------------

SAMPLE = "牛奶胀袋漏气了，苹果个头小，顺丰快递还行，研究生命起源"


def test_word_table_bytes_round_trip(segmenter):
    table = segmenter.prepare()
    back = WordTable.from_bytes(table.to_bytes())
    assert back.unknown == table.unknown
    assert back.logp == table.logp  # scores bit for bit, prefixes (None) included


@pytest.mark.parametrize("data", [b"", b"not a table", b"feedback-wordtable-1\n" + b"\0" * 10])
def test_word_table_rejects_what_it_did_not_write(data):
    with pytest.raises(ValueError):
        WordTable.from_bytes(data)


def test_word_table_rejects_a_cut_short_file(segmenter):
    data = segmenter.prepare().to_bytes()
    with pytest.raises(ValueError):
        WordTable.from_bytes(data[:-7])


def test_a_second_segmenter_reads_the_cached_table_without_jieba(tmp_path):
    first = Segmenter(cache_dir=tmp_path)
    first.add_word("绝绝子款", 10 ** 5)
    expected = first.cut(SAMPLE + "这个绝绝子款真好")
    files = list(tmp_path.glob("wordtable-*.bin"))
    assert len(files) == 1

    second = Segmenter(cache_dir=tmp_path)
    second.add_word("绝绝子款", 10 ** 5)
    assert second.cut(SAMPLE + "这个绝绝子款真好") == expected
    assert second._jieba is None  # no jieba dictionary was loaded
    assert expected == second._tok.lcut(SAMPLE + "这个绝绝子款真好", HMM=False)


def test_other_words_get_their_own_table(tmp_path):
    a = Segmenter(cache_dir=tmp_path)
    a.cut(SAMPLE)
    b = Segmenter(cache_dir=tmp_path)
    b.add_word("胀袋漏气", 10)
    assert "胀袋漏气" in b.cut("牛奶胀袋漏气了")
    assert "胀袋漏气" not in a.cut("牛奶胀袋漏气了")
    assert len(list(tmp_path.glob("wordtable-*.bin"))) == 2


def test_a_damaged_cache_file_is_rebuilt(tmp_path):
    Segmenter(cache_dir=tmp_path).cut(SAMPLE)
    (path,) = tmp_path.glob("wordtable-*.bin")
    path.write_bytes(path.read_bytes()[:1000])
    seg = Segmenter(cache_dir=tmp_path)
    assert seg.cut(SAMPLE) == seg._tok.lcut(SAMPLE, HMM=False)
    WordTable.from_bytes(path.read_bytes())  # written again, whole


def test_an_unwritable_cache_only_costs_time(tmp_path):
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    seg = Segmenter(cache_dir=blocker / "cache")
    assert seg.cut(SAMPLE) == seg._tok.lcut(SAMPLE, HMM=False)
    no_cache = Segmenter(cache=False)
    assert no_cache.cache_dir is None and no_cache.cut(SAMPLE) == seg.cut(SAMPLE)


def test_only_the_recently_used_tables_are_kept(tmp_path, monkeypatch):
    monkeypatch.setattr("nlp.text.KEEP_TABLES", 2)
    for word in ("甲乙丙丁", "戊己庚辛", "壬癸子丑"):
        seg = Segmenter(cache_dir=tmp_path)
        seg.add_word(word, 10)
        assert word in seg.cut(f"这是{word}的")
    kept = list(tmp_path.glob("wordtable-*.bin"))
    assert len(kept) == 2
    for path in kept:
        WordTable.from_bytes(path.read_bytes())
