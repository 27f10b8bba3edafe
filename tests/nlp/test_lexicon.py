import pytest

from nlp import CATEGORIES, ClassificationResult
from nlp.lexicon import LexiconClassifier
from nlp.text import normalize


@pytest.mark.parametrize("text,expected", [
    ("味道太咸了，根本没法吃", {"taste"}),
    ("一点也不甜，还有点酸", {"taste"}),
    ("收到的苹果烂了好几个，一点都不新鲜", {"freshness"}),
    ("牛奶临期了，生产日期是半年前的", {"freshness"}),
    ("送餐太慢了，等了两个小时，饭都凉了", {"logistics"}),
    ("中通快递太慢，五天才到", {"logistics"}),
    ("个头太小了，缺斤少两", {"quality"}),
    ("少送了一份米饭", {"quality"}),
    ("客服态度差，一直不理人", {"service"}),
    ("太贵了，不值这个价", {"price"}),
    ("备注了不要香菜，结果还是放了一大把", {"quality"}),
    ("红烧肉饭里就三块肉", {"quality"}),
    ("整整等了九十多分钟", {"logistics"}),
    ("打了三次电话都不接，连句道歉都没有", {"service"}),
    ("说好的满减没有满减", {"price"}),
    ("白白浪费了几十块钱", {"price"}),
    ("鸡翅都炸糊了", {"taste"}),
])
def test_one_category_each(lexicon_clf, text, expected):
    r = lexicon_clf.classify(text)
    assert r.complaint
    assert set(r.categories) == expected, (text, r.categories, r.evidence)
    for cat in expected:
        assert r.evidence[cat], "each label carries the words that support it"
        assert all(span in normalize(text) for span in r.evidence[cat]), r.evidence
        assert r.sources[cat] == "lexicon"


@pytest.mark.parametrize("text,expected", [
    # transport damage is logistics; a leaking / badly sealed package is quality
    ("箱子在路上被压坏了，苹果摔烂好几个", "logistics"),
    ("包装漏气了，封口没封好", "quality"),
    # arrived cold is logistics, not taste
    ("送到都凉了", "logistics"),
    # small fruit is quality, sour fruit is taste
    ("个头很小", "quality"),
    ("太酸了", "taste"),
])
def test_taxonomy_boundaries(lexicon_clf, text, expected):
    r = lexicon_clf.classify(text)
    assert expected in r.categories, (text, r.categories, r.evidence)
    other = {"logistics": "quality", "quality": "logistics", "taste": "logistics"}.get(expected)
    if text in ("送到都凉了", "包装漏气了，封口没封好", "个头很小"):
        assert other not in r.categories


@pytest.mark.parametrize("text,complaint", [
    ("包装很严实，一个坏的都没有，很新鲜", False),   # denied after the word and after a pattern
    ("烂的一个也没有，很满意", False),
    ("有两个坏的，也没有给换", True),               # not denied: the bad ones were not replaced
    ("坏的没有换", True),
])
def test_a_denial_after_the_complaint_word(lexicon_clf, text, complaint):
    assert lexicon_clf.classify(text).complaint is complaint, text


@pytest.mark.parametrize("text", ["说实话，中份根本吃不饱", "菜给的太少了", "汤漏了一袋子",
                                  "都说不要放香菜了，结果还是放了", "卤蛋点了没送"])
def test_portion_leak_missing_item_and_ignored_note_are_quality(lexicon_clf, text):
    assert "quality" in lexicon_clf.classify(text).categories, text


@pytest.mark.parametrize("text", [
    "订的牛肉面，送过来竟然是鸡蛋面", "我要的红烧排骨给的糖醋里脊", "说了不放葱，还是给我放了",
    "备注写的多放辣，直接被无视", "牛肉饭一共就四片牛肉", "汉堡里的肉去哪了", "馄饨里面几乎没有馅",
    "这根本不是牛肉，是鸭肉", "橙子小得可怜", "还能再小一点吗", "说好的80mm，最大的才65mm",
    # lexicon 2026.12.16
    "橘子个头有点小。", "这次的芒果挺小的，失望", "面条给得好少，", "柚子比较小啊", "虾仁不是很大",
    "三个人点餐只给一双筷子", "连个勺子都不给", "被图片骗了，根本不一样", "实物跟照片差距太大",
    "我点的是酸辣粉，来的是米线", "订了两杯奶茶，只送来一杯", "牛肉少的可怜", "套餐里没有饮料",
    "这也叫大果？", "大果和上次的中果一样大", "说是两斤，自己秤了一下才一斤六两",
    "写的20个，数了只有17个", "宣传无糖，配料表第三位就是白砂糖", "防伪码扫了查不到", "一看就是高仿的",
    "袋子没有热封，就这么折着", "卖相太差了，送不出手", "水煮鱼里鱼片没几片", "跟直播间展示的根本不是一个东西"])
def test_wrong_dish_ignored_request_skimpy_fake_small_and_short_are_quality(lexicon_clf, text):
    assert "quality" in lexicon_clf.classify(text).categories, text


