"""Cell value parsing: dates, ratings, numbers, ids, ticket types and buyer tiers.

Every parser takes what a reader produced (a str from CSV/JSON, or a number/datetime from XLSX)
and returns a Python value, or raises ValueError with a Chinese + English message that ends up as
the rejected row's reason. Numeric fields are NFKC-normalized (full-width digits, ideographic
spaces); free text is stored as given and never passes through here.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

EXCEL_EPOCH = dt.datetime(1899, 12, 30)
# Excel serial numbers between 1954 and 2119: anything else in a date column is not a date.
EXCEL_SERIAL_RANGE = (20000.0, 80000.0)
CHINA_TZ = dt.timezone(dt.timedelta(hours=8))

EMPTY_MARKERS = {"", "-", "--", "—", "无", "暂无", "null", "none", "nan", "n/a", "/"}

LEVELS = {
    "好评": "good", "good": "good", "positive": "good",
    "中评": "neutral", "neutral": "neutral",
    "差评": "bad", "bad": "bad", "negative": "bad",
}
CHINESE_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}

TICKET_TYPES = {
    "refund": "refund", "退款": "refund", "仅退款": "refund", "部分退款": "refund",
    "退款(未收到货)": "refund", "退款（未收到货）": "refund", "未收到货退款": "refund",
    "全额退款": "refund", "全部退款": "refund", "未发货仅退款": "refund", "已发货仅退款": "refund",
    "未收到货仅退款": "refund", "已收到货仅退款": "refund", "退差价": "refund", "极速退款": "refund",
    "拒收退款": "refund", "价保": "refund", "价格保护": "refund",
    "return": "return", "退货": "return", "退货退款": "return", "退款退货": "return",
    "exchange": "exchange", "换货": "exchange", "换新": "exchange",
    "resend": "resend", "补发": "resend", "补寄": "resend", "补发货": "resend", "重新发货": "resend",
    "complaint": "complaint", "投诉": "complaint", "维权": "complaint", "平台介入": "complaint",
    "工单": "complaint", "客诉": "complaint",
}
# A type a platform words its own way (闪电退款, 退货退款（已发货）, 补发商品): the first word found
# in it decides; 仅退款 comes before 退货 (未退货仅退款 is a refund).
TICKET_TYPE_WORDS = (
    ("仅退款", "refund"), ("不退货", "refund"), ("无需退货", "refund"),
    ("退货", "return"), ("换货", "exchange"), ("换新", "exchange"),
    ("补发", "resend"), ("补寄", "resend"), ("重新发货", "resend"),
    ("投诉", "complaint"), ("维权", "complaint"),
    ("退款", "refund"), ("退差价", "refund"), ("价保", "refund"),
)
RETURN_FLAGS = {"是": "return", "需要": "return", "yes": "return", "y": "return", "true": "return", "1": "return",
                "否": "refund", "不需要": "refund", "无需": "refund", "no": "refund", "n": "refund",
                "false": "refund", "0": "refund"}
BUYER_TIERS = {
    "new": "new", "新客": "new", "新顾客": "new", "新用户": "new", "首单": "new", "首次购买": "new",
    "returning": "returning", "老客": "returning", "老顾客": "returning", "老用户": "returning",
    "回头客": "returning", "复购": "returning", "复购用户": "returning",
}

_DATE_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]*(\d{1,2})\s*[:时]\s*(\d{1,2})(?:\s*[:分]\s*(\d{1,2})(?:\.\d+)?\s*秒?)?\s*分?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:\s*(\d{2}):?(\d{2})(?::?(\d{2}))?)?$")
_STARS_RE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)\s*(?:颗星|星|分|stars?)?$", re.I)


def nfkc(value) -> str:
    """Full-width digits, letters and spaces folded to ASCII, surrounding whitespace removed."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text.isascii():
        return text.strip()
    return unicodedata.normalize("NFKC", text).strip()


