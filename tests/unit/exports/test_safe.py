"""Formula neutralization: every text cell starting with = + - @ tab or CR gets an apostrophe."""
from __future__ import annotations

import datetime as dt

import pytest

from feedback.services.exports.safe import csv_cell, csv_row, neutralize, xlsx_cell

HOSTILE = ['=HYPERLINK("http://evil","x")', "+1", "-2", "@SUM(A1)", "\t=1+1", "\r=cmd"]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_prefixed_in_csv_and_xlsx(text):
    assert neutralize(text) == "'" + text
    assert csv_cell(text) == "'" + text
    assert xlsx_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["发霉了", "", "1+1=2", "a=b", " 空格开头", "'已带引号", "😡太难吃"])
def test_ordinary_text_is_unchanged(text):
    assert neutralize(text) == text
    assert csv_cell(text) == text


def test_numbers_dates_and_booleans_are_not_text():
    assert csv_cell(-2) == -2 and xlsx_cell(-2) == -2
    assert csv_cell(-0.5) == -0.5
    assert csv_cell(None) == ""
    assert csv_cell(True) == "是" and xlsx_cell(False) == "否"
    assert csv_cell(dt.datetime(2026, 11, 2, 9, 5)) == "2026-11-02 09:05:00"
    assert csv_cell(dt.date(2026, 11, 2)) == "2026-11-02"


def test_xlsx_strips_xml_illegal_characters_before_checking():
    # A control character in front must not hide the formula from the check.
    assert xlsx_cell("\x01=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert xlsx_cell("ok\x00\x1f文本") == "ok文本"


def test_csv_row_is_csv_cell_over_the_row():
    import decimal

    row = ["=1", "+1", "ok", "", None, 3, -2.5, True, False, dt.datetime(2026, 1, 2, 3, 4, 5), dt.date(2026, 1, 2),
           decimal.Decimal("1.50"), "\r=x", "@a"]
    assert csv_row(row) == [csv_cell(v) for v in row]