@pytest.mark.parametrize("text", [
    "虽然小，但是很甜", "核很小，肉厚", "我胃口小，一份够吃", "比较小，正好一口一个",
    "坏的很少。", "两家区别不大", "问题不是很大，能吃", "果汁少", "有大的也有小的", "热量低，脂肪少",
    "油烟很小。"])
def test_small_or_few_that_is_no_size_complaint(lexicon_clf, text):
    assert "quality" not in lexicon_clf.classify(text).categories, text


@pytest.mark.parametrize("text", [
    "要求12点送到，结果1点才到", "订的11点半送达，结果10点就送来了", "送过来还是热的，很好吃",
    "一共就三块钱，很划算"])
def test_a_delivery_time_request_warm_food_and_prices_are_no_quality_cue(lexicon_clf, text):
    assert "quality" not in lexicon_clf.classify(text).categories, text


@pytest.mark.parametrize("text", ["粥送来全洒了", "菜汤全洒了！", "根本就没送，订单就完成了"])
def test_a_spill_on_the_way_and_an_order_never_delivered_are_logistics(lexicon_clf, text):
    """As the labeled set's annotator reads them: 12 of its 14 training rows with a spill are
    logistics (a leak, 漏/露汤, is quality); "根本就没送" is the delivery, "点了…没送" an item."""
    assert lexicon_clf.classify(text).categories == ["logistics"], text


@pytest.mark.parametrize("text", ["外卖的包装很用心", "包装非常仔细、严实", "新包装挺好看"])
def test_praised_packaging_is_no_quality_cue(lexicon_clf, text):
    assert lexicon_clf.analyze(text).raw["quality"] == 0.0, text


def test_portion_small_and_expensive_is_quality_and_price(lexicon_clf):
    r = lexicon_clf.classify("分量太少了，还这么贵")
    assert {"quality", "price"} <= set(r.categories)


def test_praise_and_negated_complaint_words_are_not_complaints(lexicon_clf):
    for text in ["很好吃，送餐也快，好评", "不贵，个头也不小，很新鲜", "没有坏的，都很好", "物流很快，包装完好"]:
        r = lexicon_clf.classify(text)
        assert not r.complaint, (text, r.categories, r.evidence)
        assert r.categories == []


def test_rating_awareness(lexicon_clf):
    # a 5-star review whose text complains is a complaint
    r = lexicon_clf.classify("好评返现才给五星，其实苹果都烂了", rating=5)
    assert r.complaint and "freshness" in r.categories
    # a 1-star review with no reason is not
    r = lexicon_clf.classify("差评", rating=1)
    assert not r.complaint and r.error is None
    r = lexicon_clf.classify("不推荐", rating=1)
    assert not r.complaint
    # a weak cue counts with a low rating only
    assert not lexicon_clf.classify("有点辣").complaint
    assert lexicon_clf.classify("有点辣", rating=1).categories == ["taste"]
    assert not lexicon_clf.classify("有点辣", rating=5).complaint


@pytest.mark.parametrize("text,category", [
    ("吃完以后拉肚子", "quality"),
    ("牛奶里喝出一根头发", "quality"),
    ("面包发霉了", "freshness"),
    ("收到的酸奶已经过期了", "freshness"),
    ("菜里有只虫子", "quality"),
    ("送来的包子不是发霉就是有味了", "freshness"),       # "不是…就是…" is no negation
    ("刚开始吃的时候没注意，吃到一半发现芯都烂了", "freshness"),  # eaten, across a comma
    ("米饭有馊味，不敢再吃", "freshness"),
    ("点了两次，闹了两次肚子", "quality"),
    ("炒饭里面有块小石头，差点硌掉牙", "quality"),
    ("红烧鱼的鱼肉都臭了", "freshness"),
    ("饭菜里有牙，太恶心了", "quality"),                # a foreign object after "里有"
    ("青椒鸡丁完全没熟，鸡肉还带血", "quality"),          # undercooked meat
    ("吃两次都坏肚子了", "quality"),
    ("酸奶送来已经胀了，不能喝", "freshness"),            # a swollen pack: spoilage (TAXONOMY)
    ("肉有一股子臭味儿，只吃了一口就扔了", "freshness"),
    # phrasings from the team-labeled corpus rows (lexicon-2026.11.23e)
    ("米饭里有小石籽，硌到牙了", "quality"),
    ("草莓有两个都发毛了，不敢要", "freshness"),
    ("盖饭有点搜了，没法吃", "taste"),
    ("买的桃子软软的，有一股酒味", "taste"),
    ("橙子一股很重的农药味", "taste"),
    ("青菜都没洗干净，还有泥", "quality"),
    ("猪蹄上都是猪毛，没法吃", "quality"),
    ("吃了他家的凉菜，拉了一晚上", "quality"),
    ("鱿鱼是坏的，都臭了", "freshness"),
    ("今天竟然吃到小强！希望店家改善卫生", "quality"),
    ("冷面里居然吃出一张小票，恶心", "quality"),
    ("打开吃的第一个苹果就是坏了", "freshness"),
    ("全是坏苹果，芯都烂的，没注意咬到了", "freshness"),
    ("牛肉貌似有股坏了的味道", "freshness"),
    ("吃过两次，两次都拉肚子，连拉带吐", "quality"),
])
def test_food_safety_rules(lexicon_clf, text, category):
    r = lexicon_clf.classify(text)
    assert r.food_safety, (text, r.evidence)
    assert r.complaint and category in r.categories, (text, r.categories)
    assert r.evidence["food_safety"]
    assert r.sources["food_safety"] == "rule"
    assert r.scores["food_safety"] > 0.5


