"""The transparent lexicon/rule classifier on jieba tokens (fast, explainable, the fallback).

Words in ``resources/lexicon.txt`` are matched against jieba tokens with a small negation
window ("不甜" counts for taste, "不贵" does not count for price); regular expressions catch
phrases across tokens ("等了两个小时"). Each distinct match adds its weight to its category;
``score = 1 - exp(-k * sum)``. Food safety comes from high-precision rules (illness, foreign
objects, mould, spoilage, expiry), never from a weak cue.
"""
from __future__ import annotations

import math
import re
from itertools import accumulate
from dataclasses import dataclass, field
from pathlib import Path

from .base import (CATEGORIES, ClassificationResult, Classifier, batch_items, error_result,
                   has_cjk, margin_confidence, parse_item)
from .regex_trigger import TriggerIndex
from .text import RESOURCES, Segmenter, USER_DICT, has_content, normalize

LEXICON_FILE = RESOURCES / "lexicon.txt"
LEXICON_VERSION = "lexicon-2026.12.16"

NEGATORS = frozenset("不 没 没有 无 木有 未 不是 不会 并不 不太 不够 不算 毫无 没什么 不怎么 一点也不 一点都不 并没有 从不 没那么 不如".split())
# words that may sit between a negator and the word it negates ("不是很甜", "没有以前好吃")
BRIDGE = frozenset("很 太 怎么 是 那么 够 算 特别 大 多 是很 怎么样 这么 以前 之前 上次 店里 原来 第一次 那样 如 像 咋 好 也 都 还"
                   " 过 吃出 吃到 喝出 发现 看到 见".split())
CLAUSE_END = frozenset(",.!?;:，。！？；：、~ \n…")

# score = 1 - exp(-K * weight): one 1.0 word -> 0.6, one weak 0.7 word -> 0.47, two -> 0.72
K = -math.log(0.4)
THRESHOLD = 0.5
LOW_RATING_THRESHOLD = 0.4  # 1-2 stars: one weak cue with a category word is enough

FOOD_SAFETY_WORDS = frozenset("""
拉肚子 吃坏肚子 腹泻 拉稀 过敏 呕吐 吐了 胃疼 胃痛 肚子疼 肚子痛 食物中毒 中毒 不舒服 难受 发烧 低烧
头发 头发丝 虫 虫子 苍蝇 蟑螂 蚊子 异物 玻璃 钢丝 铁丝 钢丝球 螺丝 烟头 指甲 石子 沙子 毛发 血丝
发霉 霉 霉变 霉点 长毛 长霉 生霉 霉斑 变质 馊 馊了 酸败 胀袋 胀罐 胖听 过期 过期了 三聚氰胺 毒奶 塑化剂 致癌 不干净
臭的 发臭 变酸 变臭 发酸 酸了 腐败 腐烂变质 生虫 长虫 有虫 蛆 飞虫 小虫 肉虫 蠕虫 虫卵 毛发
闹肚子 跑肚 上吐下泻 恶心想吐 腹痛 胃不舒服 肚子不舒服 食物过敏
有毒 毒害 中毒了 致病 细菌 大肠杆菌 菌落 超标 不合格 抽检 黄曲霉 黄曲霉素 结石 激素 防腐剂 抗生素
杂质 絮状 凝块 结块 胀包 鼓包 涨袋 胀气 篡改日期 改日期 篡改 过期奶 过期产品 霉菌 绿毛 白毛 黑斑
臭味 沉淀物 凝固 老鼠 咬过 喝进去 吃进去
有味了 馊味 哈喇味 酸臭 发馊 臭掉 霉味 霉烂 恶臭 腐味 飞蛾 蛾子 蚂蚁 死蚂蚁 不明物 虫蛀 黑毛 鼻毛
坏肚子 过期货 过期食品 臭味儿 腐臭味 腐臭 腥臭 呕吐物 小虫子 不锈钢丝 泥块 细菌性
老鼠屎 鼠屎 老鼠粪 烟屁股 烟蒂 甲虫 小甲虫 蛀虫 碎玻璃 红疙瘩 玻璃碴 玻璃碴子 玻璃渣 玻璃渣子 肚痛 催吐 洗胃 油耗味 油耗子味
石籽 碎石 小石子 米虫 油哈了 哈喇 哈喇子味 絮状物 青霉 氨水味 氨味 过咗期 窜稀 肠胃不舒服 洗洁精味 化学味 化肥味 过保 沉淀块 臭奶 毒牛奶 慢性毒药 毒死 又拉又吐 又吐又拉 猪毛 鸡毛 鸭毛 漂浮物 三聚 塑胶线 塑料线
""".split())
# 不敢吃/不敢喝 and 想吐 are mostly distrust or disgust ("蒙牛是不敢喝了", "都想吐了"), not a
# report: on the training rows they were right 2 times in 19, so they are not food-safety words;
# nor, since 2026.12.06c, 没敢吃/没敢喝 alone (rotten fruit thrown away uneaten; the reports
# among them name the smell or the spoilage too).
# bare 塑料 / 沉淀 are mostly packaging ("塑料包装") or a figure of speech: a plastic object counts
# only as found in the food (FOOD_SAFETY_RES); 沉淀物 stays
# a hospital visit or a drip is often why someone orders ("家里有人住院", "在医院输液，想喝粥"):
# it reports a risk only after eating (FOOD_SAFETY_RES). 有异味 alone is a smell (of fruit, of
# the box; training rows: 2 of 12 texts with it alone are food safety): freshness or taste.
# these are freshness ("near expiry"), not an expired product
NOT_FOOD_SAFETY = frozenset("临期 快过期 临过期 即将过期 离过期 距离过期 距过期".split())
# ... and these are disgust ("难吃，都想吐了"), cut as one token so 吐了 is not seen; eaten and then
# sick ("吃完想吐了") is still caught by the illness-after-eating pattern
NOT_FOOD_SAFETY |= frozenset("想吐 想吐了 快吐了 要吐了".split())
# fermented dishes named after mould (霉豆腐 is 腐乳), cut as one token so 霉 is not seen
NOT_FOOD_SAFETY |= frozenset("霉豆腐 霉干菜 梅干菜 霉千张 霉苋菜 霉鱼".split())
# a wormhole in fruit skin is cosmetic (quality), not a risk
NOT_FOOD_SAFETY |= frozenset("虫眼 小虫眼".split())
# a lookbehind for the newer patterns: not right after a negator ("没有烂心", "没坏了的味道")
_NOT_DENIED = r"(?<![没无不])(?<!没有)"
# where a foreign object is said to be: found while eating, or in the dish
_IN_FOOD = r"吃出|吃到|喝出|喝到|咬出|咬到|嚼到|嚼出|夹出|夹到|挑出|碗底|碗里|底下压着|冲开有|冲开后有|里面藏着|里藏着|里面发现|里发现|饭里|菜里|汤里|粥里|里面有|里边有|里有|里还有|里面还有|里居然有|里竟然有|里夹着|里面夹着|中间夹着|里混着|里面混着|吐出来是|吐出来一看"
#: the food-safety patterns that describe spoilage, mould or expiry (a swollen pack, green spots,
#: a rancid or sour smell, a date past or tampered with): their spans are freshness evidence
#: (TAXONOMY: mould and spoilage are `freshness`; illness and objects are `quality`)
SPOILAGE_RES: set[re.Pattern] = set()


def _spoiled(pattern: str) -> re.Pattern:
    rx = re.compile(pattern)
    SPOILAGE_RES.add(rx)
    return rx


