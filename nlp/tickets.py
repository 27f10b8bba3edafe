"""After-sales tickets: the platform's refund reason next to the buyer's own words.

A ticket's reason (退款原因) is a choice from the platform's menu, not the buyer's words:
"商品变质/发霉/有异物" names three problems where the buyer had one, "七天无理由退货" names none, and
buyers often pick the first reason that comes close. So the reason is not classified as text:

* the buyer's description, when there is one, decides;
* a *specific* reason (发错货, 少件/漏发, 赠品漏发, 快递无跟踪记录 …) adds its category when the
  description complains without naming it ("发错货。发成微辣的了，客服也不回" is quality + service);
* a reason alone, or with a description that reports nothing, stands for its meaning: a problem
  reason gives its categories (食品安全问题 is food safety), a no-problem reason
  (七天无理由, 拍错/多拍, 协商一致退款, 其他) gives none;
* a description that takes the reason back ("点错原因了，东西没问题") leaves no complaint.

A reason not in the table is read as text, in front of the description, as before.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .base import CATEGORIES, ClassificationResult
from .text import has_content, normalize


@dataclass(frozen=True)
class Reason:
    """What a menu reason means: its categories (empty: no problem), whether it reports a
    food-safety risk, and whether it is specific enough to add its categories to a description
    that complains without naming them."""
    categories: tuple[str, ...]
    food_safety: bool = False
    specific: bool = False


NO_PROBLEM = Reason(())

# the whole reason is one of these: the buyer reports no problem with the goods
_NO_PROBLEM_RE = re.compile(
    r"(七天无理由(退换?货|退款)?|(我)?不想要了?|(拍错|多拍|拍多了?|错拍|买错|买多了?|不喜欢|不想要了?|效果不好/不喜欢)"
    r"([/、,，]?(拍错|多拍|拍多了?|错拍|买错|买多了?|不喜欢|不想要了?))*|协商一致(退款|退货)?|"
    r"其他|其它|其他原因|地址(填|写)?(错|错误)了?|(收货)?(信息|地址)填写错误|重复(下单|购买)|"
    r"未收到货/?不想要了?|拍下后不想要了?|个人原因)")

# a reason naming a problem: (pattern, meaning); the first that matches wins
_PROBLEM = [
    (re.compile(r"食品安全"), Reason(("quality",), food_safety=True)),
    (re.compile(r"(变质|发霉|霉变|腐烂).*异物|异物.*(变质|发霉|霉变|腐烂)"),
     Reason(("freshness", "quality"), food_safety=True)),
    (re.compile(r"变质|发霉|霉变|腐烂"), Reason(("freshness",), food_safety=True)),
    (re.compile(r"异物"), Reason(("quality",), food_safety=True)),
    (re.compile(r"(已|商品|收到)过期|过期(商品|食品)"), Reason(("freshness",), food_safety=True)),
    (re.compile(r"生产日期|保质期|临期|日期"), Reason(("freshness",))),
    (re.compile(r"发错|错发|(颜色|口味|规格|款式|型号)(与|和)?(订单|页面)?不符"),
     Reason(("quality",), specific=True)),
    (re.compile(r"赠品|少送赠品|未送赠品"), Reason(("price",), specific=True)),
    (re.compile(r"降价|价格|差价|保价|优惠"), Reason(("price",), specific=True)),
    (re.compile(r"破损|压坏|摔坏|污渍|损坏"), Reason(("logistics",))),
    (re.compile(r"少件|漏发|少发|缺件|少配件|数量不符|少货|空包"), Reason(("quality",), specific=True)),
    (re.compile(r"假冒|假货|非正品|不是正品|正品"), Reason(("quality",), specific=True)),
    (re.compile(r"快递|物流|未送到|送达|派送|签收|跟踪|揽收|配送"), Reason(("logistics",), specific=True)),
    (re.compile(r"(未|没有?|延迟|超时|晚)(按约定时间)?发货|发货(慢|超时|延迟)|不发货"),
     Reason(("logistics",), specific=True)),
    (re.compile(r"描述不符|图片不符|与描述|页面不符|货不对板|实物不符"), Reason(("quality",))),
    (re.compile(r"质量|做工|品质|效果"), Reason(("quality",))),
    (re.compile(r"口味|口感|味道|不好吃|难吃"), Reason(("taste",), specific=True)),
    (re.compile(r"服务|态度|客服|售后"), Reason(("service",), specific=True)),
    (re.compile(r"发票"), Reason(("other",), specific=True)),
    (re.compile(r"包装"), Reason(("quality",))),
]

# a description that takes the reason back ("点错原因了", "其实东西没问题", "没有破损")
_RETRACTED_RE = re.compile(
    r"(点|选|填|拍)错(了)?(退款)?(原因|理由)?|(原因|理由)(选|点|填)错|(东西|商品|货|质量)?(其实|都)?(没|没有)(什么)?问题|"
    r"(东西|商品|货)(都)?是好的|(东西|商品|货|发的)(都)?是(齐|对)的|没(有)?毛病|看错了|找到了|刚才没看到|"
    r"不是(质量|商品)(的)?问题|没(有)?(破损|坏|少|漏)|已经?(收到|拿到)了|不用(处理|管)了")

# a text starts with a menu reason only when its first sentence is one of these, word for word (a
# review's "客服：回复很快" or "口感：好" is not a reason); an explicit ``reason`` is read more freely
_MENU_RE = re.compile(
    r"质量问题|少件/?漏发|发错货|假冒品牌|快递/?物流一直未送到|快递无跟踪记录|未按约定时间发货|赠品漏发|"
    r"价格变化/?降价|商品变质/?发霉/?有异物|食品安全问题|生产日期/?保质期与商品描述不符|商品与页面描述不符|"
    r"收到商品少件|口味不喜欢|商品破损/?少件|包装/?商品破损/?污渍|商品破损|空包裹|商品过期|"
    r"(商品)?(材质|规格|颜色|口味|重量|数量)与(商品|页面)?描述不符|卖家发错货|退运费|效果不好/?不喜欢")
_MAX_HEAD = 32  # characters: the longest menu reason with a "退款原因：" prefix and spaces
_SPLIT_RE = re.compile(r"[。；;\n]")
_PREFIX = r"(?:退款|退货|售后|投诉)?(?:原因|理由)[:：]"  # "退款原因：" before a reason
_REASON_PREFIX_RE = re.compile(r"^\s*" + _PREFIX + r"\s*")
_SLASHES = str.maketrans({"／": "/", "（": "(", "）": ")", " ": "", "\u3000": ""})
# a whole first sentence that is a menu reason: "退款原因：少件/漏发", "收到商品少件(含少配件)"
_LEADING_REASON_RE = re.compile(
    r"(?:" + _PREFIX + r")?(?:" + _NO_PROBLEM_RE.pattern + "|" + _MENU_RE.pattern
    + r")(?:\([^)]*\))?")
_DESCRIPTION_PREFIX_RE = re.compile(r"^\s*(退款|退货|问题)?(说明|描述)[:：]\s*")


def reason_meaning(reason: str | None) -> Reason | None:
    """What a platform reason means, or ``None`` when it is not a menu reason this table knows
    (it is then read as text)."""
    if not reason:
        return None
    r = _REASON_PREFIX_RE.sub("", reason).translate(_SLASHES).strip("。.!！ ")
    r = re.sub(r"\([^)]*\)", "", r)  # "收到商品少件(含少配件)"
    if not r or len(r) > 20 or re.search(r"[，,。！？!?~～]", r):  # a sentence, not a menu entry
        return None
    if _NO_PROBLEM_RE.fullmatch(r):
        return NO_PROBLEM
    for pattern, meaning in _PROBLEM:
        if pattern.search(r):
            return meaning
    return None


def split_reason(text: str) -> tuple[str, str] | None:
    """``(reason, description)`` when ``text`` starts with a known menu reason followed by a
    separator ("发错货。发成微辣的了"), as the app and some exports join them; else ``None``."""
    m = _SPLIT_RE.search(text, 0, _MAX_HEAD + 1)  # a menu reason is short: read no further
    head, rest = (text[:m.start()], text[m.end():]) if m else (text, "")
    if len(head) > _MAX_HEAD:
        return None
    if not _LEADING_REASON_RE.fullmatch(head.translate(_SLASHES)):
        return None
    return head.strip(), _DESCRIPTION_PREFIX_RE.sub("", rest.strip())


def retracted(description: str) -> bool:
    return bool(_RETRACTED_RE.search(description))


def _without_retraction(description: str) -> str:
    return _RETRACTED_RE.sub("，", description)


def from_reason(item_id, reason: str, meaning: Reason, model: str,
                retract: bool = False) -> ClassificationResult:
    """The result for a ticket whose description says nothing (or takes the reason back)."""
    cats = [] if retract else [c for c in CATEGORIES if c in meaning.categories]
    fs = bool(cats) and meaning.food_safety
    scores = {c: (0.75 if c in cats else 0.0) for c in CATEGORIES}
    scores["complaint"] = 0.75 if cats else 0.1
    scores["food_safety"] = 0.9 if fs else 0.0
    evidence = {c: [reason] for c in cats}
    if fs:
        evidence["food_safety"] = [reason]
    sources = {c: "reason" for c in cats} | ({"food_safety": "reason"} if fs else {})
    # the reason is the buyer's own pick from a menu: good enough to route, not to trust blindly
    return ClassificationResult(
        id=item_id, complaint=bool(cats), categories=cats, food_safety=fs, scores=scores,
        evidence=evidence, sources=sources, confidence=0.75, low_confidence=False, model=model)


def merge(result: ClassificationResult, reason: str, meaning: Reason, description: str,
          without_retraction: ClassificationResult | None = None) -> ClassificationResult:
    """The description's result completed by what the reason says (see the module doc).
    ``without_retraction``: the description's result without the words that take the reason back
    (when it has them); it must complain too for the description to count."""
    if result.error:
        return result
    if retracted(description):
        kept = result.complaint and without_retraction is not None and without_retraction.complaint \
            and not without_retraction.error
        return result if kept else from_reason(result.id, reason, meaning, result.model, retract=True)
    if not result.complaint:
        if not meaning.categories:
            return result
        res = from_reason(result.id, reason, meaning, result.model)
        res.low_confidence = result.low_confidence  # the buyer's words were not understood
        return res
    if meaning.specific:
        for c in meaning.categories:
            if c not in result.categories:
                result.categories.append(c)
                result.sources[c] = "reason"
                result.evidence[c] = [reason]
                result.scores[c] = max(result.scores.get(c, 0.0), 0.75)
        result.categories.sort(key=CATEGORIES.index)
    return result


@dataclass(frozen=True)
class _Plan:
    reason: str
    description: str
    meaning: Reason


def _plan(item) -> tuple[object, _Plan | None]:
    """The item to classify (the description alone for a ticket with a known reason) and the
    ticket's plan, or the item unchanged and ``None``."""
    if isinstance(item, str):  # classify_batch takes a bare text as an item too
        item = {"id": None, "text": item}
    if not isinstance(item, dict):
        return item, None
    text, reason = item.get("text"), item.get("reason")
    if isinstance(reason, str) and reason.strip():
        if text is None:
            text = ""
        if not isinstance(text, str):
            return item, None  # parse_item reports the bad text
        meaning = reason_meaning(reason)
        if meaning is None:  # not a menu reason: read it as the first sentence of the text
            return {**item, "text": f"{reason.strip()}。{text}" if text.strip() else reason}, None
        return {**item, "text": text}, _Plan(reason.strip(), text.strip(), meaning)
    if isinstance(text, str):
        parts = split_reason(text)
        if parts:
            return {**item, "text": parts[1]}, _Plan(parts[0], parts[1], reason_meaning(parts[0]))
    return item, None