@pytest.mark.parametrize("text", [
    "苹果烂了几个",            # rotten fruit noticed on opening: freshness only
    "牛奶临期了",              # near expiry is not expired
    "没有发霉，也没过期",       # negated
    "吃着挺好，没有烂心",       # negated, in the rules from the later rounds
    "袋子里有纸巾和筷子",       # paper napkins are no object in the food
    "很新鲜，没有虫子",
    "吃了好几年了，这次烂了两个",  # a purchase history, not an eaten rotten fruit
    "不是很好吃，没有味道",
    "每个苹果外面都有塑料包装袋，很用心",
    "毛血旺很好吃，下次还点",
    "苹果还没熟透，有点酸",      # unripe fruit is taste, not a health risk
    "出了那事以后这个牌子的奶再也不敢喝了",  # distrust, no report
    "这个虾真难吃，都想吐了",    # disgust
    "很新鲜，希望农药残留不超标",  # a hope, not a finding
    # denied past 发现 / 任何, asked, supposed or heard of
    "吃了好几天并没有拉肚子，放心",
    "吃了没有任何不舒服",
    "没发现头发什么的，挺干净",
    "有没有人吃了拉肚子的？",
    "如果有虫子能赔吗",
    "听说有人买到过期的，我的没有",
    "日期很新，不用担心过期",
    "无添加，不含防腐剂",
])
def test_food_safety_not_flagged(lexicon_clf, text):
    assert not lexicon_clf.classify(text).food_safety, text


@pytest.mark.parametrize("text", [
    "这家有满减，很划算",           # a discount mentioned, not missed
    "只用了三十分钟就送到了",       # a delivery time praised
    "客服态度很好，耐心解答",
    "物流不慢，第二天就到了",       # a pattern ending in a negated complaint word
    "态度一点也不差",
    "如果坏了能退吗？",             # a question about what might happen
    "没发现有烂的，总体很好",
])
def test_praise_with_complaint_shaped_words_is_no_complaint(lexicon_clf, text):
    r = lexicon_clf.classify(text)
    assert not r.complaint, (text, r.categories, r.evidence)


def test_result_shape(lexicon_clf):
    r = lexicon_clf.classify_batch([{"id": "x1", "text": "送餐太慢", "rating": None}])[0]
    assert isinstance(r, ClassificationResult)
    d = r.to_dict()
    assert set(d) == {"id", "complaint", "categories", "food_safety", "scores", "evidence",
                      "sources", "confidence", "low_confidence", "model", "error"}
    assert d["id"] == "x1"
    assert set(d["scores"]) == set(CATEGORIES) | {"complaint", "food_safety"}
    assert all(0.0 <= v <= 1.0 for v in d["scores"].values())
    assert 0.0 <= d["confidence"] <= 1.0
    assert d["model"] == lexicon_clf.version


def test_categories_in_fixed_order(lexicon_clf):
    r = lexicon_clf.classify("太贵了，送餐又慢，味道还很难吃，分量也少")
    assert r.categories == [c for c in CATEGORIES if c in r.categories]
    assert {"taste", "logistics", "quality", "price"} <= set(r.categories)


def test_lexicon_file_is_valid():
    lex = LexiconClassifier().lexicon
    assert len(lex.words) > 300 and len(lex.patterns) > 20
    assert {c for es in lex.words.values() for c, _ in es} <= set(CATEGORIES)


@pytest.mark.parametrize("text,expected,absent", [
    # generic quality words said of rotten fruit restate the freshness complaint
    ("质量太差了，收到的苹果全烂了", "freshness", "quality"),
    # a rude courier is logistics, not the shop's service (TAXONOMY: courier behaviour)
    ("送餐员态度很差，还挂电话", "logistics", "service"),
    ("快递小哥脾气太大了，东西扔门口就走", "logistics", "service"),
    # size by comparison and short weight are quality
    ("说是中果，也就拳头那么大", "quality", None),
    ("标的五斤，称了一下不到四斤", "quality", None),
    ("粥忘了给，打电话也没人接", "quality", None),
    # nobody told the customer about a changed order: service
    ("菜没了也没有提前跟我沟通，直接换成别的", "service", None),
])
def test_restated_and_misattributed_evidence(lexicon_clf, text, expected, absent):
    r = lexicon_clf.classify(text)
    assert expected in r.categories, (text, r.categories, r.evidence)
    if absent:
        assert absent not in r.categories, (text, r.categories, r.evidence)