FOOD_SAFETY_RES = [
    re.compile(r"(吃|喝|咬|尝)(了|到|完|一口|出)[^,.!?，。！？]{0,10}(坏|烂|臭|变质|(?<![想到])吐|恶心|难受)"),
    re.compile(r"(吃|喝)(出|到)(了)?[^,.!?，。！？]{0,6}(虫|头发|苍蝇|异物|东西|钢丝|铁丝|烟头|螺丝|指甲|石子|渣"
               r"|(?<![羊鸭])毛(?![肚豆血巾病钱蛋利尖]))"),
    _spoiled(r"(芯|心|核|里面|果肉)(的地方)?(都|全)?(是|很)?(烂|坏|黑)[^,.!?，。！？]{0,12}(吃|咬|尝)"
               r"|(吃|咬|尝)[^,.!?，。！？]{0,12}(芯|心|核|里面|果肉)(的地方)?(都|全)?(是|很)?(烂|坏|黑)"),
    _spoiled(r"(保质期内|没过期)[^,.!?，。！？]{0,6}(坏|变质|变酸|变味|臭|胀)"),
    # eaten, then found spoiled, across a comma ("当你兴冲冲的开始品尝时,才发现,原来芯烂了");
    # not a history of purchases ("吃了好几年了,这次坏了两个")
    _spoiled(r"(吃|喝|咬|尝)(了|到|完|时|的时候|一口)(?!(好|很)?(几|多|这么多|很多|两|三)(次|年|回|个月|箱))"
               r"[^。！？!?]{0,16}?(烂了|坏了|臭了|变质|馊|发霉|霉了|(?<![没无])有味了|是烂的|是坏的)"),
    # illness after eating, in more words ("吃完到现在反胃,全部吐出来了", "吃一次,拉一次肚子")
    re.compile(r"(拉|闹)(了|过)?([一两三几]|好几)?(次|天|下午|晚上|晚|夜)?的?肚子"),
    re.compile(r"(吃|喝)(完|了|过)(后|之后|以后)?[^。！？!?]{0,10}(反胃|吐出来|全吐|吐了|呕吐|胃疼|胃痛|肚子疼|肚子痛)"),
    # a foreign object found in the food ("饭里边好多石头", "吃出了塑料纸")
    re.compile(r"(倒出|" + _IN_FOOD + r")[^,.!?，。！？]{0,8}(?<![没无不])"
               r"(石头|沙子|泥|塑料|不明物|蚂蚁|飞蛾|虫|头发|毛发|苍蝇|蟑螂|钢丝|铁丝|铁片|玻璃|牙|木屑"
               r"|线头|创可贴|钉子|刷毛|塑胶|保鲜膜|睫毛|订书针|橡皮筋|木刺|钢珠|螺丝|黑色的?(小块|颗粒|东西|线)"
               r"|金属丝|金属片|铁屑|铁钉|鱼线|蜗牛|鼻涕虫|手套|一小?段[^,.!?，。！？]{0,4}线"
               r"|一根[^,.!?，。！？]{0,6}线)"),
    # a spoiled smell ("肉有一股子臭味儿"), undercooked meat or beans, vomiting, a reaction
    re.compile(r"(有|一)股子?[^,.!?，。！？]{0,2}(臭味|馊味|腐臭|酸臭|霉味|呕吐物)"),
    re.compile(r"(鸡(?!蛋)|肉|排骨|翅|腿|四季豆|豆角|扁豆)[^,.!?，。！？]{0,4}(没熟|不熟|没有熟|夹生|是生的|还是生的|带血|有血)"),
    re.compile(r"(全|都|全都)吐出来了"),
    re.compile(r"(吃|喝)(了|完|过)(之后|以后|后)?[^。！？!?]{0,10}(发麻|起疹|红疹|过敏|头晕|发烧)"),
    # ... in other words (from a probe of written reviews in other food domains): a rash, a sore
    # throat, a headache after drinking; expired by its date
    re.compile(r"(吃|喝)(了|完|过)[^。！？!?]{0,14}(疹子|起了?疹|红点|红疹|红斑|(嗓子|喉咙)[^,.!?，。！？]{0,4}(疼|痛|痒)"
               r"|头(疼|痛)|浑身(发)?痒|起疙瘩|又红又肿|红肿|肿了|肿起来|刺痒|心慌|心悸|湿疹|风团|水泡|吐奶|绿便)"),
    # ... and stomach trouble in everyday words (from a written probe of food-safety phrasings):
    # trips to the toilet, a stomach that "turns", diarrhoea said as 拉 + count
    re.compile(r"(吃|喝)[^。！？!?]{0,30}?((跑了?(好几|几|[一二两三四五六七八九十\d])?|上了?(好几|几|[两三四五六七八九十2-9]|\d\d))(趟|次)(厕所|洗手间|卫生间)"
               r"|找厕所|(蹲|坐)在?马桶|马桶上|(肚子|胃里?)[^,.!?，。！？]{0,4}(不对劲|咕噜|绞|翻江倒海|开始疼|开始痛)"
               r"|开始(拉|吐)|才(觉得|感觉|发现)(不对劲|不对)|拉了(好几|几|[一二两三四五六七八九十\d])(次|回|趟)|急性肠胃炎|肠胃炎)"),
    re.compile(r"(全家|一家人?|都|全都)拉了|拉得[^,.!?，。！？]{0,4}(站|起不来|虚脱|腿软)|拉到[^,.!?，。！？]{0,4}(虚脱|脱水|腿软|起不来)|肚[子几]?绞着?(疼|痛)"
               r"|(肚子|胃)疼醒"),
    # expired by its date in other words ("日期过了三天", "已经过保了")
    _spoiled(r"日期(已经)?过了|保质期(只|就|才)?到(上个月|上周|昨天|前天|去年)"),
    # contamination: unwashed, chemical or dyed, reused oil; meat raw by its blood
    re.compile(r"(根本|完全|都)没洗|洗洁精|(化学|化肥)味|反复炸"),
    re.compile(r"(肉|鸡|翅|排骨|虾|鱼)[^,.!?，。！？]{0,8}(全是血|是血|带血|血水)[^。！？!?]{0,8}(没熟|不熟)"),
    # spoilage in other words: fermented, slimy fish or meat, curdled milk
    _spoiled(r"发酵的?(味|酸味)|(鱼|肉|虾|三文鱼|鸡|鸭|叉烧)[^,.!?，。！？]{0,6}(发黏|黏糊糊|拉丝)"
               r"|(奶|牛奶|酸奶)[^,.!?，。！？]{0,10}(豆腐渣|絮状|块状)"),
    _spoiled(r"(保质期|有效期)[^,.!?，。！？]{0,4}(已经|早就|早|都)过了|(已经|早就|都)过期"),
    # a swollen pack of dairy or food ("酸奶...已经胀了")
    _spoiled(r"(奶|袋|盒|包装|罐|瓶)[^,.!?，。！？]{0,6}(胀了|鼓了|胀起来|鼓起来|鼓鼓的|胀得)"),
    # meat or a cooked dish that has gone off ("肉臭了", "鱼头都臭了")
    # (not the box it came in, nor broken on the way: "饭盒压坏了")
    _spoiled(r"(肉|鱼|虾|鸡|鸭|蛋|饭|菜|汤|粥|奶|豆腐|鱿鱼|馅|陷)(?![盒袋碗桶箱罐杯瓶])[^,.!?，。！？]{0,3}"
               r"(臭了|发臭|馊了|变质|酸臭|有股?臭味|(?<![压摔碰磕砸撞挤])坏了|是坏的|有点臭|变味了)"),
    # from the team-labeled corpus rows (nlp/resources/corpus_labels.jsonl): a stone that hurt a
    # tooth, plastic shards, mould written 发毛, 馊 typed 搜, a swollen pack, fermented fruit,
    # suspected pesticide or a chemical smell, food that smells foul, unwashed food, bitten food
    re.compile(r"硌(到|了|着)?牙|碎塑料|塑料小?(片|渣|碎片)"),
    _spoiled(r"(烂|霉|坏|都|已经|有点)[^,.!?，。！？]{0,3}发毛了?"),
    _spoiled(r"(有点|都|已经|有些)搜了|搜了?的?味"),
    _spoiled(r"(已经|都|全)(胀|鼓)了"),
    _spoiled(r"(有|一股|股)[^,.!?，。！？]{0,3}(酒味|酒精味|发酵味)"),
    re.compile(r"(打了|打过|怀疑)[^,.!?，。！？]{0,6}(农药|药水)|农药味"),
    re.compile(r"刺鼻|(塑胶|汽油|煤油|消毒水|油漆)[^,.!?，。！？]{0,3}味"),
    re.compile(r"(味道|闻着|闻起来|吃着)[^,.!?，。！？]{0,2}(很|好|有点|特别|非常)?臭"),
    re.compile(r"(没|没有)(洗|清洗)干净"),
    _spoiled(r"(鸡蛋|鸭蛋|咸蛋|猪肉|牛肉|鸡肉|羊肉|肉馅)[^,.!?，。！？]{0,2}(都|全)?坏了"),
    re.compile(r"(被|什么)[^,.!?，。！？]{0,4}咬(的|了|过)"),
    # from the second round of team-labeled rows: hair or bristles left on meat, illness over a
    # night, an impossible production date (the tampered-date story)
    re.compile(r"(肉皮|猪皮|猪蹄|肘子|鸡肉|鸭肉|鸡皮|皮上|肉上)[^,.!?，。！？]{0,6}(有毛|是毛|带毛|毛毛)"),
    re.compile(r"(吃|喝)[^。！？!?]{0,12}拉了(一|两|整|一整)?(晚上|晚|夜|宿|天|下午|上午)"),
    _spoiled(r"2(月|\.)3[01](日|号)"),
    # from the third and fourth rounds: more objects found in the food (a cockroach is 小强, a
    # receipt, foil, a pin), a piece of fruit eaten and found rotten inside, a spoiled smell in a
    # cooked dish, ill from both ends
    re.compile(r"(" + _IN_FOOD + r"|面里|可乐里|竟然有|居然有)[^,.!?，。！？]{0,8}"
               r"(石块|小强|草叶|绳子|小票|蛋壳|锡纸|锡箔|别针|瓜子皮|纸(?![巾盒碗袋箱杯])"
               r"|塑料纸|大头针|订书钉|皮筋|胶带|瓜子壳|碎片|砂子|清洁球|钢丝球|瘤子|垃圾|蜘蛛)"),
    _spoiled(r"(吃|咬|尝)(的第?[一二两三]个|起来|掉|中|着)[^。！？!?]{0,12}?" + _NOT_DENIED +
               r"(烂了|坏了|是烂的|是坏的|坏心|黑心|烂心|是黑的|烂味|腐烂的味)"),
    _spoiled(r"(吃|咬|尝)(了|到|完|一口)[^。！？!?]{0,12}?" + _NOT_DENIED + r"(坏心|黑心|烂心|是黑的|烂味|腐烂的味)"),
    _spoiled(_NOT_DENIED + r"(烂|坏)[^。！？!?]{0,8}(没注意|不小心)?(咬到了|咬了一口|吃到了|吃进去)"),
    _spoiled(_NOT_DENIED + r"((坏了|变质|馊了?)的味道?|味(道)?不对了)"),
    re.compile(r"连拉带吐|又拉又吐|上吐下泻"),
    # from the sixth round (texts the rules missed but a model found food-safety-like): the first
    # or second piece eaten was rotten, a rotten smell when eaten, a cooked dish or rice that
    # "has a smell now", sour porridge, rancid oil, pesticide or dye, a cobweb (the objects they
    # found in food — 瓜子壳, 碎片, 清洁球, 瘤子 … — are in the list above)
    _spoiled(r"(吃|咬|尝)(了|的)?(第|又有)?[一二两三几]个[^。！？!?]{0,10}?" + _NOT_DENIED +
               r"(?<![压碰磕摔])(烂|坏)"),
    _spoiled(r"(一股|有股|有种|有)[^,.!?，。！？]{0,4}(烂味|腐烂的?味)|烂了?的味道"),
    _spoiled(r"有异?味儿?了|不新鲜[^。！？!?]{0,6}有异?味"),
    _spoiled(r"(粥|豆浆|米饭|豆腐脑|豆花|奶油|牛奶|鲜奶|蛋糕|(?<![腐乳])豆腐(?!乳)|鸡汤|骨头汤|排骨汤|肉汤|鱼汤|鸭汤|饺子|包子|馒头)[^,.!?，。！？]{0,3}(是|有点|有些|又|都)?(酸的|发酸|酸了|又酸)"
               r"|(粥|豆浆|米饭|豆腐脑|豆花)[^。！？!?]{0,8}酸酸的"),
    _spoiled(r"坏油|哈喇味"),
    # from round 8 (3,977 real negative reviews): rotten ones found by eating them
    # ("吃下去5个都是烂心", "这会儿吃个烂的")
    _spoiled(r"吃下去[^。！？!?]{0,8}?" + _NOT_DENIED + r"(?<![压碰磕摔])(烂|坏)"),
    _spoiled(r"吃了?个(烂|坏)的"),
    re.compile(r"(浓|满嘴|一股|有股|严重的)[^,.!?，。！？]{0,2}药(水)?味|打(了)?色素"),
    re.compile(r"蜘蛛网|蜘蛛丝"),
    # session 11, from a blind probe of food-safety reports in the buyer's own words: trips to the
    # toilet without a count, Cantonese 屙, a living thing in the food, mould by its look, rancid
    # or sour-smelling spoilage, a swollen or bulging pack, expiry said in other words, a date
    # rubbed off or impossible
    re.compile(r"(吃|喝)[^。！？!?]{0,30}?(跑了?[^,.!?，。！？]{0,4}(厕所|茅房|茅厕|洗手间|卫生间)"
               r"|往(厕所|茅房|洗手间|卫生间)跑|蹲了?[^,.!?，。！？]{0,4}(厕所|马桶)"
               r"|一趟一趟地?跑|蹲坑|蹲到腿(麻|软)|厕所门口)"),
    re.compile(r"(肚子|胃|肚)[^,.!?，。！？]{0,8}(拧着|绞着|一直在?搅|翻搅)"),
    re.compile(r"屙(咗|了)?[^,.!?，。！？]{0,3}(次|趟|肚)|抠喉咙|便便[^,.!?，。！？]{0,4}次|水样便"),
    re.compile(r"(虫|东西|小线|黑点|白点|小点|活的)[^,.!?，。！？]{0,4}(在|会|还在|还会)(往外|往里)?(动|爬|蠕动|钻)"
               r"|活的(虫|小东西|东西|在动)|有腿[^。！？!?]{0,3}会动|结了?网"
               r"|(居然|竟然)(会|在)(动|爬|扭)|(在|还会|还在)(扭|蠕动)|还会爬|还在爬|一看(有|长着)(脚|腿)"),
    _spoiled(r"(白|绿|黑|灰|蓝|青)(色的?)?(茸茸|绒绒|绒毛|毛毛)|长[^,.!?，。！？]{0,9}绒毛|长了[^,.!?，。！？]{0,5}的毛|(?<!翠)绿(色)?的?(小)?(斑点?|点点?|霉)"
               r"|(黑绿|蓝绿|灰绿)色?|长了[^,.!?，。！？]{0,3}(一圈|一层|好多|很多)毛|长了(什么|啥)东西|一层[^,.!?，。！？]{0,3}白(色的?)?膜|白色?的?(絮絮|棉絮)"),
    # a foul smell alone (臭) is as often a taste complaint (training rows): not spoilage here
    re.compile(r"(一股|有股)臭(?!豆腐|鳜|桂鱼)|臭脚(丫子?)?味|脚臭味"),
    _spoiled(r"油耗子?味|哈拉味|陈油味|隔夜的?酸味|(肉|肠|翅|鸡|鸭|鱼|虾|牛排|排骨|中间|里面|里头|表面)[^,.!?，。！？]{0,6}发绿|苦油味|油都?坏了|(一股|有股|股)[^,.!?，。！？]{0,3}酸气"
               r"|(闻着|闻起来)[^,.!?，。！？]{0,3}(有点|有些|发)?酸(?!甜)"
               r"|(发黏|黏糊糊|粘糊糊)[^。！？!?]{0,8}(酸味|酸气|臭)|蛋黄(是|都|已经)?(黑的|发黑|黑了)|(黑乎乎|黑漆漆)[^。！？!?]{0,6}臭"),
    _spoiled(r"(袋|盒|罐|瓶|盖)[^,.!?，。！？]{0,6}(鼓得|胖乎乎|胖了|顶起来|凸起来)|(?<!本来就)是(胀|鼓)的"
               r"|(罐头|罐装|罐子)[^。！？!?]{0,12}(浑|起泡|冒泡)|(果泥|果汁|牛奶|鲜奶|豆浆|米糊|辅食)[^。！？!?]{0,12}(起泡|冒泡|冒小?气泡)|(奶|牛奶)[^,.!?，。！？]{0,10}一坨一坨"),
    _spoiled(_NOT_DENIED + r"(超(了|过|出)?保质期|过了保质期|(早|早就|已经)过了?保质期)"
               r"|保质期(已经|早就|都)?超(了|过)|(上个月|上周|去年|前年|[一两三四五六七八九十几\d]+(个月|天|周|年)前)就?(已经)?(到期|过期)"
               r"|日期[^。！？!?]{0,12}(早就|早)过了|(日期|保质期)[^。！？!?]{0,8}(早到了|早就到了|早就到头|到头了|去年[^,.!?，。！？ ]{0,6}就?到了)|expired|expiry date[^。！？!?]{0,6}过|best before[^。！？!?]{0,8}(去年|前年)"),
    re.compile(r"(一根|一团|几根|好几根|一撮)[^,.!?，。！？]{0,6}?(?<![羊鸭头])毛(?![肚豆巾病钱利尖血])"
               r"(?![^,.!?，。！？]{0,2}(都|也)没)"),
    _spoiled(r"日期[^,.!?，。！？]{0,3}被?(磨掉|刮掉|涂改|擦掉|撕掉)|生产日期[^,.!?，。！？]{0,6}(下个月|明天|下周)"
               r"|(明显|肯定)是?改过"),
    # session 12, from blind probe E (written from TAXONOMY.md alone): mould by its look (毛茸茸,
    # 粉毛, spots on cream or bread), a hair, fibre or splinter found while eating, parts of an
    # insect, a stomach that aches or bloats after eating, vomiting through the night, a rash,
    # sour-smelling meat or dumplings, a smell that stings the nose, eating something that already
    # smelled off, expiry in other words (超期, 过咗期, 前天就到期了) and a relabelled date
    _spoiled(r"(?<![皮桃子])(毛茸茸|毛绒绒)(?!的?小?(玩具|娃娃|公仔|玩偶))"),
    _spoiled(r"(粉|白|青|绿|黑)(粉|白|白白)?的?(粉毛|毛毛的?|绒絮)"),
    _spoiled(r"长了?(一层|点|些|好多)?毛(?![衣巾豆笔线病毛])"),
    _spoiled(r"(里面|表面|上面)[^,.!?，。！？]{0,6}毛毛的"),
    _spoiled(r"(奶油|蛋糕|面包|吐司|馒头|月饼|酸奶|豆腐|饼)[^,.!?，。！？]{0,6}(黑色|绿色|青色|黑|绿|青)的?(斑点|斑|点点)"),
    _spoiled(r"的青斑"),
    _spoiled(r"长了?青斑"),
    re.compile(r"有根[^,.!?，。！？]{0,8}?(?<![羊鸭头眉])毛(?![肚豆巾病钱利尖血衣])"),
    re.compile(r"(吃到|吃出|咬到|咬出|咬开|扎出|挑出|夹出|吸上来|吸出|倒出来|裹着)[^,.!?，。！？]{0,10}(纤维|毛线|线头|木刺|木屑|竹刺|铁片|钉子|塑料丝|黑黑的东西|黑色的东西)"),
    re.compile(r"(蜜蜂|苍蝇|蚊子|飞虫|虫子?|蟑螂|飞蛾|蛾子)的?(腿|翅膀|尸体|残骸)"),
    re.compile(r"(吃|喝|食)[^。！？!?]{0,20}?(肚子|胃|个肚)[^,.!?，。！？]{0,6}(隐隐作痛|作痛|胀了|胀得|不得劲|唔舒服)"),
    re.compile(r"(吃|喝|食)[^。！？!?]{0,20}?(吐得|吐了一(晚|夜|宿|整晚))"),
    re.compile(r"(厕所|马桶)(里|上)?(蹲|坐)了?"),
    re.compile(r"(吃|喝)[^。！？!?]{0,24}?(红疹|疹子|起了?疹|全是红包|起了?红包|风团|起了?疙瘩|痒得)"),
    _spoiled(r"(肉|鸡|鸭|鱼|虾|叉烧|饺子|水饺|包子|馒头|米饭|豆腐|卤味|熟食|面条)[^。！？!?]{0,12}?(?<!酸辣)(一股|有股|一阵|有阵|有点|有些)(酸味|酸气)"),
    _spoiled(r"放坏了"),
    _spoiled(r"坏了那种"),
    _spoiled(r"(酸|臭|馊|气味|闻着)[^,.!?，。！？]{0,3}冲鼻"),
    re.compile(r"(怪味|酸味|臭味|不新鲜|唔新鲜|发黑|黑了|味儿?不对|分层)[^。！？!?]{0,12}(已经吃了|都吃了|已经喝了|都喝了|食咗)"),
    _spoiled(r"(发黏|黏糊糊|粘糊糊|黏丝|拉丝)[^。！？!?]{0,8}(酸得|酸味)"),
    _spoiled(r"(早就|已经|都|日期)超期"),
    _spoiled(r"超期(了)?(半年|[一二两三四五六七八九十几\d]+(天|个?月|年))"),
    _spoiled(r"日期超了"),
    _spoiled(r"过咗期"),
    _spoiled(r"(前天|昨天|大前天|上周|几天前)(就)?(已经)?(截止|到期|过期)"),
    _spoiled(r"(日期|标签)[^。！？!?]{0,12}(改过|被改|篡改|涂改|重新贴|贴了新)"),
    _spoiled(r"贴纸下面还有"),
    # read off probe F (which measured the rules above blind): the same reports in other words
    re.compile(r"(半夜|一晚上|一夜|昨晚|晚上|一宿)[^,.!?，。！？]{0,3}跑了?[^,.!?，。！？]{0,3}(趟|次)(厕所|洗手间|卫生间)"),
    _spoiled(r"(馒头|面包|吐司|米饭|饼|底部|底下)[^,.!?，。！？]{0,4}发绿"),
    _spoiled(r"长(了)?霉?点了"),
    re.compile(r"(夹了|夹着|吃到|咬到|里有)[^,.!?，。！？]{0,6}塑料(?!袋|盒|包装|瓶|杯|壳)"),
    re.compile(r"(里面有|里有|里边有|里头有)毛(?![肚豆巾病钱利尖血衣])"),
    re.compile(r"(汤|粥|饮料|奶|水|茶|酒|浆|汁)里(面)?(漂着|浮着)[^,.!?，。！？]{0,10}(东西|黑|虫|毛)"),
    # read off probe G (which measured the two rounds above blind)
    re.compile(r"(吃|嚼|喝)(起来|着)[^。！？!?]{0,12}反胃"),
    _spoiled(r"(面包|馒头|吐司|蛋糕|饼)上[^,.!?，。！？]{0,4}(绿的|绿色的|发绿)"),
    re.compile(r"(吃|喝|喂)[^。！？!?]{0,20}就吐奶"),
    _spoiled(r"(奶粉|米粉)[^。！？!?]{0,8}(结了?[^,.!?，。！？]{0,3}硬块)"),
    _spoiled(r"(一股|有股|有点)哈味"),
    _spoiled(r"氨水?臭"),
    re.compile(r"抢厕所"),
    re.compile(r"轮流(上|跑)厕所"),
    re.compile(r"(吃|喝)[^。！？!?]{0,24}?(起了?小?红?疙瘩|红了一圈)"),
    # session 14, read off the training rows' food-safety texts that no rule flagged: an object
    # said to be in the food after it is named ("有塑料纸在饭里"), eggshell, a burning stomach
    # after eating, a pesticide smell, a cooked dish "gone off" said with 啦, a rotten one eaten
    # ("吃个就是烂的"). Waxed fruit, 地沟油 and a tooth "almost broken" were tried and left out:
    # the team calls most of their texts no risk (wax: 3 of 21).
    re.compile(r"(塑料|纸|头发|毛|虫|石头|石子|沙子|碎片|铁丝|钢丝|玻璃|蛋壳)[^,.!?，。！？]{0,3}在"
               r"(饭|菜|汤|粥|面|饼|馅|碗|盒饭|米饭|饮料)里"),
    re.compile(r"(带|有|吃到|咬到|吃出|好多)(鸡蛋|蛋)壳|蛋壳(渣|碎)"),
    re.compile(r"(吃|喝)(完|了|过)[^。！？!?]{0,6}烧胃"),
    re.compile(r"农药的?味"),
    _spoiled(r"(饭|菜|汤|粥|饼|肉丝|蛋)[^,.!?，。！？]{0,4}(都|是|有些|有点)?坏啦"),
    _spoiled(r"吃了?个[^,.!?，。！？]{0,3}(就是|都是|还是)(烂|坏)的"),
    # session 18: a hospital visit or a drip after eating (the words alone are no report)
    re.compile(r"(吃|喝)[^。！？!?]{0,20}?(住院|住进|进了?医院|去了?医院|上医院|送医|看医生|看了?急诊|急诊"
               r"|挂水|挂了?(两|三|几)?天?水|输液|输了?(两|三|几)?天?液|打点滴|打了?吊瓶|吊水|打针)"),
]
_FS_INDEX = TriggerIndex(FOOD_SAFETY_RES)
_SPOILAGE_INDEXES = frozenset(i for i, rx in enumerate(FOOD_SAFETY_RES) if rx in SPOILAGE_RES)
# the illness / object words: they imply `quality` when nothing else explains them
_FS_QUALITY = frozenset("闹肚子 上吐下泻 有毒 中毒了 细菌 超标 不合格 黄曲霉 黄曲霉素 结石 杂质 生虫 蛆 拉肚子 吃坏肚子 腹泻 拉稀 过敏 呕吐 胃疼 胃痛 肚子疼 肚子痛 食物中毒 中毒 不舒服 头发 头发丝 虫 虫子 苍蝇 蟑螂 异物 玻璃 钢丝 铁丝 螺丝 烟头 指甲 石子 三聚氰胺 毒奶 塑化剂 "
                          "坏肚子 小虫子 不锈钢丝 泥块 细菌性 石籽 碎石 毒牛奶 慢性毒药 毒死 又拉又吐 又吐又拉 猪毛 鸡毛 "
                          "鸭毛 漂浮物 三聚 塑胶线 塑料线 窜稀 肠胃不舒服 "
                          # objects found in the food (team rows: 27 of 28 with one are quality)
                          "钢丝球 碎玻璃 玻璃碴 玻璃碴子 玻璃渣 玻璃渣子 烟蒂 烟屁股 老鼠屎 鼠屎 老鼠粪 飞虫 小虫 虫卵 "
                          "蚂蚁 死蚂蚁 蛾子 飞蛾 甲虫 小甲虫 蛀虫 米虫 毛发 黑毛 鼻毛 不明物 沙子 小石子 蚊子 蠕虫 肉虫".split())
