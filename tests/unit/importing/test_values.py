import datetime as dt
from decimal import Decimal

import pytest

from feedback.importing import values as V


@pytest.mark.parametrize("text, expected", [
    ("2024-03-05 12:00", dt.datetime(2024, 3, 5, 12, 0)),
    ("2024-03-05 12:00:30", dt.datetime(2024, 3, 5, 12, 0, 30)),
    ("2024/3/5", dt.datetime(2024, 3, 5)),
    ("2024/3/5 9:07", dt.datetime(2024, 3, 5, 9, 7)),
    ("2024年3月5日", dt.datetime(2024, 3, 5)),
    ("2024年3月5日 12时30分", dt.datetime(2024, 3, 5, 12, 30)),
    ("2024年03月05日 12:30:01", dt.datetime(2024, 3, 5, 12, 30, 1)),
    ("２０２４－０３－０５　１２：００", dt.datetime(2024, 3, 5, 12, 0)),  # full-width digits and space
    ("2024.03.05", dt.datetime(2024, 3, 5)),
    ("20240305", dt.datetime(2024, 3, 5)),
    ("2024-03-05T04:00:00Z", dt.datetime(2024, 3, 5, 12, 0)),  # UTC -> shop time (UTC+8)
    ("2024-03-05T12:00:00+08:00", dt.datetime(2024, 3, 5, 12, 0)),
    ("45356", dt.datetime(2024, 3, 5)),  # Excel serial typed as text
    ("45356.5", dt.datetime(2024, 3, 5, 12, 0)),
])
def test_dates_in_the_usual_chinese_formats(text, expected):
    assert V.parse_datetime(text) == expected


def test_excel_serials_and_cell_objects():
    assert V.parse_datetime(45356) == dt.datetime(2024, 3, 5)
    assert V.parse_datetime(45356.25) == dt.datetime(2024, 3, 5, 6, 0)
    assert V.parse_datetime(dt.date(2024, 3, 5)) == dt.datetime(2024, 3, 5)
    assert V.parse_date("2024年3月5日") == dt.date(2024, 3, 5)


@pytest.mark.parametrize("text", ["", "  ", "-", "无"])
def test_empty_dates_are_none(text):
    assert V.parse_datetime(text) is None


@pytest.mark.parametrize("text", ["昨天", "2024-13-05", "2024-02-30", "12", "3/5/2024x"])
def test_bad_dates_say_why(text):
    with pytest.raises(ValueError) as info:
        V.parse_datetime(text)
    assert "日期" in str(info.value) and "date" in str(info.value)


@pytest.mark.parametrize("value, stars", [
    ("5", 5), (5, 5), ("5星", 5), ("五星", 5), ("★★★★☆", 4), ("４", 4), ("3分", 3), (1.0, 1),
    ("4.5", 4), (2.5, 2), ("2.5星", 2), (4.6, 5), ("4.4", 4),  # the nearest star, a half one down
])
def test_stars(value, stars):
    assert V.parse_stars(value) == stars


@pytest.mark.parametrize("value", ["0", "6", "很好", "-1"])
def test_bad_stars(value):
    with pytest.raises(ValueError):
        V.parse_stars(value)


@pytest.mark.parametrize("stars_cell, level_cell, expected", [
    ("5", None, (5, "good")), ("4", None, (4, "good")), ("3", None, (3, "neutral")),
    ("2", None, (2, "bad")), ("1", "", (1, "bad")),
    (None, "好评", (None, "good")), (None, "中评", (None, "neutral")), (None, "差评", (None, "bad")),
    ("差评", None, (None, "bad")),  # a level typed into the stars column
    ("5", "差评", (5, "bad")),  # both given: kept as given
])
def test_rating_stars_and_levels(stars_cell, level_cell, expected):
    assert V.parse_rating(stars_cell, level_cell) == expected


def test_amounts_and_counts_accept_full_width_and_currency():
    assert V.parse_amount("¥12.50") == Decimal("12.50")
    assert V.parse_amount("１２．５元") == Decimal("12.50")
    assert V.parse_amount("1,200") == Decimal("1200.00")
    assert V.parse_int("３件") == 3
    with pytest.raises(ValueError):
        V.parse_amount("十二块")
    with pytest.raises(ValueError):
        V.parse_int("2.5")


def test_ids_lose_excel_guards_but_keep_their_digits():
    assert V.parse_id("'3123456789012345678") == "3123456789012345678"
    assert V.parse_id('="00123"') == "00123"
    assert V.parse_id("１００１") == "1001"
    assert V.parse_id(1001.0) == "1001"
    assert V.parse_id("  ") is None


def test_image_counts():
    assert V.parse_image_count("a.jpg;b.jpg，c.jpg") == 3
    assert V.parse_image_count("2") == 2
    assert V.parse_image_count(["x", "y"]) == 2
    assert V.parse_image_count("有图") == 1
    assert V.parse_image_count("") == 0


def test_ticket_types_and_buyer_tiers():
    assert [V.parse_ticket_type(t) for t in ("退款", "仅退款", "退货退款", "换货", "补发", "补寄", "投诉", "refund")] == [
        "refund", "refund", "return", "exchange", "resend", "resend", "complaint", "refund"]
    assert V.parse_ticket_type("退货退款(已收到货)") == "return"
    with pytest.raises(ValueError) as info:
        V.parse_ticket_type("维修")
    assert "售后类型" in str(info.value)
    assert V.parse_buyer_tier("新客") == "new"
    assert V.parse_buyer_tier("老客") == "returning"
    assert V.parse_buyer_tier("VIP") is None