def test_specific_quality_evidence_survives_freshness(lexicon_clf):
    r = lexicon_clf.classify("质量太差，个头很小，还烂了两个")
    assert {"quality", "freshness"} <= set(r.categories), r.evidence


def test_polite_courier_leaves_the_shops_service_complaint(lexicon_clf):
    r = lexicon_clf.classify("送餐员态度很好，但是商家不给退款")
    assert "service" in r.categories, r.evidence
    assert "logistics" not in r.categories, r.evidence


@pytest.mark.parametrize("text, category", [
    ("饭里怎么有头发？？", "quality"),       # a rhetorical question still reports it
    ("没想到吃出了头发", "quality"),
    ("还没吃就发现发霉了", "freshness"),
    ("苹果非常好，不过小了一点", "quality"),  # 不过 (but) is no negator
    ("红烧牛肉肉不多", "quality"),           # a negated praise word is the complaint
])
def test_reports_that_look_like_denials_or_questions_stay_complaints(lexicon_clf, text, category):
    r = lexicon_clf.classify(text)
    assert category in r.categories, (text, r.categories, r.evidence)


@pytest.mark.parametrize("text,expected,food_safety", [
    # food domains outside the training data (lexicon 2026.12.06c); hand-written
    ("火腿肠胀袋了", {"freshness"}, True),                 # a swollen pack is spoilage, not packaging
    ("核桃仁都油哈了", {"freshness"}, True),
    ("红枣长了白毛", {"freshness"}, True),
    ("保质期已经过了一个月了还发给我", {"freshness"}, True),
    ("维生素片离过期只剩三个月", {"freshness"}, False),     # near expiry is not expired
    ("店家发错货了", {"quality"}, False),
    ("白酒是假冒的", {"quality"}, False),
    ("说好的赠品没给", {"price"}, False),                   # a missing gift is price, not a missing item
    ("下单五天了还没发货", {"logistics"}, False),
    ("薯片在路上全被压碎了", {"logistics"}, False),
    ("冰袋全化了，牛排都软了", {"logistics", "freshness"}, False),
    ("活虾到了死了一大半", {"freshness"}, False),
    ("鸡爪辣得离谱", {"taste"}, False),
    ("茶叶里挑出来好几颗小石子", {"quality"}, True),
    ("吃了半袋腰果嗓子就开始疼，还起了疹子", {"quality"}, True),
])
def test_other_food_domains(lexicon_clf, text, expected, food_safety):
    r = lexicon_clf.classify(text, rating=1)
    assert set(r.categories) == expected, (text, r.categories, r.evidence)
    assert r.food_safety is food_safety, (text, r.evidence)


@pytest.mark.parametrize("text", [
    "鱼肝油只剩一个多月就过期了",      # near expiry, said another way
    "牛排筋膜太多，嚼得腮帮子都酸了",  # an aching jaw, not sour food
    "冻干咖啡粉结块了，罐子密封不好",  # damp, not spoiled
    "饼已经凉了，油也凝固了",          # cold fat
])
def test_not_a_food_safety_report(lexicon_clf, text):
    assert not lexicon_clf.classify(text).food_safety


@pytest.mark.parametrize("text", [
    # food-safety reports in everyday words (hand-written)
    "吃完这家的盖饭，下午跑了三趟厕所",
    "喝了这瓶酸奶肚子就开始不对劲，一直咕噜",
    "全家都拉了，就吃了这一家的饺子",
    "吃完虾仁炒饭浑身起疙瘩",
    "小笼包里咬到一块保鲜膜",
    "酸奶日期过了三天还在卖",
    "小龙虾根本没洗，全是泥",
    "寿司米有股发酵的味道",
    "吃完酸菜鱼嘴里起了好多小水泡",
    "粥里有颗钢珠，真的离谱",
    "牛奶保质期就到昨天",
    "冬枣吃了一把，半夜开始吐",
])
def test_food_safety_in_everyday_words(lexicon_clf, text):
    assert lexicon_clf.classify(text).food_safety, text


@pytest.mark.parametrize("text", [
    "难喝到想吐，一股勾兑的味道",       # disgust, not illness
    "太好吃了，吃撑了肚子疼",
    "辣得我胃疼哈哈，不过真爽",
    "外卖袋外面沾着一根头发，里面的饭菜封得好好的",
    "饭里没头发没虫子，但就是难吃",
    "评论里说吃出虫子的不是这家吧？我买的好好的",
    "请问这款酸奶小孩喝了会不会过敏？",
    "这盒饭难吃到吐，太咸了",
    "听同事说这家后厨不干净，我点了试试，目前没发现问题",
    "收到一打开烂了好多个，一个都没敢吃",
])
def test_food_safety_near_misses(lexicon_clf, text):
    assert not lexicon_clf.classify(text).food_safety, text


def test_thawed_in_the_kitchen_is_not_logistics(lexicon_clf):
    assert "logistics" not in lexicon_clf.classify("冻虾仁化冻后缩水一大半").categories
    assert "logistics" in lexicon_clf.classify("汤圆肯定是路上化冻了，粘成一坨").categories


def test_rash_after_milk_powder(lexicon_clf):
    assert lexicon_clf.classify("宝宝喝了这个奶粉脸上起了好多小红点").food_safety