#: a food-safety match naming one of these is an object found in the food ("嚼到一块硬塑料"): quality
_OBJECTS = ("头发", "虫", "苍蝇", "蟑螂", "异物", "玻璃", "钢丝", "铁丝", "螺丝", "烟头", "指甲", "石子",
            "沙子", "塑料", "蚂蚁", "蚊子", "老鼠", "毛发")
#: food-safety words that retell a scandal or name a feeling rather than report an incident with
#: this order: alone, they come as often in boycott posts, jokes and "吃得不舒服" as in real
#: reports (training rows: 23 of 73 such texts are no complaint), so on a model path they flag a
#: complaint the models found but make none on their own (``hearsay_only``, ``classifier._decide``)
HEARSAY_FS = frozenset("三聚氰胺 三聚 毒奶 毒牛奶 塑化剂 致癌 有毒 毒害 毒死 慢性毒药 激素 防腐剂 抗生素 "
                       "超标 不合格 抽检 细菌 大肠杆菌 菌落 致病 结石 不干净 难受 不舒服".split())


def hearsay_only(evidence: list[str]) -> bool:
    """True when every food-safety span is one of ``HEARSAY_FS`` (none is a pattern's span)."""
    return bool(evidence) and all(e in HEARSAY_FS for e in evidence)


