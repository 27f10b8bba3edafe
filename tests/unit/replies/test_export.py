"""Export of approved replies: UTF-8 BOM CSV and XLSX, formula-like cells neutralized."""
from __future__ import annotations

import csv
import io
from types import SimpleNamespace

import openpyxl
import pytest

from feedback.services.replies.export import neutralize, to_csv, to_xlsx


@pytest.mark.parametrize("value,expected", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1", "'+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("感谢您的反馈", "感谢您的反馈"), ("a=b", "a=b"), (None, ""),
])
def test_neutralize(value, expected):
    assert neutralize(value) == expected


def _drafts():
    review = SimpleNamespace(external_id="=cmd|' /C calc'!A0")
    return [SimpleNamespace(platform="taobao", review_id=5, review=review, text="-非常抱歉，橙子烂了。\n我们会复检。"),
            SimpleNamespace(platform="jd", review_id=6, review=SimpleNamespace(external_id=None), text="感谢反馈")]


def test_csv_has_bom_and_neutralized_cells():
    body = to_csv(_drafts())
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body[3:].decode("utf-8"))))
    assert rows[0][0].startswith("平台")
    assert rows[1] == ["taobao", "'=cmd|' /C calc'!A0", "'-非常抱歉，橙子烂了。\n我们会复检。"]
    assert rows[2] == ["jd", "6", "感谢反馈"]


def test_xlsx_cells_are_text_never_formulas():
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx(_drafts())))
    ws = wb.active
    assert ws["B2"].value == "'=cmd|' /C calc'!A0" and ws["B2"].data_type == "s"
    assert ws["C2"].value.startswith("'-非常抱歉")
    assert ws.max_row == 3