def test_a_spoiled_smell_is_freshness_not_taste(lexicon_clf):
    r = lexicon_clf.classify("带鱼有一股氨水味", rating=1)
    assert r.categories == ["freshness"], r.evidence


def test_dead_seafood_is_not_a_salty_dish(lexicon_clf):
    # "咸死了" is emphasis, not a dead fish
    assert "freshness" not in lexicon_clf.classify("鱼头泡饼咸死了").categories


# lexicon 2026.12.06d: the quality boundaries of TAXONOMY.md in phrasings from a probe of written
# reviews (not as described, the wrong flavour sent, a seal or bag the shop left open), promised
# gifts and coupons (price), invoices (service, as the labeled set's annotator files them)
@pytest.mark.parametrize("text,expected", [
    ("说是新疆阿克苏冰糖心，箱子上印的是陕西的", {"quality"}),
    ("标题写的纯牛奶，到手是调制乳", {"quality"}),
    ("宣传是手工现包的，收到就是速冻的工业饺子", {"quality"}),
    ("说好的阳澄湖大闸蟹，扫码根本查不到", {"quality"}),
    ("买的原味的，发来的是五香味", {"quality"}),
    ("酸奶杯口的封膜是开的", {"quality"}),
    ("袋子上有个针眼大的洞，外箱好好的", {"quality"}),
    ("礼盒做工粗糙，送领导太丢人了", {"quality"}),
    ("茶叶还可以，包装有点简陋", {"quality"}),
    ("和图片差远了", {"quality"}),
    ("快递箱湿透了，估计路上淋雨了", {"logistics"}),
    ("冰淇淋化成水了", {"logistics"}),
    ("下单时说送小样，结果啥也没有", {"price"}),
    ("买了会员说能打八折，结算还是原价", {"price"}),
    ("价格有点高", {"price"}),
    ("根本就对不起这个价钱", {"price"}),
    ("写了要发票，没给发票", {"service"}),
    ("售后太慢了", {"service"}),
    ("买完以后天天给我发推销短信", {"other"}),
    ("小票上把我的手机号全打出来了，隐私全暴露", {"other"}),
    ("送到的时候冰都化得差不多了", {"logistics"}),
    ("快递员没打电话就放驿站了", {"logistics"}),
    ("下单两箱，只发了一箱", {"quality"}),
    ("咖啡豆烘焙日期是半年前的", {"freshness"}),
])
def test_quality_boundaries_price_and_invoices(lexicon_clf, text, expected):
    assert expected <= set(lexicon_clf.classify(text).categories)


@pytest.mark.parametrize("text", [
    "价格实惠", "这个价格能买到这个质量，挺值的", "实物比图片还好看，和描述的一样",
    "买的是原味的很好吃", "发票已经开好了，很快",
])
def test_praise_of_price_and_description_is_no_complaint(lexicon_clf, text):
    assert not lexicon_clf.classify(text).complaint


def test_a_drop_in_quality_is_not_a_price_drop(lexicon_clf):
    assert lexicon_clf.classify("品质下降了，大不如前").categories == ["quality"]


def test_a_swollen_can_is_food_safety(lexicon_clf):
    r = lexicon_clf.classify("罐头胀罐了，不敢吃")
    assert r.food_safety and "freshness" in r.categories


def test_a_missing_gift_is_price_not_a_short_shipment(lexicon_clf):
    assert lexicon_clf.classify("买一送一只收到一箱").categories == ["price"]


@pytest.mark.parametrize("text,complaint", [
    ("性价比高，比超市便宜", False), ("比超市贵多了", True), ("没有超市便宜", True),
    ("酸奶不太甜，很适合减脂", False), ("不太甜，刚刚好", False), ("不太甜，不喜欢", True),
    ("不甜，不好吃", True),
])
def test_cheaper_than_elsewhere_and_not_too_sweet_for_the_buyer_are_praise(lexicon_clf, text, complaint):
    assert lexicon_clf.classify(text).complaint is complaint


@pytest.mark.parametrize("text", [
    # food-safety reports that avoid the textbook words (hand-written after a blind probe, 2026.12.06e)
    "点的凉皮，吃完晚上就一直往厕所跑",
    "烧鹅食完屙咗成晚，肚痛到瞓唔着",
    "豆干里面有条白色的虫在动",
    "燕麦片倒出来，里面好多小东西在爬",
    "面包底下一片白茸茸的，孩子已经啃了一口",
    "辣条包装鼓得像个球，打开一股酸气",
    "罐装八宝粥打开汤是浑的，还在冒泡",
    "这箱方便面超了保质期快半年了",
    "奶粉罐底的日期被磨掉了，只有那一块",
    "卤鸭脖吃出一根粗毛，恶心",
    "饺子咬开里面有一段蓝色的线",
    "宝宝喝完这罐奶粉，便便一天七八次",
    "瓜子吃出一股油耗子味，舌头都麻了",
    "吃完那碗米线 一趟一趟地跑 腿都软了",
    "喝了这杯豆浆 肚子一阵一阵拧着疼",
    "红薯干掰开 里面的小东西居然会动",
    "葡萄串中间长了一层灰色的毛",
    "烧饼吐出来一看是半片指甲",
    "拌面里挑出一团毛 缠在一起的",
    "吃了那盒寿司 晚上去医院挂水了",
    "核桃仁一股陈油味",
    "看了下日期 去年八月就到了",
    "吃完他家的麻辣香锅 蹲了半宿马桶",
    "鸭翅拆开包装有点发绿",
])
def test_food_safety_in_the_buyers_own_words(lexicon_clf, text):
    assert lexicon_clf.classify(text).food_safety, text