#: food-safety evidence that names spoilage or mould (freshness, not quality, when it stands alone)
_SPOILAGE = ("霉", "发毛", "长毛", "馊", "搜了", "臭", "坏了", "变质", "酸败", "变酸", "发酸", "过期",
             "酒味", "腐")
#: the unambiguous kinds of it (not 臭, 坏了, 发酸: a smell, a broken box, a sour fruit are often
#: something else; nor a scandal word: 黄曲霉, 防腐剂)
_SPOILED = ("发霉", "霉变", "霉点", "霉斑", "霉味", "长霉", "生霉", "霉了", "长毛", "发毛", "绿毛", "白毛", "馊",
            "变质", "酸败", "哈喇", "油耗", "胀袋", "涨袋", "胀气", "胀包", "鼓包", "胀罐", "胖听", "絮状", "过期")
#: "质量差" said of rotten fruit is the freshness complaint again (TAXONOMY: quality is what is not
#: taste or freshness); alone with freshness evidence these words add no quality label
GENERIC_QUALITY = frozenset("质量差 质量太差 质量不好 品质差 质量 品质 次品 上当 黑心 太次".split())


@dataclass
class Lexicon:
    words: dict[str, list[tuple[str, float]]]      # token -> [(category, weight)]
    patterns: list[tuple[str, float, re.Pattern]]  # (category, weight, regex)
    positive: dict[str, str]                       # praise token -> category

    @classmethod
    def load(cls, path: Path | str = LEXICON_FILE) -> Lexicon:
        words: dict[str, list[tuple[str, float]]] = {}
        patterns: list[tuple[str, float, re.Pattern]] = []
        positive: dict[str, str] = {}
        section = None
        for n, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1]
                continue
            if section is None:
                raise ValueError(f"{path}:{n}: entry before any [section]")
            if section.startswith("positive:"):
                cat = section.split(":", 1)[1]
                for w in line.split():
                    positive[w] = cat
                continue
            weight_s, _, rest = line.partition(":")
            weight = float(weight_s)
            if section.endswith(":re"):
                cat = section[:-3]
                patterns.append((cat, weight, re.compile(rest.strip())))
            else:
                cat = section
                for w in rest.split():
                    entries = words.setdefault(w, [])
                    if all(c != cat for c, _ in entries):
                        entries.append((cat, weight))
            if cat not in CATEGORIES:
                raise ValueError(f"{path}:{n}: unknown category {cat!r}")
        return cls(words, patterns, positive)

    @property
    def mentions(self) -> frozenset[str]:
        """Tokens whose every weight is below 1: aspect mentions, not complaint words."""
        m = self.__dict__.get("_mentions")
        if m is None:
            m = frozenset(t for t, es in self.words.items() if max(w for _, w in es) < 1.0)
            self.__dict__["_mentions"] = m
        return m

    @property
    def positive_ends(self) -> tuple[str, ...]:
        """The praise words a negated-praise pattern ("不太甜") ends in."""
        e = self.__dict__.get("_positive_ends")
        if e is None:
            e = self.__dict__["_positive_ends"] = tuple(self.positive)
        return e

    @property
    def trigger_index(self) -> TriggerIndex:
        """Which patterns can match a text, from its characters (regex_trigger)."""
        t = self.__dict__.get("_trigger_index")
        if t is None:
            t = self.__dict__["_trigger_index"] = TriggerIndex([rx for _, _, rx in self.patterns])
        return t

    def vocabulary(self) -> set[str]:
        return set(self.words) | set(self.positive) | FOOD_SAFETY_WORDS | NOT_FOOD_SAFETY | PRAISE


