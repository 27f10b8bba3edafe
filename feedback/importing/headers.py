"""Header recognition: which column is which canonical field, and which platform exported it.

Four Chinese export families have columns of their own (Taobao/Tmall 千牛, JD 京麦, Pinduoduo
拼多多商家后台, Meituan 美团外卖/闪购 商家端); the other platforms' exports (饿了么, 抖店, 快手, 有赞,
京东到家) share their columns with others, so they are recognized by a column or a title line that
names the platform, never by a loose match. The canonical English schema is recognized too. Any
other layout is described by a mapping file (``--mapping``): a JSON object ``{"column": "field"}``
(optionally ``{"platform": "jd", "columns": {...}}``) or ini-style lines ``column = field``.
Columns that map to nothing are kept in the record's ``raw``.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..models.catalog import PLATFORM_LABELS, PLATFORMS
from .errors import ImportFileError

# The canonical English schema (API bodies, canonical files, mapping targets).
ORDER_FIELDS = (
    "order_id", "sku", "product_name", "product_category", "shelf_life_days", "quantity",
    "batch_code", "production_date", "expiry_date", "warehouse", "carrier", "waybill", "region",
    "paid_at", "shipped_at", "signed_at",
)
COMMON_FIELDS = ("platform", "shop", "external_id", "sub_order_id", "buyer_nick", "text") + ORDER_FIELDS
REVIEW_FIELDS = COMMON_FIELDS + (
    "rating", "rating_level", "followup_text", "followup_at", "image_count", "buyer_tier", "reviewed_at",
)
# paid_amount is read to check the refund against it (a refund above what was paid is a shifted
# column or an amount in 分) and kept in the record's raw, not stored as a field
TICKET_FIELDS = COMMON_FIELDS + ("ticket_type", "reason", "amount", "paid_amount", "status", "opened_at",
                                 "closed_at")
FIELDS = {"reviews": REVIEW_FIELDS, "tickets": TICKET_FIELDS}

# English aliases accepted besides the field names themselves.
ENGLISH_ALIASES = {
    "platform_order_id": "order_id", "order_no": "order_id", "review_id": "external_id",
    "ticket_id": "external_id", "id": "external_id", "content": "text", "comment": "text",
    "rating_stars": "rating", "stars": "rating", "score": "rating", "level": "rating_level",
    "followup": "followup_text", "follow_up": "followup_text", "follow_up_text": "followup_text",
    "followup_time": "followup_at", "created_at": "reviewed_at", "review_time": "reviewed_at",
    "images": "image_count", "nick": "buyer_nick", "buyer": "buyer_nick", "tier": "buyer_tier",
    "shop_name": "shop", "product": "product_name", "category": "product_category",
    "type": "ticket_type", "opened": "opened_at", "closed": "closed_at", "batch": "batch_code",
}

# Chinese headers shared by the families (one meaning everywhere).
_CHINESE_COMMON = {
    "平台": "platform", "来源平台": "platform", "渠道": "platform", "销售平台": "platform",
    "店铺": "shop", "店铺名称": "shop", "门店名称": "shop", "门店": "shop", "商家名称": "shop",
    "订单编号": "order_id", "订单号": "order_id", "主订单编号": "order_id", "订单id": "order_id",
    "子订单编号": "sub_order_id", "子订单号": "sub_order_id",
    "评价id": "external_id", "评价编号": "external_id", "评论id": "external_id",
    "商家编码": "sku", "商品编码": "sku", "sku编号": "sku", "sku编码": "sku", "规格编码": "sku",
    "sku": "sku", "商品sku": "sku", "货号": "sku", "商品编号": "sku", "skuid": "sku",
    "宝贝名称": "product_name", "宝贝标题": "product_name", "商品名称": "product_name",
    "商品标题": "product_name", "菜品": "product_name", "菜品名称": "product_name", "商品": "product_name",
    "商品名": "product_name", "菜品名": "product_name",
    "商品类目": "product_category", "类目": "product_category", "品类": "product_category",
    "保质期(天)": "shelf_life_days", "保质期天数": "shelf_life_days",
    "购买数量": "quantity", "数量": "quantity", "商品数量": "quantity",
    "批次号": "batch_code", "生产批次": "batch_code", "批次": "batch_code",
    "生产日期": "production_date",
    "到期日期": "expiry_date", "保质期至": "expiry_date", "有效期至": "expiry_date", "过期日期": "expiry_date",
    "发货仓": "warehouse", "发货仓库": "warehouse", "仓库": "warehouse", "仓库名称": "warehouse",
    "快递公司": "carrier", "物流公司": "carrier", "承运商": "carrier", "配送方式": "carrier",
    "运单号": "waybill", "快递单号": "waybill", "物流单号": "waybill",
    "收货地区": "region", "收货省份": "region", "省份": "region", "收货地址省份": "region",
    "付款时间": "paid_at", "下单时间": "paid_at", "支付时间": "paid_at",
    "发货时间": "shipped_at", "签收时间": "signed_at", "送达时间": "signed_at",
    "买家昵称": "buyer_nick", "买家会员名": "buyer_nick", "买家会员名称": "buyer_nick", "用户昵称": "buyer_nick",
    "用户名": "buyer_nick", "顾客昵称": "buyer_nick", "用户账号": "buyer_nick", "买家": "buyer_nick",
    "买家账号": "buyer_nick", "客户账号": "buyer_nick", "客户昵称": "buyer_nick", "会员名": "buyer_nick",
    "会员名称": "buyer_nick",
}
_CHINESE_REVIEWS = {
    "评价内容": "text", "初评内容": "text", "评论内容": "text", "评价": "text",
    "评价商品": "product_name", "评价菜品": "product_name",  # 饿了么: the dish a review is about
    "评价时间": "reviewed_at", "初评时间": "reviewed_at", "评论时间": "reviewed_at",
    "追评内容": "followup_text", "追加评价": "followup_text", "追评": "followup_text",
    "追加评论": "followup_text",
    "追评时间": "followup_at", "追加评价时间": "followup_at", "追加评论时间": "followup_at",
    "评分": "rating", "评价星级": "rating", "星级": "rating", "总体评分": "rating", "总评分": "rating",
    "订单评分": "rating", "综合评分": "rating", "评价分数": "rating", "评价得分": "rating",
    "初评等级": "rating_level", "评价等级": "rating_level", "评价类型": "rating_level",
    "图片": "image_count", "评价图片": "image_count", "图片数": "image_count", "晒图数": "image_count",
    "图片数量": "image_count", "是否有图": "image_count",
    "买家类型": "buyer_tier", "客户类型": "buyer_tier", "新老客": "buyer_tier", "顾客类型": "buyer_tier",
    "用户类型": "buyer_tier",
}
_CHINESE_TICKETS = {
    "退款编号": "external_id", "售后编号": "external_id", "服务单号": "external_id",
    "售后单号": "external_id", "退款单号": "external_id", "工单编号": "external_id",
    "投诉单号": "external_id", "投诉编号": "external_id", "售后单id": "external_id", "售后id": "external_id",
    "退款类型": "ticket_type", "售后类型": "ticket_type", "服务类型": "ticket_type",
    "工单类型": "ticket_type", "申请类型": "ticket_type", "售后方式": "ticket_type",
    "退款原因": "reason", "售后原因": "reason", "申请原因": "reason", "问题类型": "reason",
    "退货原因": "reason", "退款理由": "reason", "投诉原因": "reason", "换货原因": "reason",
    "退款说明": "text", "问题描述": "text", "申请说明": "text", "售后说明": "text",
    "买家留言": "text", "工单内容": "text", "退货说明": "text", "投诉内容": "text",
    "买家描述": "text", "顾客描述": "text", "补充描述": "text", "用户留言": "text", "顾客留言": "text",
    "售后描述": "text", "退款描述": "text", "投诉描述": "text", "问题说明": "text", "买家退款说明": "text",
    "用户描述": "text", "买家说明": "text",
    "退款金额": "amount", "申请金额": "amount", "退款金额(元)": "amount", "买家退款金额": "amount",
    "实退金额": "amount", "实际退款金额": "amount", "申请退款金额": "amount", "售后金额": "amount",
    "实付金额": "paid_amount", "买家实付金额": "paid_amount", "买家实付": "paid_amount", "实付款": "paid_amount",
    "商品实付金额": "paid_amount", "订单实付金额": "paid_amount", "支付金额": "paid_amount", "付款金额": "paid_amount",
    "实收金额": "paid_amount", "订单金额": "paid_amount", "订单实付": "paid_amount",
    "退款状态": "status", "售后状态": "status", "服务单状态": "status", "处理状态": "status",
    "审核状态": "status", "售后单状态": "status", "投诉状态": "status", "工单状态": "status",
    "申请时间": "opened_at", "退款申请时间": "opened_at", "售后申请时间": "opened_at",
    "退款的申请时间": "opened_at", "投诉时间": "opened_at", "申请售后时间": "opened_at",
    "完结时间": "closed_at", "退款完结时间": "closed_at", "完成时间": "closed_at", "处理完成时间": "closed_at",
    "关闭时间": "closed_at", "售后完结时间": "closed_at", "售后完成时间": "closed_at", "退款完成时间": "closed_at",
}
# Columns that name a field only when no column above names it: a looser word, or a second
# choice (商品ID is the platform's product id, 商家编码 the shop's own SKU when both are there;
# 处理结果 is a status when no 处理状态 is; 商品评分 the rating when no overall rating is).
_SECONDARY_COMMON = {"商品id": "sku", "宝贝id": "sku"}
_SECONDARY_REVIEWS = {"商品评分": "rating", "描述相符": "rating", "商家评分": "rating", "店铺评分": "rating"}
_SECONDARY_TICKETS = {
    "处理结果": "status", "金额": "amount", "创建时间": "opened_at", "投诉类型": "reason", "描述": "text",
    "留言": "text",
}
# Taobao 退款管理 has no type column: 是否需要退货 (是/否) tells a return from a refund.
RETURN_FLAG_COLUMNS = {"是否需要退货", "是否退货", "需要退货"}

# Columns that only one platform's exports carry: they name the platform.
FAMILY_SIGNATURES = {
    "taobao": {"子订单编号", "宝贝名称", "宝贝标题", "宝贝id", "初评等级", "初评内容", "初评时间",
               "买家会员名", "买家会员名称", "退款编号", "支付宝交易号", "是否需要退货", "退款的申请时间"},
    # not 服务单号 alone: Vipshop, Suning and store platforms number after-sales that way too; JD's
    # own after-sales export also has 服务单状态 and 商品编号
    "jd": {"商品编号", "追加评价", "追加评价时间", "服务单状态", "会员级别", "晒图数"},
    "pdd": {"描述相符", "物流服务", "服务态度", "拼单号"},  # not 售后编号: Kuaishou and others use it too
    "meituan": {"顾客昵称", "顾客类型", "顾客留言", "总体评分"},
}
FAMILY_PLATFORM = {"taobao": "taobao", "jd": "jd", "pdd": "pdd", "meituan": "meituan"}
# Store (外卖/到家) columns that Meituan, Ele.me and JD Daojia exports all use: they name no
# platform, but the "pass --platform" message can say which ones the file looks like.
STORE_COLUMNS = {"门店名称", "门店", "门店id", "门店编号", "菜品", "菜品名称", "评价菜品", "口味", "包装", "配送",
                 "口味评分", "包装评分", "配送评分", "骑手评分"}

PLATFORM_ALIASES = {
    "taobao": "taobao", "淘宝": "taobao", "tb": "taobao", "淘宝网": "taobao", "千牛": "taobao",
    "tmall": "tmall", "天猫": "tmall", "tm": "tmall", "天猫超市": "tmall",
    "jd": "jd", "京东": "jd", "jingdong": "jd", "京麦": "jd", "京东商城": "jd",
    "pdd": "pdd", "拼多多": "pdd", "pinduoduo": "pdd",
    "meituan": "meituan", "美团": "meituan", "美团外卖": "meituan", "美团闪购": "meituan", "mt": "meituan",
    "eleme": "eleme", "饿了么": "eleme", "饿了吗": "eleme", "ele.me": "eleme", "elm": "eleme",
    "饿了么零售": "eleme",
    "douyin": "douyin", "抖音": "douyin", "抖店": "douyin", "doudian": "douyin", "抖音小店": "douyin",
    "抖音电商": "douyin", "抖音商城": "douyin", "dy": "douyin",
    "kuaishou": "kuaishou", "快手": "kuaishou", "快手小店": "kuaishou", "快手电商": "kuaishou", "ks": "kuaishou",
    "youzan": "youzan", "有赞": "youzan", "有赞微商城": "youzan", "有赞商城": "youzan",
    "jddj": "jddj", "京东到家": "jddj", "京东秒送": "jddj", "jd到家": "jddj",
    "other": "other", "其他": "other", "自营": "other",
}
# Platform names as they appear inside a column name (美团订单号) or a title line (饿了么商家版-评价
# 管理导出 …): longest first, so 京东到家 is not read as 京东.
_NAMES_IN_TEXT = sorted((name for name in PLATFORM_ALIASES if not name.isascii() and name not in ("其他", "自营")),
                        key=len, reverse=True)


def normalize_header(name) -> str:
    """NFKC, lower case, no spaces, no '*' markers, full-width brackets folded."""
    text = unicodedata.normalize("NFKC", "" if name is None else str(name)).strip().lower()
    text = re.sub(r"\s+", "", text).strip("*:：")
    return text


def normalize_platform(value) -> str | None:
    text = unicodedata.normalize("NFKC", str(value or "")).strip().lower()
    return PLATFORM_ALIASES.get(text)


def platform_choices() -> str:
    """The platforms --platform and a 平台 column take, for messages: taobao 淘宝, tmall 天猫, …"""
    return ", ".join(f"{code} {PLATFORM_LABELS[code]}" for code in PLATFORMS)


def _table(kind: str) -> dict[str, str]:
    table = {normalize_header(k): v for k, v in _CHINESE_COMMON.items()}
    table.update({normalize_header(k): v for k, v in (_CHINESE_REVIEWS if kind == "reviews" else _CHINESE_TICKETS).items()})
    for name in FIELDS[kind]:
        table[name] = name
    for alias, target in ENGLISH_ALIASES.items():
        if target in FIELDS[kind]:
            table.setdefault(alias, target)
    return table


def _secondary(kind: str) -> dict[str, str]:
    table = {normalize_header(k): v for k, v in _SECONDARY_COMMON.items()}
    extra = _SECONDARY_REVIEWS if kind == "reviews" else _SECONDARY_TICKETS
    table.update({normalize_header(k): v for k, v in extra.items()})
    return table


_TABLES = {kind: _table(kind) for kind in FIELDS}
_SECONDARY_TABLES = {kind: _secondary(kind) for kind in FIELDS}
_RETURN_FLAGS = {normalize_header(c) for c in RETURN_FLAG_COLUMNS}
REQUIRED = {"reviews": ("text",), "tickets": ("ticket_type",)}


def platform_named_in(text: str) -> set[str]:
    """The platforms a column name or title line names (京东到家 is not also 京东)."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    found = set()
    for name in _NAMES_IN_TEXT:
        if name in text:
            found.add(PLATFORM_ALIASES[name])
            text = text.replace(name, "\x00")
    return found