@pytest.mark.parametrize("text", [
    # more of them (hand-written after blind probes E-G, 2026.12.07)
    "桂花糕上一片毛茸茸的白点",
    "花卷表面长了一层毛，还是刚买的",
    "芝士蛋糕奶油上有绿色的斑点",
    "吐司切开里面一块一块的青斑",
    "豆沙包咬开里面有根黄色的毛",
    "粽子里吃到一截塑料丝",
    "蜂蜜罐底有蜜蜂的翅膀",
    "吃了他家的烤串，肚子一直隐隐作痛",
    "喝了那瓶果汁，晚上吐得一塌糊涂",
    "吃完小龙虾 厕所里蹲了一个钟",
    "宝宝吃了辅食脸上起了一片红疹",
    "包子馅有一股酸味，明显放坏了",
    "牛奶倒出来酸气冲鼻",
    "酱牛肉有点怪味，发现时已经吃了两片",
    "这盒饼干早就超期了还在卖",
    "酸奶上的日期是昨天就到期了",
    "保质期的标签被重新贴过，下面一层日期更早",
    "点的炒粉，半夜跑了三趟厕所",
    "馒头底下发绿了",
    "蛋挞里夹着一小块塑料",
    "红烧肉里面有毛，猪毛没刮干净",
    "豆浆里漂着一个黑色的东西",
    "鸡翅吃起来越吃越反胃",
    "奶油是酸的，蛋糕肯定坏了",
    "吃了他家的毛血旺，一家人轮流上厕所",
])
def test_food_safety_in_the_buyers_own_words_more(lexicon_clf, text):
    assert lexicon_clf.classify(text).food_safety, text


@pytest.mark.parametrize("text", [
    "奶站拉到了新的牛奶，这次特别新鲜",          # 拉到 a place, not 拉到虚脱
    "猕猴桃外皮毛茸茸的，里面很甜",                # fuzzy skin is normal
    "物流信息一直在动，就是不派送",                # moving parcel, not a living thing
    "薯片是充氮包装，本来就是鼓的，很好吃",
    "吃到了毛肚，火锅很正宗",
    "保质期还没超过，放心吃",
    "猪蹄处理得很干净，一根毛都没有",
    "日期新鲜，快递第二天就到了",
    "吃完这家的凉面，上班路上顺便上了趟洗手间就去开会了，味道一般",
    "汤里黑黑的还以为是虫子，原来是花椒",
    "快递箱里爬着一只蟑螂，零食都是独立密封的，没事",
    "看评论说有头发，我这份没有，很干净",
])
def test_new_phrasings_leave_their_near_misses_alone(lexicon_clf, text):
    assert not lexicon_clf.classify(text).food_safety, text


@pytest.mark.parametrize("text", [
    "霉豆腐配白粥，下饭",                          # a fermented dish named after mould
    "苹果上有两个虫眼，说明农药少，很甜",            # a wormhole in the skin is cosmetic
    "肚子疼是我自己吃太多，不怪店家",
    "喝了一个月，便秘拉不出的老毛病好多了",
    "包装上印着变质勿食，提醒很到位",
    "闻着以为馊了，原来是酸笋的味道",
    "还以为里面有头发，原来是海苔丝",
    "榴莲闻着臭吃着香，熟度刚好",
    "酒酿有酒味是正常的，很甜",
    "薯片袋子鼓鼓的是充了氮气，一片没碎",
    "囤了两箱，不怕放过期，保质期一年",
    "吃完拉肚子？不存在的，肠胃好得很",
    "毛茸茸的小玩具熊，孩子很喜欢",
    "青斑鱼很新鲜，蒸着吃很嫩",
])
def test_session_12_phrasings_leave_their_near_misses_alone(lexicon_clf, text):
    assert not lexicon_clf.classify(text).food_safety, text


@pytest.mark.parametrize("text", [
    "一箱橙子，吃下去三个都是坏的",
    "刚才吃了个烂的，嘴里一股怪味",
    "吃第几个了，又是一个烂的",
    "鸡汤是酸的，肯定是隔夜的",
    "家常豆腐里的豆腐有点酸了",
    "饺子馅发酸，饺子是酸的",
])
def test_round_8_rotten_found_by_eating_and_sour_dishes(lexicon_clf, text):
    assert lexicon_clf.classify(text).food_safety, text