def _negated(tokens: list[str], i: int) -> bool:
    """True when a negator precedes token ``i`` within the clause (bridging degree words)."""
    j = i - 1
    steps = 0
    while j >= 0 and steps < 4:
        t = tokens[j]
        if t in CLAUSE_END or not t.strip():
            return False
        if t in NEGATORS:
            # "不是发霉就是有味": an alternative, not a negation
            return not (t == "不是" and _followed_by(tokens, i, "就是"))
        if t not in BRIDGE:
            return False
        j -= 1
        steps += 1
    return False


# between a complaint word and a denial after it ("坏的都没有", "烂的一个也没有")
_AFTER_SKIP = frozenset("的 都 也 一个 一点 一颗 一只 一处 了 现象 情况".split())
_DENIALS = frozenset("没有 没 无 木有".split())
_CLOSERS = frozenset("了 啊 哦 呢 哈 的 哟".split())


# the same after a pattern's match: "一个坏" + "的都没有"
_DENIED_TAIL = re.compile(r"[的了]?[^,.!?;，。！？；]{0,3}?(都|也)(没有|没|木有)[了啊哦呢哈的]?([,.!?;，。！？；~\s]|$)")


# A complaint or food-safety word in a clause that denies, asks or supposes it reports nothing:
# "并没有拉肚子", "没发现头发", "吃了没有任何不舒服", "有没有人吃了拉肚子", "如果坏了能退吗",
# "听说有人吃出头发", "不用担心过期", "不含防腐剂". Only the clause before the word is read
# ("怎么会有头发？" stays a report), and of it at most CLAUSE_LOOKBACK characters.
_DENIED_BEFORE = re.compile(
    r"(没|没有|并没有|并没|不|未|无|从没|从来没|从未|也没|都没|也没有|都没有)"
    r"(发现|出现|看到|吃出|吃到|喝出|有|任何|什么|感到|感觉|觉得|再|一点|一丝|半点|啥)*$")
_HEDGE = re.compile(r"如果|要是|万一|假如|假设|以防|担心|生怕|就怕|听说|听[^,，。！？]{1,4}说|据说|看到评论|看评论|有人说|别人说|评论里?说|本来以为|还以为会"
                    r"|有没有|会不会|是否|不含|无添加|零添加|不添加")
_CLAUSE_BREAK = re.compile(r".*[,.!?;，。！？；\n]", re.S)
CLAUSE_LOOKBACK = 40


# right after a negated praise word: the buyer wanted it that way
_JUST_RIGHT = re.compile(r"[^。！？!?不没别]{0,4}?[,，、 ]?(也|就|都|还|真的|挺|很|特别|非常)?"
                         r"(刚刚好|刚好|正好|正合适|合适|适合|适中|正合我意|喜欢|爱吃|好吃|好喝|不错|很棒)")


