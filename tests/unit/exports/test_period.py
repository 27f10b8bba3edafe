"""Export periods: ISO weeks, calendar months, custom ranges and the periods before them."""
from __future__ import annotations

import datetime as dt

import pytest

from feedback.services.exports.period import (
    Period,
    PeriodError,
    month_of,
    period_for,
    previous_month,
    previous_week,
    week_of,
)

D = dt.date


def test_previous_week_is_the_iso_week_before_today():
    # Monday 2026-11-23 (ISO week 48): the weekly job exports week 47, Mon 16 .. Sun 22.
    p = previous_week(D(2026, 11, 23))
    assert (p.kind, p.start, p.end, p.label) == ("week", D(2026, 11, 16), D(2026, 11, 22), "2026-W47")
    # Any day of week 48 gives the same previous week.
    assert previous_week(D(2026, 11, 29)) == p


def test_iso_week_across_the_new_year():
    p = week_of(D(2027, 1, 1))  # a Friday in ISO week 2026-W53
    assert p.label == "2026-W53" and p.start == D(2026, 12, 28) and p.end == D(2027, 1, 3)


def test_previous_month_handles_january_and_leap_february():
    assert previous_month(D(2027, 1, 1)) == Period("month", D(2026, 12, 1), D(2026, 12, 31))
    assert previous_month(D(2028, 3, 1)) == Period("month", D(2028, 2, 1), D(2028, 2, 29))
    assert month_of(D(2026, 11, 15)).label == "2026-11"


def test_bounds_are_half_open_datetimes_of_the_period_itself():
    start, end = month_of(D(2026, 11, 5)).bounds
    assert start == dt.datetime(2026, 11, 1) and end == dt.datetime(2026, 12, 1)


def test_history_gives_previous_periods_of_the_same_kind_oldest_first():
    labels = [p.label for p in month_of(D(2026, 3, 1)).history(4)]
    assert labels == ["2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
    weeks = [p.label for p in week_of(D(2026, 1, 5)).history(2)]
    assert weeks == ["2025-W52", "2026-W01", "2026-W02"]


def test_custom_history_uses_windows_of_the_same_length():
    p = period_for("2026-11-10", "2026-11-19")
    assert p.kind == "custom" and p.days == 10
    prev = p.previous()
    assert (prev.start, prev.end) == (D(2026, 10, 31), D(2026, 11, 9))


def test_period_for_recognises_whole_weeks_and_months():
    assert period_for("2026-11-16", "2026-11-22").kind == "week"
    assert period_for("2026-11-01", "2026-11-30").kind == "month"
    assert period_for("2026-11-01", "2026-11-29").kind == "custom"
    assert period_for("2026-11-16", "2026-11-22", "custom").kind == "custom"


@pytest.mark.parametrize("args, message", [
    (("2026-13-01", "2026-12-31"), "开始日期格式错误"),
    (("2026-11-01", "2026/11/30"), "结束日期格式错误"),
    (("", "2026-11-30"), "开始日期格式错误"),
    (("2026-11-30", "2026-11-01"), "结束日期早于开始日期"),
    (("2020-01-01", "2026-01-01"), "时间范围过长"),
    (("2026-11-01", "2026-11-20", "week"), "不是一个完整的ISO周"),
    (("2026-11-01", "2026-11-20", "month"), "不是一个完整的自然月"),
    (("2026-11-01", "2026-11-20", "year"), "未知的周期类型"),
])
def test_bad_periods_say_why_in_chinese(args, message):
    with pytest.raises(PeriodError, match=message):
        period_for(*args)