@pytest.mark.parametrize("text", [
    "吃下去很舒服，一点都没坏",                     # denied
    "吃下去的时候发现是压坏的，外皮破了",            # transport damage
    "腐乳豆腐是酸的，本来就这个味",                  # fermented tofu
    "酸菜鱼汤是酸辣口的，很开胃",
])
def test_round_8_phrasings_leave_their_near_misses_alone(lexicon_clf, text):
    assert not lexicon_clf.classify(text).food_safety, text


@pytest.mark.parametrize("text", [
    "打开一看，有头发在饭里",
    "鸡蛋羹里好多蛋壳，咬得嘎嘣响",
    "吃完烧胃，一晚上没睡好",
    "一股农药的味道，不敢再吃",
    "炒饭感觉都坏啦，一股怪味",
    "一箱梨，吃个就是烂的",
])
def test_session_14_objects_in_food_burning_stomach_and_spoiled_dishes(lexicon_clf, text):
    assert lexicon_clf.classify(text).food_safety, text


@pytest.mark.parametrize("text", [
    "手机带壳的时候发现一个小裂缝",                  # a phone case, not an eggshell
    "苹果表面有一层蜡，削皮吃就行",                  # waxed fruit: the team calls it no risk
    "吃完烧烤去唱歌，很开心",
    "饭在碗里冒着热气，很香",
    "吃了个甜的，又吃了个酸的",
])
def test_session_14_phrasings_leave_their_near_misses_alone(lexicon_clf, text):
    assert not lexicon_clf.classify(text).food_safety, text


@pytest.mark.parametrize("text", ["牛奶口感醇厚，日期很新鲜", "口感细腻，很好喝", "味道鲜美，汤很浓郁"])
def test_taste_and_texture_praise_is_no_complaint(lexicon_clf, text):
    assert not lexicon_clf.classify(text).complaint, text


@pytest.mark.parametrize("text", ["口感不如以前醇厚了", "口感一点也不细腻"])
def test_taste_praise_taken_back_still_complains(lexicon_clf, text):
    assert lexicon_clf.classify(text).categories == ["taste"], text


def test_hearsay_food_safety_words_are_told_from_incident_spans():
    from nlp.lexicon import LexiconClassifier, hearsay_only

    lex = LexiconClassifier()
    assert hearsay_only(lex.analyze("看完这场球赛真难受").food_safety_evidence)
    assert hearsay_only(["三聚氰胺", "超标"])
    assert not hearsay_only([])
    # a pattern's span or an incident word is a report, never hearsay
    assert not hearsay_only(lex.analyze("喝完这个牛奶肚子难受了一晚上").food_safety_evidence)
    assert not hearsay_only(lex.analyze("汤里有头发").food_safety_evidence)


@pytest.mark.parametrize("text", [
    "不知道好不好吃，帮同事带的",          # A-not-A: a question before tasting
    "还没吃，甜不甜不知道",
    "新鲜不新鲜还不知道，看着还行",
    "表面看起来还好，还不知道好吃不好吃",
])
def test_an_a_not_a_question_reports_no_taste(lexicon_clf, text):
    assert not lexicon_clf.classify(text).complaint, text


@pytest.mark.parametrize("text,category", [
    ("真的不好吃", "taste"),
    ("不甜不甜不甜，再也不买了", "taste"),           # a repetition, not a question
    ("苹果水份足，但是不是很甜", "taste"),            # 但是 + 不是很甜: no question
    ("说好的退款呢？还给不给退款了？", "service"),     # a rhetorical question is a complaint
])
def test_a_complaint_next_to_a_look_alike_question_still_counts(lexicon_clf, text, category):
    assert category in lexicon_clf.classify(text).categories, text


@pytest.mark.parametrize("text", [
    "咬到个硬的，吐出来一看是钢丝球",
    "嚼到一块硬塑料片，牙都硌疼了",
    "饭里有沙子",
    "吃出一只死蚂蚁",
])
def test_an_object_found_in_the_food_is_quality_not_texture(lexicon_clf, text):
    r = lexicon_clf.classify(text)
    assert r.food_safety and r.categories == ["quality"], (text, r.categories, r.evidence)
    assert r.evidence["quality"]


@pytest.mark.parametrize("text,expected", [
    ("牛肉太硬了嚼不动", ["taste"]),
    ("米饭好硬", ["taste"]),
    ("这苹果太粉了，一点不脆", ["taste"]),       # mealy texture
    ("点了份炒河粉，送得很快", []),               # 粉 in a dish's name is no texture
    ("豆浆粉冲出来很香", []),
])
def test_hard_and_mealy_are_texture_only_when_said_of_the_food(lexicon_clf, text, expected):
    assert lexicon_clf.classify(text).categories == expected, text


@pytest.mark.parametrize("text,expected", [
    ("冰袋没化，很冰", []),                                   # an ice pack that held is praise
    ("冷链做得好，到的时候冰袋还是硬的", []),                 # nor is hard ice a texture
    ("冰袋都没怎么化，肉很新鲜", []),
    ("冰袋化了，肉也软了", ["freshness", "logistics"]),
    ("泡沫箱破了，冰袋没了", ["logistics"]),
    ("水果类，连冰袋都没有", ["logistics"]),
    ("冷链是摆设吧，到手都软了", ["freshness", "logistics"]),
])
def test_ice_packs_and_the_cold_chain(lexicon_clf, text, expected):
    r = lexicon_clf.classify(text)
    assert r.categories == expected, (text, r.categories, r.evidence)
    assert "冰袋没" not in r.evidence.get("logistics", []), "a span never ends on a bare negator"


