"""Header recognition: which column is which canonical field, and which platform exported it.

Four Chinese export families (Taobao/Tmall 千牛, JD 京麦, Pinduoduo 拼多多商家后台, Meituan
美团外卖/闪购 商家端) and the canonical English schema are recognized. Any other layout is
described by a mapping file (``--mapping``): a JSON object ``{"column": "field"}`` (optionally
``{"platform": "jd", "columns": {...}}``) or ini-style lines ``column = field``.
Columns that map to nothing are kept in the record's ``raw``.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

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
TICKET_FIELDS = COMMON_FIELDS + ("ticket_type", "reason", "amount", "status", "opened_at", "closed_at")
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
    "平台": "platform", "来源平台": "platform", "渠道": "platform",
    "店铺": "shop", "店铺名称": "shop", "门店名称": "shop", "门店": "shop", "商家名称": "shop",
    "订单编号": "order_id", "订单号": "order_id", "主订单编号": "order_id", "订单id": "order_id",
    "子订单编号": "sub_order_id", "子订单号": "sub_order_id",
    "评价id": "external_id", "评价编号": "external_id", "评论id": "external_id",
    "商家编码": "sku", "商品编码": "sku", "sku编号": "sku", "sku编码": "sku", "规格编码": "sku",
    "sku": "sku", "商品sku": "sku", "货号": "sku", "商品编号": "sku",
    "宝贝名称": "product_name", "宝贝标题": "product_name", "商品名称": "product_name",
    "商品标题": "product_name", "菜品": "product_name", "菜品名称": "product_name", "商品": "product_name",
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
    "买家昵称": "buyer_nick", "买家会员名": "buyer_nick", "用户昵称": "buyer_nick", "用户名": "buyer_nick",
    "顾客昵称": "buyer_nick", "用户账号": "buyer_nick", "买家": "buyer_nick",
}
_CHINESE_REVIEWS = {
    "评价内容": "text", "初评内容": "text", "评论内容": "text", "评价": "text",
    "评价时间": "reviewed_at", "初评时间": "reviewed_at", "评论时间": "reviewed_at",
    "追评内容": "followup_text", "追加评价": "followup_text", "追评": "followup_text",
    "追加评论": "followup_text",
    "追评时间": "followup_at", "追加评价时间": "followup_at", "追加评论时间": "followup_at",
    "评分": "rating", "评价星级": "rating", "星级": "rating", "商品评分": "rating", "总体评分": "rating",
    "描述相符": "rating", "总评分": "rating", "商家评分": "rating",
    "初评等级": "rating_level", "评价等级": "rating_level", "评价类型": "rating_level",
    "图片": "image_count", "评价图片": "image_count", "图片数": "image_count", "晒图数": "image_count",
    "图片数量": "image_count", "是否有图": "image_count",
    "买家类型": "buyer_tier", "客户类型": "buyer_tier", "新老客": "buyer_tier", "顾客类型": "buyer_tier",
    "用户类型": "buyer_tier",
}
_CHINESE_TICKETS = {
    "退款编号": "external_id", "售后编号": "external_id", "服务单号": "external_id",
    "售后单号": "external_id", "退款单号": "external_id", "工单编号": "external_id",
    "退款类型": "ticket_type", "售后类型": "ticket_type", "服务类型": "ticket_type",
    "工单类型": "ticket_type", "申请类型": "ticket_type",
    "退款原因": "reason", "售后原因": "reason", "申请原因": "reason", "问题类型": "reason",
    "退货原因": "reason", "退款理由": "reason", "投诉原因": "reason", "换货原因": "reason",
    "退款说明": "text", "问题描述": "text", "申请说明": "text", "售后说明": "text",
    "买家留言": "text", "描述": "text", "工单内容": "text", "退货说明": "text", "投诉内容": "text",
    "买家描述": "text", "顾客描述": "text", "补充描述": "text",
    "退款金额": "amount", "申请金额": "amount", "退款金额(元)": "amount", "金额": "amount",
    "退款状态": "status", "售后状态": "status", "服务单状态": "status", "处理状态": "status",
    "审核状态": "status",
    "申请时间": "opened_at", "退款申请时间": "opened_at", "售后申请时间": "opened_at", "创建时间": "opened_at",
    "完结时间": "closed_at", "退款完结时间": "closed_at", "完成时间": "closed_at", "处理完成时间": "closed_at",
    "关闭时间": "closed_at",
}

# Columns that only one family's exports carry: they name the platform.
FAMILY_SIGNATURES = {
    "taobao": {"子订单编号", "宝贝名称", "宝贝标题", "宝贝id", "初评等级", "初评内容", "初评时间",
               "买家会员名", "商家编码", "退款编号", "淘宝", "天猫"},
    "jd": {"商品编号", "评价星级", "sku编号", "追加评价", "追加评价时间", "服务单号", "会员级别",
           "用户账号", "晒图数"},
    "pdd": {"描述相符", "物流服务", "服务态度", "商品规格", "规格编码", "售后编号", "拼单号"},
    "meituan": {"门店名称", "门店", "菜品", "菜品名称", "口味", "包装", "配送", "口味评分",
                "包装评分", "配送评分", "顾客昵称", "顾客类型", "总体评分"},
}
FAMILY_PLATFORM = {"taobao": "taobao", "jd": "jd", "pdd": "pdd", "meituan": "meituan"}

PLATFORM_ALIASES = {
    "taobao": "taobao", "淘宝": "taobao", "tb": "taobao",
    "tmall": "tmall", "天猫": "tmall", "tm": "tmall",
    "jd": "jd", "京东": "jd", "jingdong": "jd",
    "pdd": "pdd", "拼多多": "pdd", "pinduoduo": "pdd",
    "meituan": "meituan", "美团": "meituan", "美团外卖": "meituan", "美团闪购": "meituan",
    "other": "other", "其他": "other", "自营": "other",
}


def normalize_header(name) -> str:
    """NFKC, lower case, no spaces, no '*' markers, full-width brackets folded."""
    text = unicodedata.normalize("NFKC", "" if name is None else str(name)).strip().lower()
    text = re.sub(r"\s+", "", text).strip("*:：")
    return text


def normalize_platform(value) -> str | None:
    text = unicodedata.normalize("NFKC", str(value or "")).strip().lower()
    return PLATFORM_ALIASES.get(text)


def _table(kind: str) -> dict[str, str]:
    table = {normalize_header(k): v for k, v in _CHINESE_COMMON.items()}
    table.update({normalize_header(k): v for k, v in (_CHINESE_REVIEWS if kind == "reviews" else _CHINESE_TICKETS).items()})
    for name in FIELDS[kind]:
        table[name] = name
    for alias, target in ENGLISH_ALIASES.items():
        if target in FIELDS[kind]:
            table.setdefault(alias, target)
    return table


_TABLES = {kind: _table(kind) for kind in FIELDS}
REQUIRED = {"reviews": ("text",), "tickets": ("ticket_type",)}


@dataclass
class HeaderMap:
    """Column index -> canonical field; the columns nobody claimed go to raw."""

    kind: str
    columns: list[str]
    fields: dict[int, str] = field(default_factory=dict)
    family: str = "unknown"
    platform: str | None = None

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
    """Map one header row. A column named in the mapping wins over the built-in tables."""
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
    scores = {fam: len(sig & set(normalized)) for fam, sig in FAMILY_SIGNATURES.items()}
    best = max(scores, key=lambda f: scores[f])
    if mapping is not None:
        result.family = "mapping"
        result.platform = mapping.platform
    elif scores[best] > 0 and list(scores.values()).count(scores[best]) == 1:
        result.family = best
        result.platform = FAMILY_PLATFORM[best]
    elif all(n.isascii() for n in normalized if n) and result.fields:
        result.family = "canonical"
    elif result.fields:
        result.family = "chinese"
    return result


def header_score(row: list, kind: str, mapping: Mapping | None = None) -> int:
    return len(match_header(row, kind, mapping).fields)


def check_required(header: HeaderMap) -> None:
    claimed = set(header.fields.values())
    missing = [f for f in REQUIRED[header.kind] if f not in claimed]
    if missing:
        shown = ", ".join(c for c in header.columns[:12] if c) or "(空 / none)"
        need = "评价内容 (text)" if header.kind == "reviews" else "售后类型 (ticket_type)"
        raise ImportFileError(
            f"无法识别表头：缺少必需列 {need} / unrecognized header: no {', '.join(missing)} column. "
            f"列 / columns: {shown}. 请用 --mapping 指定列对应关系 / use --mapping to name the columns."
        )
