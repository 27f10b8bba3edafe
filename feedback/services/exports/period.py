"""The export period: inclusive dates, half-open datetime bounds, and the periods before it.

Every number of an export is computed from the period's own bounds, never from "now", so the
same period exported twice gives the same figures.
"""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from ...params import YEARS, day_param

MAX_DAYS = 366 * 3  # an on-demand range longer than three years is a typo, not a report


class PeriodError(ValueError):
    """A bad period; the message is shown to the user as is."""


@dataclass(frozen=True)
class Period:
    kind: str  # week | month | custom
    start: dt.date  # inclusive
    end: dt.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start 00:00, day after end 00:00): timestamps are naive, as the ledger stores them."""
        return (
            dt.datetime.combine(self.start, dt.time()),
            dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time()),
        )

    @property
    def label(self) -> str:
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        return f"{self.start.isoformat()}~{self.end.isoformat()}"

    @property
    def title(self) -> str:
        """A Chinese caption: 2026年第47周 (11-16~11-22) / 2026年11月 / 2026-11-01 至 2026-11-15."""
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}年第{week}周 ({self.start.isoformat()} 至 {self.end.isoformat()})"
        if self.kind == "month":
            return f"{self.start.year}年{self.start.month}月"
        return f"{self.start.isoformat()} 至 {self.end.isoformat()}"

    def previous(self) -> Period:
        if self.kind == "week":
            return week_of(self.start - dt.timedelta(days=7))
        if self.kind == "month":
            return month_of(self.start - dt.timedelta(days=1))
        return Period("custom", self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1))

    def history(self, count: int) -> list[Period]:
        """The `count` periods before this one and this one, oldest first."""
        periods = [self]
        for _ in range(count):
            periods.append(periods[-1].previous())
        return periods[::-1]


def week_of(day: dt.date) -> Period:
    monday = day - dt.timedelta(days=day.weekday())
    return Period("week", monday, monday + dt.timedelta(days=6))


def month_of(day: dt.date) -> Period:
    last = calendar.monthrange(day.year, day.month)[1]
    return Period("month", day.replace(day=1), day.replace(day=last))


def previous_week(today: dt.date) -> Period:
    """The ISO week before the one `today` is in (the weekly job runs on Mondays)."""
    return week_of(today - dt.timedelta(days=today.weekday() + 7))


def previous_month(today: dt.date) -> Period:
    """The calendar month before the one `today` is in (the monthly job runs on the 1st)."""
    return month_of(today.replace(day=1) - dt.timedelta(days=1))


def parse_date(value: str | dt.date, name: str = "日期") -> dt.date:
    if isinstance(value, dt.date):
        return value
    text = (value or "").strip()
    try:
        return day_param(text)
    except ValueError:
        raise PeriodError(f"{name}格式错误，应为 {YEARS[0]}–{YEARS[1]} 年间的 YYYY-MM-DD "
                          f"(bad date: {text!r}; YYYY-MM-DD in {YEARS[0]}-{YEARS[1]})") from None


def period_for(date_from: str | dt.date, date_to: str | dt.date, kind: str | None = None) -> Period:
    """A period from two dates; an exact ISO week or calendar month is recognised as such, so
    its trend compares against the previous weeks or months."""
    start = parse_date(date_from, "开始日期")
    end = parse_date(date_to, "结束日期")
    if end < start:
        raise PeriodError(f"结束日期早于开始日期 (end {end} is before start {start})")
    if (end - start).days + 1 > MAX_DAYS:
        raise PeriodError(f"时间范围过长，最多 {MAX_DAYS} 天 (range longer than {MAX_DAYS} days)")
    week, month = week_of(start), month_of(start)
    detected = "custom"
    if (week.start, week.end) == (start, end):
        detected = "week"
    elif (month.start, month.end) == (start, end):
        detected = "month"
    if kind in (None, "", "auto"):
        kind = detected
    if kind not in ("week", "month", "custom"):
        raise PeriodError(f"未知的周期类型 (unknown period type): {kind!r}")
    if kind != "custom" and kind != detected:
        what = "一个完整的ISO周 (周一至周日)" if kind == "week" else "一个完整的自然月"
        raise PeriodError(f"所选日期不是{what} (dates are not a whole {kind})")
    return Period(kind, start, end)