def is_empty(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return nfkc(value).lower() in EMPTY_MARKERS
    return False


def clean_text(value) -> str | None:
    """Free text as given; None when the cell is empty or whitespace."""
    if value is None:
        return None
    if not isinstance(value, str):
        value = format_scalar(value)
    return value if value.strip() else None


def clean_optional_text(value) -> str | None:
    """Like clean_text, but the usual 'nothing here' markers (无, -, 暂无) also count as empty."""
    text = clean_text(value)
    if text is None or nfkc(text).lower() in EMPTY_MARKERS or nfkc(text) in ("暂无追评", "无追评"):
        return None
    return text


def format_scalar(value) -> str:
    """A number from a spreadsheet as the text a person would type (12345.0 -> '12345')."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return str(value)


_SCIENTIFIC_RE = re.compile(r"^[+-]?\d(\.\d+)?[eE][+-]?\d+$")
_ID_PRECISION = ("编号精度已丢失（表格把长编号存成了数字），请把该列设为文本后重新导出 / "
                 "the id lost its digits (the spreadsheet stored a long id as a number): "
                 "export the column as text")


def parse_id(value) -> str | None:
    """Order/review/SKU ids: NFKC, Excel guards (leading ', ="...", tabs) removed."""
    if value is None:
        return None
    if isinstance(value, str) and value.isascii():  # the common case, fast
        text = value.strip()
        if (text and text[0] not in "'=`" and len(text) <= 100 and text.lower() not in EMPTY_MARKERS
                and not _SCIENTIFIC_RE.match(text)):
            return text
    if isinstance(value, bool):
        raise ValueError(f"无效编号 / invalid id: {value!r}")
    if isinstance(value, float) and not (value.is_integer() and abs(value) < 2 ** 53):
        # a spreadsheet number: past 2^53 (16 digits) the last digits are already lost
        raise ValueError(f"{_ID_PRECISION}: {format_scalar(value)[:30]}")
    if isinstance(value, (int, float)):
        text = format_scalar(value)
    else:
        text = nfkc(value)
    if _SCIENTIFIC_RE.match(text):
        raise ValueError(f"{_ID_PRECISION}: {text[:30]}")
    if text.startswith('="') and text.endswith('"'):
        text = text[2:-1]
    text = text.lstrip("'`").strip()
    if text.lower() in EMPTY_MARKERS:
        return None
    if len(text) > 100:
        raise ValueError(f"编号过长 / id longer than 100 characters: {text[:40]}…")
    return text


def parse_datetime(value) -> dt.datetime | None:
    """2024-03-05 12:00, 2024/3/5, 2024年3月5日 12时30分, ISO 8601, 20240305, Excel serials."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return _naive_china(value)
    if isinstance(value, dt.date):
        return _naive_china(dt.datetime(value.year, value.month, value.day))
    if isinstance(value, dt.time):  # openpyxl's reading of a date cell holding 0 (Excel shows 1900-01-00)
        raise ValueError(f"{IMPLAUSIBLE}: 只有时间没有日期（Excel 日期序号 0）/ a time without a date "
                         f"(Excel date serial 0): {value.isoformat()}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _from_excel_serial(value, value)
    if isinstance(value, str) and value.isascii() and len(value) >= 10 and value[4] == "-":
        try:  # the common case, in C: 2024-03-05, 2024-03-05 12:00[:00], ISO 8601 with offset
            return _naive_china(dt.datetime.fromisoformat(value.strip()))
        except ValueError:
            pass
    text = nfkc(value)
    if text.lower() in EMPTY_MARKERS:
        return None
    m = _DATE_RE.match(text) or _COMPACT_DATE_RE.match(text)
    if m:
        parts = [int(p) if p and p[0].isdigit() else 0 for p in m.groups()[:6]]
        try:
            result = dt.datetime(*parts)
        except ValueError:
            raise ValueError(f"日期不存在 / no such date: {text}") from None
        tz = m.groups()[6] if len(m.groups()) > 6 else None
        if tz:
            try:
                result = dt.datetime.fromisoformat(result.isoformat() + ("+00:00" if tz == "Z" else tz))
            except ValueError:  # an offset of 24 hours or more
                raise ValueError(f"无效时区 / invalid time-zone offset: {text[:40]}") from None
        return _naive_china(result)
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"无法识别的日期 / unparseable date: {text[:40]}") from None
    return _from_excel_serial(number, text[:40])


def parse_date(value) -> dt.date | None:
    result = parse_datetime(value)
    return None if result is None else result.date()


#: Dates outside these years are typos or placeholders (0001-01-01, 9999-12-31), not events.
YEAR_RANGE = (1900, 2100)
#: A review or ticket happened in this window: from 2000 (no shop exported one before; 1900-01-01
#: is an Excel cell holding 1) up to a day after now in shop time (a clock or time-zone slip).
EARLIEST_EVENT = dt.datetime(2000, 1, 1)
FUTURE_SLACK = dt.timedelta(days=1)
IMPLAUSIBLE = "日期不合理 / implausible date"


def check_event_date(value: dt.datetime | None) -> dt.datetime | None:
    """A review's or ticket's own date (not an order fact like an expiry date) must be plausible."""
    if value is None:
        return None
    shown = value.isoformat(sep=" ")[:19]
    if value < EARLIEST_EVENT:
        raise ValueError(f"{IMPLAUSIBLE}: {shown} ({EARLIEST_EVENT:%Y-%m-%d} 之前 / before {EARLIEST_EVENT:%Y-%m-%d})")
    if value > dt.datetime.now(CHINA_TZ).replace(tzinfo=None) + FUTURE_SLACK:
        raise ValueError(f"{IMPLAUSIBLE}: {shown} (在将来 / in the future)")
    return value


def _naive_china(value: dt.datetime) -> dt.datetime:
    if not YEAR_RANGE[0] <= value.year <= YEAR_RANGE[1]:
        raise ValueError(f"日期超出范围 / date out of range ({YEAR_RANGE[0]}-{YEAR_RANGE[1]}): "
                         f"{value.isoformat()[:32]}")
    if value.tzinfo is None:
        return value
    return value.astimezone(CHINA_TZ).replace(tzinfo=None)


def _from_excel_serial(number, shown) -> dt.datetime:
    low, high = EXCEL_SERIAL_RANGE
    if not isinstance(shown, str) and 0 <= number < low:  # a spreadsheet date cell of 1900-1954
        raise ValueError(f"{IMPLAUSIBLE}: Excel 日期序号 {format_scalar(number)} / Excel date serial "
                         f"{format_scalar(number)} ({EARLIEST_EVENT:%Y-%m-%d} 之前 / before {EARLIEST_EVENT:%Y-%m-%d})")
    if not low <= number <= high:  # NaN and huge integers included
        raise ValueError(f"无法识别的日期 / unparseable date: {shown}")
    return (EXCEL_EPOCH + dt.timedelta(days=number)).replace(microsecond=0)


def parse_stars(value) -> int | None:
    """1-5 stars: 5, '5星', '五星', '★★★★☆', '4.0', '５'."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"评分须为 1-5 星 / rating must be 1-5 stars: {str(value).lower()}")
    if isinstance(value, (int, float)):
        number = float(value) if abs(value) < 1e6 else 0.0  # a huge int: out of range below
    else:
        text = nfkc(value)
        if text.lower() in EMPTY_MARKERS:
            return None
        if text and set(text) <= {"★", "☆"}:
            number = float(text.count("★"))
        elif len(text) >= 2 and text[0] in CHINESE_DIGITS and text[1:] in ("星", "分", "颗星"):
            number = float(CHINESE_DIGITS[text[0]])
        else:
            m = _STARS_RE.match(text)
            if not m:
                raise ValueError(f"无法识别的评分 / unparseable rating: {text[:20]}")
            number = float(m.group(1))
    if not math.isfinite(number):
        raise ValueError(f"评分须为 1-5 星 / rating must be 1-5 stars: {value}")
    if not number.is_integer() and number <= 5:
        number = float(math.ceil(number - 0.5))  # the nearest star, a half one down: 2.5 stays a 差评-level 2
    if not 1 <= number <= 5:
        raise ValueError(f"评分须为 1-5 星 / rating must be 1-5 stars: {value}")
    return int(number)


def star_fraction(value) -> float | None:
    """The number in a rating cell when it is not a whole star (4.5, '2.5星'), else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        number = value
    elif isinstance(value, str):
        m = _STARS_RE.match(nfkc(value))
        number = float(m.group(1)) if m else None
    else:
        return None
    return number if number is not None and math.isfinite(number) and not number.is_integer() else None


def parse_level(value) -> str | None:
    """好评/中评/差评 (or good/neutral/bad)."""
    if value is None:
        return None
    text = nfkc(value).lower()
    if text in EMPTY_MARKERS:
        return None
    if text in LEVELS:
        return LEVELS[text]
    raise ValueError(f"无法识别的评价等级 / unknown rating level: {text[:20]} (好评/中评/差评)")


def parse_rating(stars_value, level_value) -> tuple[int | None, str | None]:
    """Stars and level from whichever cells the row has. A level-like text in the stars cell
    (好评) is read as a level; stars imply the level: 1-2 差评, 3 中评, 4-5 好评."""
    stars = level = None
    if stars_value is not None and not isinstance(stars_value, (int, float)) and nfkc(stars_value).lower() in LEVELS:
        level_value = level_value if not is_empty(level_value) else stars_value
    else:
        stars = parse_stars(stars_value)
    level = parse_level(level_value)
    if level is None and stars is not None:
        level = level_from_stars(stars)
    return stars, level


def level_from_stars(stars: int) -> str:
    return "bad" if stars <= 2 else "neutral" if stars == 3 else "good"


#: Counts (quantity, shelf-life days, images) are 0..this; more is a typo and overflows a column.
MAX_COUNT = 1_000_000


def parse_int(value, what: str = "数量 / number") -> int | None:
    """A whole number 0..``MAX_COUNT``: 3, 3.0, '3', '1,200', '３件'."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():  # NaN and infinities included
            raise ValueError(f"{what} 须为整数 / must be a whole number: {value}")
        number = value
    else:
        text = nfkc(value).replace(",", "").replace(" ", "")
        text = re.sub(r"(件|个|张|份|箱|袋|盒|天|日)$", "", text)
        if text.lower() in EMPTY_MARKERS:
            return None
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{what} 无法识别 / not a number: {text[:20]}") from None
        if not number.is_integer():
            raise ValueError(f"{what} 须为整数 / must be a whole number: {text[:20]}")
    if not 0 <= number <= MAX_COUNT:
        raise ValueError(f"{what} 超出范围 / out of range (0-{MAX_COUNT}): {str(value)[:20]}")
    return int(number)


_MONEY_RE = re.compile(r"^\d+(\.\d{1,2})?$")  # after _money_text: no sign, exponent or 3 decimals
_GROUPED_RE = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")  # 1,299.00
_EURO_RE = re.compile(r"^\d{1,3}(\.\d{3})*,\d{1,2}$")  # 12,50 / 1.234,56 (decimal comma)


def _money_text(text: str) -> str:
    """Thousands separators out, a decimal comma to a point; anything else is left for the
    pattern check to refuse (a minus sign, 1e3, 12.345, 12,5,0)."""
    if _GROUPED_RE.match(text):
        return text.replace(",", "")
    if _EURO_RE.match(text):
        return text.replace(".", "").replace(",", ".")
    return text


def parse_amount(value) -> Decimal | None:
    """Money: '¥12.50', '１２．５元', '1,200'."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        text = repr(value)
    else:
        text = nfkc(value).replace(" ", "").lstrip("¥￥").removesuffix("元").removeprefix("RMB")
        text = _money_text(text.strip())
    if text.lower() in EMPTY_MARKERS:
        return None
    # a typed text must look like money; a spreadsheet number (12.4999999 from a formula) is
    # rounded to the fen, and the range check below refuses a negative one
    if isinstance(value, str) and not _MONEY_RE.match(text):
        raise ValueError(f"金额无法识别 / unparseable amount: {text[:20]}")
    try:
        amount = Decimal(text).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise ValueError(f"金额无法识别 / unparseable amount: {text[:20]}") from None
    if amount < 0 or amount >= Decimal("10000000000"):
        raise ValueError(f"金额超出范围 / amount out of range: {text[:20]}")
    return amount


def parse_image_count(value) -> int:
    """A count, or a cell of image URLs (counted), or 有图/无图."""
    if value is None or isinstance(value, bool):
        return 0
    if isinstance(value, (list, tuple)):
        return len(value)
    if isinstance(value, (int, float)):
        return parse_int(max(value, 0), "图片数 / image count")
    text = nfkc(value)
    if text.lower() in EMPTY_MARKERS or text in ("无图", "否", "没有"):
        return 0
    if text in ("有图", "是", "有"):
        return 1
    if text.isascii() and text.isdigit():  # not "²": str.isdigit takes it, int() does not
        return parse_int(text, "图片数 / image count")
    parts = [p for p in re.split(r"[\s,;|，；、]+", text) if p]
    return len(parts)


def parse_ticket_type(value) -> str:
    text = nfkc(value).lower()
    if text in TICKET_TYPES:
        return TICKET_TYPES[text]
    for key, code in TICKET_TYPES.items():  # "退货退款(已收到货)" and the like
        if len(key) > 1 and not key.isascii() and text.startswith(key):
            return code
    for word, code in TICKET_TYPE_WORDS:
        if word in text:
            return code
    if not text:
        raise ValueError("缺少售后类型 / missing ticket type (退款/退货/换货/补发/投诉)")
    raise ValueError(f"未知售后类型 / unknown ticket type: {text[:20]} (退款/退货/换货/补发/投诉)")


def parse_return_flag(value) -> str | None:
    """是否需要退货: 是 → return, 否 → refund; None when empty or not a yes/no."""
    if isinstance(value, bool):
        return "return" if value else "refund"
    return RETURN_FLAGS.get(format_scalar(value).strip().lower() if value is not None else "")


# What platforms write where the buyer wrote nothing: Taobao's 此用户没有填写评价。 and
# 评价方未及时做出评价,系统默认好评!, JD's 此用户未填写评价内容 and the like.
_PLACEHOLDER_RE = re.compile(
    r"^(?:(?:此|该|这个|这位)?(?:用户|买家|顾客|客户)?(?:没有|未|暂未|并未|尚未)(?:填写|留下|发表|写)(?:任何)?(?:文字)?"
    r"(?:评价|评论)(?:内容)?"
    r"|(?:评价方|买家|用户|此用户|该用户)?(?:未及时|超时未|逾期未)(?:做出|作出|进行)?评价[,;]?(?:系统)?默认(?:好评|评价)"
    r"|(?:系统)?默认(?:好评|评价)"
    r"|(?:此|该)?(?:用户|买家)?(?:暂)?无(?:文字)?评价(?:内容)?)$")


def is_placeholder_text(text: str | None) -> bool:
    """True for a platform's stand-in text of a review without one (counted as no text)."""
    if not text or len(text) > 60:
        return False
    folded = re.sub(r"[\s。.!！~～、]+", "", unicodedata.normalize("NFKC", text)).replace("，", ",").replace("；", ";")
    return bool(_PLACEHOLDER_RE.match(folded))


def parse_buyer_tier(value) -> str | None:
    text = nfkc(value).lower()
    return BUYER_TIERS.get(text)
