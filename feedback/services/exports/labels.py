"""Chinese labels for the codes stored in the database (exports are read by management)."""
from __future__ import annotations

from ...models.catalog import PLATFORM_LABELS as _PLATFORM_LABELS

CATEGORY_LABELS = {
    "taste": "口味",
    "freshness": "新鲜度",
    "logistics": "物流",
    "quality": "质量",
    "service": "服务",
    "price": "价格",
    "other": "其他",
}
PLATFORM_LABELS = dict(_PLATFORM_LABELS)
LEDGER_STATUS_LABELS = {"new": "新建", "unsure": "疑似投诉", "confirmed": "已确认", "not_complaint": "非投诉"}
TASK_STATUS_LABELS = {
    "open": "待处理",
    "acknowledged": "已接收",
    "in_progress": "处理中",
    "resolved": "已解决",
    "verified": "已验证",
    "reopened": "已重开",
}
RATING_LEVEL_LABELS = {"good": "好评", "neutral": "中评", "bad": "差评"}
BUYER_TIER_LABELS = {"new": "新客", "returning": "老客"}
TICKET_TYPE_LABELS = {"refund": "退款", "return": "退货", "exchange": "换货", "resend": "补发", "complaint": "投诉"}
PERIOD_TYPE_LABELS = {"week": "周报", "month": "月报", "custom": "自定义"}
KIND_LABELS = {"summary": "根因汇总", "ledger": "中差评明细表"}
STATUS_LABELS = {"pending": "排队中", "running": "生成中", "done": "已完成", "failed": "失败"}
UNKNOWN = "(未知)"
UNASSIGNED = "(未关联任务)"


def label(mapping: dict, code: str | None) -> str:
    if code is None or code == "":
        return UNKNOWN
    return mapping.get(code, code)