def with_reasons(items: list, classify_items, model: str) -> list[ClassificationResult]:
    """Classifies ``items`` with ``classify_items`` (a backend's batch function), reading a
    ticket's ``reason`` (or a known reason leading its text) as described in the module doc.

    A description that takes the reason back is also read without those words: it complains only
    when it does both ways ("点错了，本来想选七天无理由" complains of nothing; in "质量没问题，就是物流太慢"
    the delay stays)."""
    planned = [_plan(item) for item in items]
    todo: list[tuple[int, dict, bool]] = []  # (item index, what to classify, is the retraction-free copy)
    for i, (item, plan) in enumerate(planned):
        if plan is None:
            todo.append((i, item, False))
        elif has_content(normalize(plan.description)):
            todo.append((i, item, False))
            if retracted(plan.description):
                todo.append((i, {**item, "text": _without_retraction(plan.description)}, True))
    got = classify_items([t[1] for t in todo]) if todo else []
    first: dict[int, ClassificationResult] = {}
    stripped: dict[int, ClassificationResult] = {}
    for (i, _, is_copy), res in zip(todo, got):
        (stripped if is_copy else first)[i] = res
    results: list[ClassificationResult] = []
    for i, (item, plan) in enumerate(planned):
        res = first.get(i)
        if plan is None:
            results.append(res)
        elif res is None:  # a reason with no description
            results.append(from_reason(item.get("id"), plan.reason, plan.meaning, model))
        else:
            results.append(merge(res, plan.reason, plan.meaning, plan.description, stripped.get(i)))
    return results
