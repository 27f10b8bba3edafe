"""Platform and honesty rules every reply passes: the drafter's output and every manager edit.

`validate()` returns a list of `Issue`s; an "error" blocks approval, a "warning" is shown to the
manager (e.g. a complaint category the reply no longer mentions).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field

from .defaults import CATEGORY_MENTIONS, DEFAULT_BLOCKED_WORDS, PLATFORM_DEFAULTS

CATEGORY_LABELS = {
    "taste": "口味口感", "freshness": "新鲜度/日期", "logistics": "物流配送", "quality": "品质/包装/规格",
    "service": "服务", "price": "价格", "other": "其他",
}


@dataclass
class RuleSettings:
    """The rules of one platform (a plain copy of a ReplySettings row, or the defaults)."""

    platform: str = "taobao"
    max_chars: int = 500
    allow_links: bool = False
    allow_phone: bool = False
    allow_compensation: bool = False
    blocked_words: list[str] = field(default_factory=lambda: list(DEFAULT_BLOCKED_WORDS))
    reply_window_days: int = 30
    window_from_followup: bool = True

    @classmethod
    def default_for(cls, platform: str) -> RuleSettings:
        max_chars, window = PLATFORM_DEFAULTS.get(platform, PLATFORM_DEFAULTS["other"])
        return cls(platform=platform, max_chars=max_chars, reply_window_days=window)

    @classmethod
    def from_row(cls, row) -> RuleSettings:
        return cls(platform=row.platform, max_chars=row.max_chars, allow_links=row.allow_links,
                   allow_phone=row.allow_phone, allow_compensation=row.allow_compensation,
                   blocked_words=list(row.blocked_words or []), reply_window_days=row.reply_window_days,
                   window_from_followup=row.window_from_followup)


@dataclass
class Issue:
    code: str
    message: str
    severity: str = "error"  # error | warning

    def to_dict(self) -> dict:
        return asdict(self)


def reply_length(text: str) -> int:
    """Characters as the platforms count them: every character (汉字, letter, digit, mark) is one."""
    return len(text.strip())


_LINK_RE = re.compile(
    r"(https?://|www\.|[a-z0-9][a-z0-9-]*\.(?:com|cn|net|org|top|xyz|shop|cc|io|me|vip|ink|link)\b|"
    r"[￥¥$€][a-z0-9]{8,}[￥¥$€])",
    re.IGNORECASE,
)
_PHONE_RES = (
    re.compile(r"(?<!\d)1[3-9]\d(?:[\s-]?\d){8}(?!\d)"),  # mobile
    re.compile(r"(?<!\d)0\d{2,3}[\s-]?\d{7,8}(?!\d)"),  # landline with area code
    re.compile(r"(?<!\d)[48]00[\s-]?\d{3}[\s-]?\d{4}(?!\d)"),  # 400 / 800 numbers
    re.compile(r"(微信|vx|v信|qq|扣扣|电话|手机号?)\s*(号|号码)?\s*[:：是]?\s*[a-z0-9][a-z0-9_-]{4,}", re.IGNORECASE),
)
#: Refund, gift or compensation wording: allowed only when the platform settings say so.
COMPENSATION_WORDS = ("退款", "退钱", "退货", "换货", "补发", "重发", "赔偿", "补偿", "赔付", "包赔", "返现",
                      "红包", "优惠券", "代金券", "赠品", "礼品", "小礼物", "免单", "免费送", "送您")
#: Blaming the customer or brushing the complaint off.
BLAME_WORDS = ("您自己", "自己的原因", "个人原因", "个人口味", "口味因人而异", "买家原因", "恶意差评", "职业差评",
               "您误会", "不是我们的问题", "不是我们的责任", "与我们无关", "与本店无关", "正常现象", "属于正常",
               "很正常", "不可能", "绝对不会", "请看清", "请仔细阅读", "概不负责", "自行承担",
               "保存不当", "储存不当", "存放不当", "保存方法不对", "从来没有人说过", "只有您", "就您一个",
               "别的顾客都", "其他顾客都", "再仔细看看", "不是我们能控制", "我们无法控制", "我们控制不了",
               "物流公司的问题", "快递公司的问题", "快递的问题", "快递的责任", "物流的问题", "物流的责任")
#: Marketing and review manipulation (asking for a better rating is against every platform's rules).
MARKETING_WORDS = ("关注店铺", "收藏店铺", "加购", "上新", "新品上市", "下单立减", "抢购", "店铺活动", "直播间",
                   "好评返现", "五星好评", "给个好评", "追加好评", "改好评", "修改评价", "删除评价", "删评")
#: Said about a food-safety complaint these play the risk down.
DISMISSIVE_SAFETY_WORDS = ("放心食用", "可以放心", "不影响食用", "没有问题", "不会有问题", "可以吃", "无害")
SAFETY_CARE_WORDS = ("重视", "就医", "身体", "追查", "排查", "核查")
_PLACEHOLDER_RE = re.compile(r"\{[a-z_]*\}|\[[^\]]*\{[^\]]*\]")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _found(text: str, words) -> list[str]:
    return [w for w in words if w and _fold(w) in text]


def content_issues(text: str, rules: RuleSettings) -> list[Issue]:
    """Every rule except the length limit and the completeness warnings."""
    issues: list[Issue] = []
    folded = _fold(text)
    if _PLACEHOLDER_RE.search(text):
        issues.append(Issue("placeholder", "回复里还有未填写的模板占位符 (unfilled template placeholder)"))
    if not rules.allow_links and _LINK_RE.search(folded):
        issues.append(Issue("link", "回复里不能有链接或网址（平台设置不允许）(links are not allowed)"))
    if not rules.allow_phone and any(r.search(folded) for r in _PHONE_RES):
        issues.append(Issue("phone", "回复里不能有电话号码或微信/QQ 等联系方式（平台设置不允许）(no phone numbers or contact ids)"))
    if not rules.allow_compensation:
        words = _found(folded, COMPENSATION_WORDS)
        if words:
            issues.append(Issue("compensation",
                                f"回复里有退款/赠品/补偿类措辞：{'、'.join(words)}；当前平台设置不允许在公开回复里承诺 "
                                "(no refund, gift or compensation wording)"))
    words = _found(folded, BLAME_WORDS)
    if words:
        issues.append(Issue("blame", f"回复不能把责任推给顾客或轻描淡写：{'、'.join(words)} (do not blame the customer)"))
    words = _found(folded, MARKETING_WORDS)
    if words:
        issues.append(Issue("marketing", f"回复里不能有营销或索要好评的内容：{'、'.join(words)} (no marketing)"))
    words = _found(folded, rules.blocked_words or ())
    if words:
        issues.append(Issue("blocked", f"回复里有屏蔽词：{'、'.join(words)} (blocked words)"))
    return issues


def validate(text: str, rules: RuleSettings, *, categories=(), food_safety: bool = False) -> list[Issue]:
    """All rules for one reply. `categories`/`food_safety` describe the review being answered."""
    text = text or ""
    if not text.strip():
        return [Issue("empty", "回复内容不能为空 (the reply is empty)")]
    issues = content_issues(text, rules)
    length = reply_length(text)
    if length > rules.max_chars:
        issues.insert(0, Issue("length", f"回复共 {length} 字，超过平台上限 {rules.max_chars} 字 "
                                         f"(too long: {length} > {rules.max_chars} characters)"))
    folded = _fold(text)
    if food_safety:
        words = _found(folded, DISMISSIVE_SAFETY_WORDS)
        if words:
            issues.append(Issue("safety_dismissive",
                                f"食品安全投诉的回复不能轻描淡写：{'、'.join(words)} (food-safety reply must not play the risk down)"))
        if not _found(folded, SAFETY_CARE_WORDS):
            issues.append(Issue("safety_care", "食品安全投诉的回复应表明重视并说明追查（如：重视、身体、就医、追查）"
                                               " (show care and say what is checked)", "warning"))
    for category in categories or ():
        if category in CATEGORY_MENTIONS and not _found(folded, CATEGORY_MENTIONS[category]):
            issues.append(Issue("category_missing",
                                f"回复没有提到顾客反映的「{CATEGORY_LABELS.get(category, category)}」问题 "
                                f"(category {category} not addressed)", "warning"))
    return issues


def errors(issues: list[Issue]) -> list[Issue]:
    return [i for i in issues if i.severity == "error"]