# the first characters of the taste and freshness words an A-not-A question asks about; not
# 给/理/管 ("还给不给退款了？" is a complaint) nor 是 ("但是不是很甜" is no question)
_ASKED = frozenset("好甜新鲜脆香酸辣咸淡苦臭烂坏软硬正")


def asks_either_way(text: str, start: int) -> bool:
    """True when the word at ``start`` is the second half of an A-not-A question about taste or
    freshness: "好不好吃", "甜不甜", "新鲜不新鲜" (not yet tasted) report nothing; the word
    starts at 不/没 or right after it."""
    if start < len(text) and text[start] in "不没":
        nxt = start + 1
        if nxt >= len(text) or text[nxt] not in _ASKED:
            return False
        return (start >= 1 and text[start - 1] == text[nxt]) or (
            start >= 2 and text[start - 2:start] == text[nxt:nxt + 2])
    return (2 <= start < len(text) and text[start] in _ASKED and text[start - 1] in "不没"
            and text[start - 2] == text[start])


def clause_cancels(text: str, start: int, denial: bool = True) -> bool:
    """True when the clause before ``start`` (a complaint or food-safety word or match) asks
    about, supposes or reports second-hand what follows, or (``denial``) denies it."""
    if asks_either_way(text, start):
        return True
    before = text[max(0, start - CLAUSE_LOOKBACK):start]
    m = _CLAUSE_BREAK.match(before)  # greedy: up to the last clause break
    if m:
        before = before[m.end():]
    return bool(before) and ((denial and _DENIED_BEFORE.search(before) is not None)
                             or _HEDGE.search(before) is not None)


# "咬到个硬的", "嚼到一块硬塑料片", "硬东西": something hard bitten on is an object in the food
# (quality, with the food-safety rules), not a texture
_HARD_BITTEN = re.compile(r"(咬|嚼|吃|硌|咯|喝)(到|出)了?(个|一个|一块|一颗|一粒|一根|一片|块|颗|粒|根|片)?$")
_HARD_THING = re.compile(r"的?(东西|物|渣|塑料|石子|石头|颗粒|异物|玩意|毛|片|丝)")


# ... nor is an ice pack or frozen goods still hard on arrival ("冰袋没化还是硬的")
_HARD_FROZEN = re.compile(r"(冰袋|冰块|冰砖|冻)[^,.!?，。！？]{0,8}$")


def _hard_object(text: str, start: int, end: int) -> bool:
    """True when 硬 at ``start`` is no texture of the food: an object bitten on, or ice."""
    return bool(_HARD_BITTEN.search(text, max(0, start - 8), start) or _HARD_THING.match(text, end)
                or _HARD_FROZEN.search(text, max(0, start - 10), start))


# 小 or 少 alone (weights 0.4 and 0.7: a mention) is a size or portion complaint when it ends a
# clause: "个头有点小，", "苹果挺小的。", "饭好少," (training side: 350 of 365 texts with 小 so
# are quality; jieba keeps 大小, 小时, 小哥, 不少, 多少 … whole, so the token is the adjective),
# but not in a concession ("虽然小，但是挺甜"), next to a liking or a bigger one ("喜欢小的",
# "有大的也有小的"), or for a size that suits ("比较小,正好一个人吃").
END_OF_CLAUSE_WEIGHT = 1.0
_END_TAIL = _CLOSERS | frozenset("呀 吧 很多 太多".split())  # after the word, before the clause ends
_SIZE_CONCEDED = re.compile(r"(虽然|虽说|虽|尽管|喜欢|爱吃|就是要|大的)[^,.!?;，。！？；]*$")


def _ends_clause(tokens: list[str], i: int) -> bool:
    """True when token ``i`` ends its clause, maybe after a particle ("小了", "挺小的。")."""
    j = i + 1
    if j < len(tokens) and tokens[j] in _END_TAIL:
        j += 1
    nxt = tokens[j] if j < len(tokens) else ""
    return not nxt or nxt[0] in CLAUSE_END or not nxt.strip()


def _size_said(text: str, tokens: list[str], i: int, start: int, end: int) -> bool:
    """True when the token 小 or 少 at ``i`` complains about size or portion (see above)."""
    return _ends_clause(tokens, i) and not (
        _SIZE_CONCEDED.search(text, max(0, start - CLAUSE_LOOKBACK), start)
        or _JUST_RIGHT.match(text, end))


# what is better few or small, or has no size of the food's: "坏的很少", "油少", "人太少", "优惠少",
# "问题很小", "噪音小", "热量少", and with a negated 大, "区别不大", "问题不是很大"
_NOT_A_SIZE_OF_FOOD = (
    "坏的|烂的|伤的|坏果|烂果|油|盐|糖|刺|汁|水分|人|添加剂?|广告|种类|品种|选择|款式|优惠|活动|折扣|红包"
    "|问题|毛病|缺点|瑕疵|破损|噪音|噪声|声音|发热量?|耗电量?|功耗|误差|影响|体积|差别|区别|差距|压力|风险|辐射"
    "|副作用|刺激性?|异味|气味|味道|油烟|热量|卡路里|脂肪|糖分|含糖量?|变化|关系|作用|必要|意义|兴趣|风|雨|力气")
# any size or portion word said of a stone or the buyer's appetite ("核很小", "我胃口小"; training
# side: 4 of 5 texts with 核/籽 before a size word praise it), or of the things above
SIZE_WORDS = frozenset("小 很小 太小 好小 超小 特别小 超级小 偏小 小了 又小 个小 个头小 少 很少 太少 少了".split())
_NOT_THE_FOODS_SIZE = re.compile(
    r"(核|籽|胃口|味口|饭量|食量)[^,.!?;，。！？；]{0,4}$"
    rf"|({_NOT_A_SIZE_OF_FOOD})(也|都|很|比较|非常|太|有点|有些|稍微|偏|好|真|就)*$")
# a negated 大 ("个头不大" is a complaint) said of the same
_NOT_A_SIZE = re.compile(rf"({_NOT_A_SIZE_OF_FOOD})(也|都|并|还|其实)?(不是|不算|不|没有|没)(很|太|那么|怎么|算|是)?$")


# A pattern match that ends in a negated complaint word is praise: "物流不慢", "态度一点也不差"
_NEGATED_END = re.compile(r"(不|没|并不|也不|都不)(太|很|算|是|怎么|那么)?(慢|差|旧|坏|烂|贵|脏|破|臭|难吃|难喝)$")


def _denied_after(tokens: list[str], i: int) -> bool:
    """True when what follows token ``i`` denies it at the end of the clause ("一个坏的都没有",
    "破损一点也没有"); "坏的没有换" (the bad ones were not replaced) is no denial."""
    j, steps = i + 1, 0
    while j < len(tokens) and steps < 4:
        t = tokens[j]
        if t in _DENIALS:
            nxt = tokens[j + 1] if j + 1 < len(tokens) else ""
            return steps > 0 and (not nxt.strip() or nxt in CLAUSE_END or nxt in _CLOSERS)
        if t not in _AFTER_SKIP:
            return False
        j += 1
        steps += 1
    return False


def _followed_by(tokens: list[str], i: int, word: str, window: int = 6) -> bool:
    """True when ``word`` follows token ``i`` within ``window`` tokens of the same clause."""
    for t in tokens[i + 1: i + 1 + window]:
        if t in CLAUSE_END or not t.strip():
            return False
        if t == word:
            return True
    return False


PRAISE = frozenset("""好吃 好喝 不错 满意 好评 赞 点赞 推荐 喜欢 很好 给力 棒 完美 值得 可口 美味 新鲜 及时 准时
很快 快 实惠 划算 热情 周到 辛苦 谢谢 感谢 支持 甜 脆 香 正宗 物美价廉 五星 一流 靠谱 放心 完好""".split())


#: Praise that, next to a neutral aspect word ("客服态度很好", "品质稳定", "物流很快", "个头均匀"),
#: means the aspect is praised, not complained about: such an aspect word (weight < 1, i.e. a
#: mention rather than a complaint word) then adds no complaint evidence.
ASPECT_PRAISE = PRAISE | frozenset("""好 很棒 挺好 特别好 非常好 超好 稳定 耐心 大 均匀 有保证 保证 精美 到位 贴心
超快 迅速 快速 神速 合适 便宜 热 热乎 漂亮 优秀 专业 细心 结实 严实 好好 优质 一如既往 不错的 还行 可以
nice 足 满分 没得说 没话说 杠杠的 实惠 公道 合理 亲民 美丽 用心 仔细 好看 精致 牢固 大气
醇厚 浓郁 香浓 细腻 顺滑 爽滑 丝滑 劲道 筋道 软糯 香甜 醇香 浓醇 q弹 爽口 鲜美 鲜嫩 香脆 酥脆 绵密 纯正""".split())
# (the last line, session 14: taste and texture praise, "口感醇厚", "口感细腻", "味道鲜美")
ASPECT_WINDOW = 3