@dataclass
class HeaderMap:
    """Column index -> canonical field; the columns nobody claimed go to raw."""

    kind: str
    columns: list[str]
    fields: dict[int, str] = field(default_factory=dict)
    family: str = "unknown"
    platform: str | None = None
    # tickets without a type column: the 是否需要退货 column (是 → return, 否 → refund), and the
    # type every row has when the file is a list of one kind (退款编号 → refund, 投诉单号 → complaint)
    return_flag: int | None = None
    default_ticket_type: str | None = None
    store_columns: bool = False  # 门店/菜品/口味…: a Meituan, Ele.me or JD Daojia store export
    title_platform: str | None = None  # the platform a title line above the header names

    @property
    def unknown(self) -> dict[int, str]:
        return {i: c for i, c in enumerate(self.columns) if i not in self.fields and str(c or "").strip()}


@dataclass
class Mapping:
    columns: dict[str, str]
    platform: str | None = None


def load_mapping(path: str | Path, kind: str) -> Mapping:
    """Read a mapping file: JSON object, or ini-style ``column = field`` lines ([section] and # ignored)."""
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ImportFileError(f"无法读取映射文件 / cannot read mapping file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ImportFileError(f"映射文件须为 UTF-8 / mapping file must be UTF-8: {path}") from None
    platform = None
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportFileError(f"映射文件不是有效 JSON / mapping file is not valid JSON: {exc}") from None
        if "columns" in data and isinstance(data["columns"], dict):
            platform = data.get("platform")
            data = data["columns"]
        columns = {str(k): str(v) for k, v in data.items()}
    else:
        columns = {}
        for number, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith(("#", ";", "[")):
                continue
            sep = "=" if "=" in line else ":" if ":" in line else None
            if sep is None:
                raise ImportFileError(f"映射文件第 {number} 行缺少 '=' / mapping line {number} lacks '=': {line[:60]}")
            key, value = (part.strip() for part in line.split(sep, 1))
            if key.lower() == "platform":
                platform = value
            else:
                columns[key] = value
    allowed = set(FIELDS[kind]) | {"raw", "ignore"}
    bad = sorted({v for v in columns.values() if v not in allowed})
    if bad:
        raise ImportFileError(
            f"映射文件中的字段未知 / unknown target fields in mapping: {', '.join(bad)}; "
            f"可用字段 / valid fields: {', '.join(FIELDS[kind])}"
        )
    if platform is not None and normalize_platform(platform) is None:
        raise ImportFileError(f"映射文件中的平台未知 / unknown platform in mapping: {platform}")
    return Mapping({normalize_header(k): v for k, v in columns.items()}, normalize_platform(platform))


def match_header(row: list, kind: str, mapping: Mapping | None = None) -> HeaderMap:
    """Map one header row. A column named in the mapping wins over the built-in tables, a
    column of the main tables over a secondary one (商家编码 over 商品ID, whatever their order)."""
    table = _TABLES[kind]
    columns = ["" if c is None else str(c) for c in row]
    result = HeaderMap(kind=kind, columns=columns)
    taken: set[str] = set()
    normalized = [normalize_header(c) for c in columns]
    for i, name in enumerate(normalized):
        target = None
        if mapping is not None and name in mapping.columns:
            target = mapping.columns[name]
            if target in ("raw", "ignore"):
                continue
        elif name in table:
            target = table[name]
        if target and target not in taken:
            result.fields[i] = target
            taken.add(target)
    secondary = _SECONDARY_TABLES[kind]
    for i, name in enumerate(normalized):
        if i in result.fields or name not in secondary or (mapping is not None and name in mapping.columns):
            continue
        if secondary[name] not in taken:
            result.fields[i] = secondary[name]
            taken.add(secondary[name])
    if kind == "tickets":
        _ticket_type_source(result, normalized)
    names = set(normalized)
    result.store_columns = bool(names & STORE_COLUMNS)
    # a family's own columns, and columns named after a platform (美团订单号), each count one
    scores = {FAMILY_PLATFORM[fam]: len(sig & names) for fam, sig in FAMILY_SIGNATURES.items()}
    for name in normalized:
        if name not in ("平台", "来源平台", "销售平台"):
            for code in platform_named_in(name):
                scores[code] = scores.get(code, 0) + 1
    best = _unique_best(scores)
    if mapping is not None:
        result.family = "mapping"
        result.platform = mapping.platform
    elif best:
        result.family = best
        result.platform = best
    elif all(n.isascii() for n in normalized if n) and result.fields:
        result.family = "canonical"
    elif result.fields:
        result.family = "chinese"
    return result


def _unique_best(scores: dict[str, int]) -> str | None:
    """The platform with the most signature columns, if one alone has the most."""
    best = max(scores, key=lambda f: scores[f])
    if scores[best] > 0 and list(scores.values()).count(scores[best]) == 1:
        return best
    return None


def _ticket_type_source(header: HeaderMap, normalized: list[str]) -> None:
    """Where a ticket's type comes from when the file has no type column."""
    flag_column = next((i for i, name in enumerate(normalized) if name in _RETURN_FLAGS), None)
    claimed = {target: i for i, target in header.fields.items()}
    if "ticket_type" in claimed:
        if normalized[claimed["ticket_type"]] not in _RETURN_FLAGS:
            return
        del header.fields[claimed["ticket_type"]]  # a mapping named 是否需要退货 the type column
    if flag_column is not None:
        header.return_flag = flag_column
        header.default_ticket_type = "refund"
    elif any(name.startswith("投诉") for name in normalized):
        header.default_ticket_type = "complaint"
    elif "external_id" in claimed:
        if "退款" in normalized[claimed["external_id"]]:
            header.default_ticket_type = "refund"
    elif any(name.startswith("退款") for name in normalized):
        header.default_ticket_type = "refund"


def header_score(row: list, kind: str, mapping: Mapping | None = None) -> int:
    return len(match_header(row, kind, mapping).fields)


#: How many column names an "unrecognized header" message lists before "… and N more".
SHOWN_COLUMNS = 40


def describe_columns(columns: list[str]) -> str:
    names = [c for c in columns if str(c or "").strip()]
    if not names:
        return "(空 / none)"
    shown = ", ".join(names[:SHOWN_COLUMNS])
    if len(names) > SHOWN_COLUMNS:
        more = len(names) - SHOWN_COLUMNS
        shown += f" … 及另外 {more} 列 / and {more} more"
    return shown


def check_required(header: HeaderMap) -> None:
    claimed = set(header.fields.values())
    if header.kind == "tickets" and header.default_ticket_type:
        claimed.add("ticket_type")  # derived per row (是否需要退货) or the same for every row
    missing = [f for f in REQUIRED[header.kind] if f not in claimed]
    if not missing:
        return
    need = "评价内容 (text)" if header.kind == "reviews" else "售后类型 (ticket_type)"
    columns = (f"列 / columns ({len([c for c in header.columns if str(c or '').strip()])}): "
               f"{describe_columns(header.columns)}.")
    if header.family != "mapping" and _fits(header.columns, OTHER_KIND[header.kind]):
        raise ImportFileError(f"缺少必需列 {need}：{WRONG_COMMAND[header.kind]}. {columns}")
    raise ImportFileError(
        f"无法识别表头：缺少必需列 {need} / unrecognized header: no {', '.join(missing)} column. {columns} "
        "请用 --mapping 指定列对应关系 / use --mapping to name the columns."
    )


OTHER_KIND = {"reviews": "tickets", "tickets": "reviews"}
# A file given to the wrong command: what the other one's header recognition says it is.
WRONG_COMMAND = {
    "tickets": "这像是评价导出，请用 feedback import reviews / this looks like a review export: "
               "use `feedback import reviews`",
    "reviews": "这像是售后（退款/退货/投诉）导出，请用 feedback import tickets / this looks like an after-sales "
               "(refund, return or complaint) export: use `feedback import tickets`",
}


def _fits(columns: list[str], kind: str) -> bool:
    """The header has every column ``kind`` requires."""
    header = match_header(columns, kind)
    claimed = set(header.fields.values())
    if kind == "tickets" and header.default_ticket_type:
        claimed.add("ticket_type")
    return all(f in claimed for f in REQUIRED[kind])