def test_followup_empty_markers():
    assert V.clean_optional_text("") is None
    assert V.clean_optional_text("无") is None
    assert V.clean_optional_text("暂无追评") is None
    assert V.clean_optional_text(" 还会再买 ") == " 还会再买 "  # text is stored as given


@pytest.mark.parametrize("value", [1.2345678901234567e18, 2.0 ** 53, "1.23457E+18", "2.02611e+17", 12.5])
def test_an_id_a_spreadsheet_turned_into_a_number_is_refused_not_merged(value):
    # two different 19-digit ids stored as floats are the same float: accepting it merges rows
    with pytest.raises(ValueError, match="lost its digits"):
        V.parse_id(value)


@pytest.mark.parametrize("text, expected", [
    ("12,50", "12.50"), ("1.234,56", "1234.56"), ("1,299.00", "1299.00"), ("￥1,299.00", "1299.00"),
    ("RMB 8.80", "8.80"), (12.4999999, "12.50"), (12.345, "12.35"),
])
def test_amounts_with_a_decimal_comma_or_thousands_separators(text, expected):
    assert V.parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["12.345", "1e3", "-5", "-NaN", "12,5,0", "Infinity", -5.0, 1e20])
def test_amounts_that_are_not_money_are_refused(text):
    with pytest.raises(ValueError, match="amount"):
        V.parse_amount(text)


@pytest.mark.parametrize("parse, value", [
    (V.parse_int, 10 ** 25), (V.parse_int, 1e300), (V.parse_int, -3), (V.parse_int, float("nan")),
    (V.parse_int, "99999999999999999999"), (V.parse_image_count, 10 ** 30),
    (V.parse_image_count, float("nan")), (V.parse_image_count, float("inf")),
    (V.parse_stars, 10 ** 400), (V.parse_stars, float("nan")),
])
def test_numbers_out_of_range_are_a_row_error_not_an_overflow(parse, value):
    with pytest.raises(ValueError):
        parse(value)


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+09:00", "9999-12-31T23:00:00-01:00", "1800-01-01",
                                  "2024-03-05 12:00+25:00"])
def test_dates_out_of_range_or_with_an_impossible_offset_say_why(text):
    with pytest.raises(ValueError, match="out of range|offset"):
        V.parse_datetime(text)


@pytest.mark.parametrize("text, expected", [
    ("全额退款", "refund"), ("全部退款", "refund"), ("未发货仅退款", "refund"), ("已发货仅退款", "refund"),
    ("退差价", "refund"), ("极速退款", "refund"), ("部分退款", "refund"), ("仅退款(未发货)", "refund"),
    ("仅退款（已发货）", "refund"), ("未收到货仅退款", "refund"), ("拒收退款", "refund"), ("价保", "refund"),
    ("退货退款（已发货）", "return"), ("Return", "return"), ("补发商品", "resend"), ("补寄商品", "resend"),
    ("平台介入", "complaint"),
])
def test_ticket_type_wordings_of_the_platforms(text, expected):
    assert V.parse_ticket_type(text) == expected


def test_return_flags_and_stars_with_a_counter_word():
    assert [V.parse_return_flag(v) for v in ("是", "否", " 是 ", "", None, "不知道", 1, 0)] == [
        "return", "refund", "return", None, None, None, "return", "refund"]
    assert V.parse_stars("3颗星") == 3 and V.parse_stars("三颗星") == 3


@pytest.mark.parametrize("text, placeholder", [
    ("此用户没有填写评价。", True), ("此用户没有填写评价", True), ("评价方未及时做出评价,系统默认好评!", True),
    ("评价方未及时做出评价，系统默认好评！", True), ("系统默认好评", True), ("此用户未填写评价内容", True),
    ("该用户未填写文字评价", True), (" 此用户没有填写评价 。", True),
    ("好吃", False), ("没有填写评价的都是好评吗？粽子是馊的", False), ("默认好评不可信，粽子是馊的", False), ("", False),
])
def test_placeholder_texts(text, placeholder):
    assert V.is_placeholder_text(text) is placeholder


def test_fractional_ratings_are_told_apart_from_whole_ones():
    assert [V.star_fraction(v) for v in (4.5, "2.5星", "４．５", 4.0, "4", 5, "★★★★☆", None, True, "很好")] == [
        4.5, 2.5, 4.5, None, None, None, None, None, None, None]


def test_event_dates_in_the_future_or_before_2000_are_implausible():
    now = dt.datetime.now(V.CHINA_TZ).replace(tzinfo=None)
    assert V.check_event_date(now + dt.timedelta(hours=20)) is not None  # a clock or time-zone slip
    assert V.check_event_date(dt.datetime(2000, 1, 1)) == dt.datetime(2000, 1, 1)
    for value, why in ((now + dt.timedelta(days=2), "in the future"), (dt.datetime(1999, 12, 31), "before 2000"),
                       (dt.datetime(1900, 1, 1), "before 2000")):
        with pytest.raises(ValueError, match=f"日期不合理 / implausible date: .*{why}"):
            V.check_event_date(value)


@pytest.mark.parametrize("cell", [dt.time(0, 0), 0, 1, 59.0])
def test_an_excel_date_cell_of_0_or_1_is_an_implausible_date(cell):
    with pytest.raises(ValueError, match="implausible date: .*Excel date serial"):
        V.parse_datetime(cell)