def _aspect_praised(tokens: list[str], i: int) -> bool:
    """True when a non-negated praise word follows token ``i`` within ``ASPECT_WINDOW`` tokens
    of the same clause, or directly precedes it ("很好的客服")."""
    for j in range(i + 1, min(len(tokens), i + 1 + ASPECT_WINDOW)):
        t = tokens[j]
        if t in CLAUSE_END or not t.strip():
            break
        if t in ASPECT_PRAISE:
            return not _negated(tokens, j)
    if i >= 2 and tokens[i - 1] == "的" and tokens[i - 2] in ASPECT_PRAISE:
        return not _negated(tokens, i - 2)
    return False


@dataclass
class LexiconAnalysis:
    text: str
    raw: dict[str, float]
    evidence: dict[str, list[str]]
    food_safety: bool
    food_safety_evidence: list[str]
    praise: float = 0.0
    negations: int = 0
    tokens: list[str] = field(default_factory=list)  # the jieba cut, for callers that need words
    #: food-safety spans that report spoilage, mould or expiry (each is also freshness evidence)
    spoilage: list[str] = field(default_factory=list)


class LexiconClassifier(Classifier):
    name = "lexicon"

    def __init__(self, lexicon: Lexicon | None = None, segmenter: Segmenter | None = None):
        self.lexicon = lexicon or Lexicon.load()
        if segmenter is None:
            segmenter = Segmenter(USER_DICT)
        for w in sorted(self.lexicon.vocabulary()):
            if len(w) > 1 and w.isascii() is False:
                segmenter.add_word(w, 3000)
        segmenter.prepare()
        self.segmenter = segmenter
        self.version = LEXICON_VERSION
        # every token the analysis loop acts on (praise, weighted words, negatable praise,
        # food-safety words); the others are skipped at the cost of one set lookup
        self._relevant = frozenset(PRAISE | set(self.lexicon.words) | set(self.lexicon.positive)
                                   | (FOOD_SAFETY_WORDS - NOT_FOOD_SAFETY))
        #: the one-character words the lexicon acts on (虫, 酸, 臭, 贵 ...): content, not filler
        self.single_char_words = frozenset(w for w in self.lexicon.vocabulary() if len(w) == 1)

    # -- analysis -------------------------------------------------------------------------
    def analyze(self, text: str, normalized: bool = False) -> LexiconAnalysis:
        if not normalized:
            text = normalize(text)
        lex = self.lexicon
        tokens = self.segmenter.cut(text) if text else []
        seen: dict[str, dict[str, float]] = {c: {} for c in CATEGORIES}
        fs_ev: list[str] = []
        spoiled_spans: list[str] = []  # fs_ev spans of SPOILAGE_RES patterns
        praise = 0.0
        mentions = lex.mentions
        has_praise = not ASPECT_PRAISE.isdisjoint(tokens)
        relevant = self._relevant
        # most tokens are in no list: find the others in one pass, and where each starts in text
        hits = [i for i, tok in enumerate(tokens) if tok in relevant]
        starts = list(accumulate(map(len, tokens), initial=0)) if hits else []
        for i in hits:
            tok, start, end = tokens[i], starts[i], starts[i + 1]
            negated = _negated(tokens, i)
            if tok in PRAISE and not negated:
                praise += 1.0
            entries = lex.words.get(tok)
            fs_word = tok in FOOD_SAFETY_WORDS and tok not in NOT_FOOD_SAFETY and not _not_a_risk(text, tok, start)
            # a complaint or food-safety word counts when nothing denies, asks or supposes it
            reported = (entries is not None or fs_word) and not negated and not _denied_after(
                tokens, i) and not clause_cancels(text, start)
            if entries is not None:
                if tok == "硬" and _hard_object(text, start, end):
                    entries = [(c, w) for c, w in entries if c != "taste"]
                elif tok in SIZE_WORDS and _NOT_THE_FOODS_SIZE.search(text, max(0, start - 10), start):
                    entries = [(c, w) for c, w in entries if c != "quality"]
                elif tok in ("小", "少") and _size_said(text, tokens, i, start, end):
                    entries = [(c, END_OF_CLAUSE_WEIGHT if c == "quality" else w) for c, w in entries]
                if reported and not (has_praise and tok in mentions and _aspect_praised(tokens, i)):
                    for cat, w in entries:
                        if w > seen[cat].get(tok, 0.0):
                            seen[cat][tok] = w
            else:
                cat = lex.positive.get(tok)
                # a negated praise word is the complaint itself ("不多"): only a hedge cancels it,
                # or the buyer saying it suits them ("不太甜，刚刚好", "不甜，很适合减脂")
                if (cat is not None and negated and not clause_cancels(text, start, denial=False)
                        and not _JUST_RIGHT.match(text, end)
                        and not (cat == "quality" and tok in ("大", "很大", "太大")
                                 and _NOT_A_SIZE.search(text, max(0, start - 12), start))):
                    j = i - 1
                    while j > 0 and tokens[j] not in NEGATORS:
                        j -= 1
                    span = "".join(tokens[j: i + 1])
                    seen[cat][span] = max(seen[cat].get(span, 0.0), 1.0)
            if fs_word and reported:
                fs_ev.append(tok)
        patterns = lex.patterns
        positive_ends = lex.positive_ends
        for p in lex.trigger_index.candidates(text):
            cat, w, rx = patterns[p]
            for m in rx.finditer(text):
                span = m.group(0)
                if (w > seen[cat].get(span, 0.0) and not _DENIED_TAIL.match(text, m.end())
                        and not _NEGATED_END.search(span) and not asks_either_way(text, m.start())
                        and not (span[0] in "不没" and span.endswith(positive_ends)
                                 and _JUST_RIGHT.match(text, m.end()))):
                    seen[cat][span] = w
        for p in _FS_INDEX.candidates(text):
            for m in FOOD_SAFETY_RES[p].finditer(text):  # the first match that reports a risk
                span = m.group(0)
                if (not clause_cancels(text, m.start()) and not _NOT_ILL_SPAN.search(span)
                        and not _pattern_not_a_risk(text, m)):
                    fs_ev.append(span)
                    if p in _SPOILAGE_INDEXES:
                        spoiled_spans.append(span)
                    break
        _drop_restated(seen)
        spoilage: list[str] = []
        # a bare illness / foreign object report is a quality complaint (TAXONOMY)
        for w in fs_ev:
            # ... and mould or spoilage is a freshness complaint (TAXONOMY; training rows: 17 of 19
            # of the annotator's texts with such a word are freshness, 198 of 212 of the team's)
            if ((w in spoiled_spans or any(sp in w for sp in _SPOILED)) and not any(o in w for o in _OBJECTS)
                    and w not in HEARSAY_FS):
                spoilage.append(w)
                if w not in seen["freshness"]:
                    seen["freshness"][w] = 1.0
            if (w in _FS_QUALITY or any(o in w for o in _OBJECTS)) and w not in seen["quality"]:
                seen["quality"][w] = 1.0
        raw = {c: sum(seen[c].values()) for c in CATEGORIES}
        evidence = {c: _dedupe_spans(seen[c]) for c in CATEGORIES if seen[c]}
        if evidence:
            evidence = _whole_words(text, tokens, evidence)
        return LexiconAnalysis(text, raw, evidence, bool(fs_ev), list(dict.fromkeys(fs_ev)), praise,
                               tokens=tokens, spoilage=list(dict.fromkeys(spoilage)))

    @staticmethod
    def scores_from_raw(raw: dict[str, float]) -> dict[str, float]:
        return {c: round(1.0 - math.exp(-K * raw.get(c, 0.0)), 4) for c in CATEGORIES}

    # -- classification ---------------------------------------------------------------------
    def _classify_items(self, items: list) -> list[ClassificationResult]:
        out = []
        for item in batch_items(items):
            try:
                out.append(self._classify_one(item))
            except Exception as exc:  # noqa: BLE001 - one bad item must not sink the batch
                item_id = item.get("id") if isinstance(item, dict) else None
                out.append(error_result(item_id, f"classification failed: {exc!r}", self.version))
        return out

    def _classify_one(self, item) -> ClassificationResult:
        item_id, text, rating, problem = parse_item(item)
        if problem:
            return error_result(item_id, problem, self.version)
        norm = normalize(text)
        if not has_content(norm):
            return error_result(item_id, "no text to classify (empty after normalization)",
                                self.version)
        a = self.analyze(norm, normalized=True)
        scores = self.scores_from_raw(a.raw)
        thr = LOW_RATING_THRESHOLD if rating is not None and rating <= 2 else THRESHOLD
        cats = [c for c in CATEGORIES if scores[c] >= thr]
        fs = a.food_safety
        if fs and not cats:  # a bare food-safety report: spoilage is freshness, the rest quality
            spoiled = any(w in e for e in a.food_safety_evidence for w in _SPOILAGE)
            cats = ["freshness" if spoiled else "quality"]
        complaint = bool(cats)
        scores["complaint"] = max((scores[c] for c in CATEGORIES), default=0.0)
        scores["food_safety"] = 0.95 if fs else 0.0
        evidence = {c: a.evidence[c] for c in cats if c in a.evidence}
        if fs:
            evidence["food_safety"] = a.food_safety_evidence
        sources = {c: "lexicon" for c in cats}
        if fs:
            sources["food_safety"] = "rule"
        thresholds = {c: thr for c in CATEGORIES} | {"complaint": thr}
        conf = margin_confidence(scores, thresholds)
        low = conf < 0.6 or not has_cjk(norm)
        return ClassificationResult(
            id=item_id, complaint=complaint, categories=cats if complaint else [],
            food_safety=fs and complaint, scores=scores, evidence=evidence, sources=sources,
            confidence=conf, low_confidence=low, model=self.version)


