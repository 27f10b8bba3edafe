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
    taobao = SimpleNamespace(external_id=None, platform_order_id="3012345678901234", raw={"sub_order_id": "3012345678901235"},
                             sku="FR-APL-5", buyer_nick="t**1", reviewed_at=None, text="苹果烂了")
    return [SimpleNamespace(platform="jd", review_id=5, review=review, text="-非常抱歉，橙子烂了。\n我们会复检。"),
            SimpleNamespace(platform="taobao", review_id=6, review=taobao, text="感谢反馈")]


def test_csv_has_bom_and_neutralized_cells():
    body = to_csv(_drafts())
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body[3:].decode("utf-8"))))
    assert rows[0][0].startswith("平台")
    assert rows[1] == ["jd", "'=cmd|' /C calc'!A0", "", "", "", "", "", "", "'-非常抱歉，橙子烂了。\n我们会复检。", "5"]
    # a review without an id of its own is found on the platform by its order and sub-order
    assert rows[2] == ["taobao", "", "3012345678901234", "3012345678901235", "FR-APL-5", "t**1", "", "苹果烂了",
                       "感谢反馈", "6"]


def test_xlsx_cells_are_text_never_formulas():
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx(_drafts())))
    ws = wb.active
    assert ws["B2"].value == "'=cmd|' /C calc'!A0" and ws["B2"].data_type == "s"
    assert ws["I2"].value.startswith("'-非常抱歉") and ws["C3"].data_type == "s"
    assert ws.max_row == 3