@pytest.mark.parametrize("text,category,span", [
    ("实物和图片有点差距，个头小", "quality", "和图片有点差距"),   # the pattern stops inside 差距
    ("快递员不送上楼，让我自己下去拿", "logistics", "不送上楼"),
])
def test_a_patterns_evidence_ends_on_a_word_boundary(lexicon_clf, text, category, span):
    r = lexicon_clf.classify(text)
    assert span in r.evidence[category], r.evidence


@pytest.mark.parametrize("text", [
    "核桃仁有股哈喇子味，这是陈货吧",
    "卤蛋袋子胀袋了，跟个气球一样",
])
def test_spoilage_named_only_by_a_food_safety_word_is_freshness(lexicon_clf, text):
    r = lexicon_clf.classify(text)
    assert r.food_safety and "freshness" in r.categories, (text, r.categories, r.evidence)


def test_a_scandal_word_is_no_spoilage_evidence(lexicon_clf):
    assert "freshness" not in lexicon_clf.analyze("防腐剂太多了，不健康").evidence


@pytest.mark.parametrize("text", ["饭盒压坏了", "菜盒子摔坏了", "汤碗压坏了，洒了一袋子"])
def test_a_box_broken_on_the_way_is_no_food_safety_risk(lexicon_clf, text):
    r = lexicon_clf.classify(text)
    assert not r.food_safety and "logistics" in r.categories, (text, r.categories, r.evidence)


@pytest.mark.parametrize("text", [
    "酸奶盒子鼓鼓的，不敢喝",              # a swollen pack
    "面包底下发绿了，才买两天",            # mould by its colour
    "果酱打开一层白膜",                    # a film of mould
    "这批薯片一股陈油味",                  # rancid
    "日期被撕掉了，重新贴了个标",          # a tampered date
    "奶粉早就超期了",                      # expired in other words
])
def test_spoilage_described_by_a_food_safety_pattern_is_freshness(lexicon_clf, text):
    a = lexicon_clf.analyze(text)
    assert a.food_safety and a.spoilage, (text, a.food_safety_evidence)
    assert set(a.spoilage) <= set(a.food_safety_evidence)
    r = lexicon_clf.classify(text)
    assert r.food_safety and "freshness" in r.categories, (text, r.categories, r.evidence)


@pytest.mark.parametrize("text", [
    "米饭里吃出一根头发",       # an object: quality
    "吃完拉了一晚上肚子",       # illness: quality
    "干锅有股臭味",             # a foul smell alone is as often taste (training rows)
])
def test_objects_illness_and_a_bare_smell_are_no_spoilage(lexicon_clf, text):
    a = lexicon_clf.analyze(text)
    assert a.food_safety and not a.spoilage, (text, a.food_safety_evidence, a.spoilage)


@pytest.mark.parametrize("text,risk", [
    ("家里有人住院，点外卖太方便了", False),        # why someone orders, no report
    ("今天在医院输液，想喝口热粥", False),
    ("孩子喝了这个奶，住院三天", True),             # a hospital stay after drinking it
    ("吃完上吐下泻，去医院挂了两天水", True),
    ("苹果有异味", False),                          # a smell alone: freshness, not a risk
    ("凉皮里的面筋已经有异味了", True),             # a dish that has gone off
    ("米线一股搜了的味道", True),                   # 馊 typed 搜
    ("鸡蛋没有熟", False),                          # a soft egg is a taste complaint
    ("鸡腿里面还是生的", True),                     # undercooked meat stays a risk
])
def test_hospital_words_smells_and_undercooked_food(lexicon_clf, text, risk):
    assert lexicon_clf.analyze(text).food_safety is risk, (text, lexicon_clf.analyze(text).food_safety_evidence)


def test_quality_rules_on_the_written_quality_probe(lexicon_clf):
    """Regression guard for the general quality rules read off ``probes/written_q.jsonl``
    (lexicon 2026.12.16: quality F1 0.684 as first written, 0.862 after its rules)."""
    from nlp.data import read_jsonl
    from nlp.evaluate import compute_metrics, gold_row
    from nlp.text import RESOURCES

    rows = list(read_jsonl(RESOURCES / "probes" / "written_q.jsonl"))
    assert len(rows) == 240
    preds = lexicon_clf.classify_batch([{"id": r["id"], "text": r["text"], "rating": r["rating"]}
                                        for r in rows])
    m = compute_metrics([gold_row(r) for r in rows], [p.to_dict() for p in preds])
    assert m["per_category"]["quality"]["f1"] >= 0.84, m["per_category"]["quality"]
    assert m["per_category"]["quality"]["precision"] >= 0.9, m["per_category"]["quality"]