# food-safety words that are something else here: near expiry ("只剩一个月就过期了"), an aching
# body ("腮帮子都酸了"), caked coffee or sugar, set fat
_NEAR_EXPIRY = re.compile(r"(只剩|还剩|就剩|剩下|还有|离|距离?)[^,.!?，。！？]{0,8}$|(等不到|不到|没到|不怕)[^,.!?，。！？]{0,2}$")
_ACHING = re.compile(r"(腮帮子?|腿|胳膊|手|脖子|腰|眼睛|牙|肩膀?|脚)[^,.!?，。！？]{0,3}$")
# caked dry goods are damp, not spoiled (milk powder stays a risk); set fat or chocolate is
# just cold ("油也凝固了")
_CAKED_DRY = re.compile(r"(咖啡粉?|白糖|红糖|冰糖|糖|盐|茶叶?|代餐粉?|蛋白粉|藕粉|葛根粉|面粉|淀粉|调料|味精|鸡精)"
                        r"[^,.!?，。！？]{0,4}$")
_NOT_ILL = re.compile(r"(吃撑了?|吃多了|吃太多|撑得|辣得我?|辣到|冰得)[^,.!?，。！？]{0,3}$")
_NOT_ILL_SPAN = re.compile(r"吃撑|吃多了|吃太多|撑得|辣得|辣到|冰得|会不会|有没有|是否|能不能|以为|当成")
_OUTSIDE = re.compile(r"(袋子?|外卖袋|包装袋?|盒子?|箱子?)(的)?(外面|外头|外边|外侧|表面|上面?)[^,.!?，。！？]{0,6}$"
                      r"|(快递盒|快递箱|快递袋|纸箱|外箱)子?(里面?|外面|上面?)?[^,.!?，。！？]{0,6}$"
                      # said of other buyers' reviews (mistaken for one, "还以为是虫子": _SUPPOSED_BEFORE)
                      r"|(看|听)[^,.!?，。！？]{0,3}(差评|评论|别人)说[^,.!?，。！？]{0,3}$")
_SET_FAT = re.compile(r"(油|巧克力|黄油|猪油|牛油|椰子油|蜂蜜|可可脂)[^,.!?，。！？]{0,6}$")


# after the word: the buyer's own doing ("肚子疼是我自己吃太多"), a cured complaint ("拉肚子的老毛病
#好多了"), a warning printed on the pack ("变质勿食"), a denial ("拉肚子？不存在的")
_NOT_ILL_AFTER = re.compile(r"[^,.!?，。！？]{0,3}(是我自己|自己吃|吃太多|的老毛病|老毛病)")
_INSTRUCTION_AFTER = re.compile(r"[^,.!?，。！？]{0,2}(勿食|请勿|勿用)|[?？]\s*(不存在的|不存在|没有的事)")
# after a pattern: the smell or gas is normal ("有酒味是正常的", "鼓鼓的是充了氮气")
_NORMAL_AFTER = re.compile(r"[^,.!?，。！？]{0,3}(是正常的|很正常|正常现象|是?充了?氮气|是充气)")
# before a smell pattern: a food that smells by nature ("臭豆腐闻着臭", "奶酪闻着像臭袜子")
_SMELLY_FOOD = re.compile(r"臭豆腐|螺蛳粉|榴莲|臭鳜鱼|纳豆|奶酪|芝士|蓝纹|鲱鱼")
# before a word or pattern: mistaken for it ("闻着以为放酸了", "还以为里面有虫子")
_SUPPOSED_BEFORE = re.compile(r"(以为|当成|当是)[^,.!?，。！？]{0,6}$")


def _pattern_not_a_risk(text: str, m: re.Match) -> bool:
    """A food-safety pattern match that is a normal trait of the food (see above)."""
    return bool(_NORMAL_AFTER.match(text, m.end()) or _NOT_ILL_AFTER.match(text, m.end())
                or _INSTRUCTION_AFTER.match(text, m.end())
                or _SUPPOSED_BEFORE.search(text, max(0, m.start() - 10), m.start())
                or (("臭" in m.group(0) or "味" in m.group(0))
                    and _SMELLY_FOOD.search(text, max(0, m.start() - 10), m.end())))


def _not_a_risk(text: str, tok: str, start: int) -> bool:
    before = text[max(0, start - 12):start]
    end = start + len(tok)
    if _INSTRUCTION_AFTER.match(text, end) or _SUPPOSED_BEFORE.search(before):
        return True
    if tok in _FS_QUALITY and _NOT_ILL_AFTER.match(text, end):
        return True
    if tok.startswith("过期"):
        return bool(_NEAR_EXPIRY.search(before))
    if "酸" in tok:
        return bool(_ACHING.search(before))
    if tok in ("肚子疼", "肚子痛", "胃疼", "胃痛"):
        return bool(_NOT_ILL.search(before))
    if tok in ("头发", "头发丝", "毛发", "虫", "虫子", "蟑螂", "苍蝇", "小虫子"):
        return bool(_OUTSIDE.search(before))
    if tok == "结块":
        return bool(_CAKED_DRY.search(before))
    if tok == "凝固":
        return bool(_SET_FAT.search(before))
    return False


_RUDE = ("态度", "脾气", "挂电话", "恶略")
_MISSING = ("没给", "没有", "漏", "没送", "少")


def _drop_restated(seen: dict[str, dict[str, float]]) -> None:
    """Evidence that restates another category's complaint is not a category of its own."""
    q = seen["quality"]
    # a missing gift is a price complaint (TAXONOMY); the missing-item words restate it
    if any("赠" in sp for sp in seen["price"]):
        for sp in [sp for sp in q if any(w in sp for w in _MISSING)]:
            del q[sp]
    if q and sum(seen["freshness"].values()) >= 1.0 and all(w in GENERIC_QUALITY for w in q):
        q.clear()
    # the courier's rude attitude (a logistics pattern) is not the shop's service
    if any("态度" in sp or "脾气" in sp for sp in seen["logistics"]):
        for sp in [sp for sp in seen["service"] if any(w in sp for w in _RUDE)]:
            del seen["service"][sp]


_SNAP_MAX = 3  # characters a span may run on to reach its word's end


def _whole_words(text: str, tokens: list[str], evidence: dict[str, list[str]]) -> dict[str, list[str]]:
    """Evidence spans that end inside a word (a pattern's match: "和图片有点差" of 差距, "不送上" of
    上楼) run on to the word's end, at most ``_SNAP_MAX`` characters, so a span reads as words."""
    ends = set(accumulate(map(len, tokens), initial=0))
    out = {}
    for cat, spans in evidence.items():
        fixed = []
        for span in spans:
            at = text.find(span)
            end = at + len(span)
            if at >= 0 and end not in ends:
                nxt = next((e for e in range(end + 1, min(len(text), end + _SNAP_MAX) + 1) if e in ends), None)
                if nxt is not None:
                    span = text[at:nxt]
            if span not in fixed:
                fixed.append(span)
        out[cat] = fixed
    return out



def _dedupe_spans(spans: dict[str, float]) -> list[str]:
    """Strongest first; drop a span contained in a longer kept one."""
    ordered = sorted(spans, key=lambda s: (-spans[s], -len(s)))
    kept: list[str] = []
    for s in ordered:
        if not any(s in k for k in kept):
            kept.append(s)
    return kept
