"""The name an uploaded file is copied under (feedback.services.imports.safe_filename): its own
name, never a path, its suffix kept for the reader."""
import pytest

from feedback.services.imports import safe_filename


@pytest.mark.parametrize("sent, kept", [
    ("淘宝评价.csv", "淘宝评价.csv"),
    ("C:\\fakepath\\京东评价.xlsx", "京东评价.xlsx"),
    ("../../etc/passwd", "passwd"),
    ("..", "upload"),
    ("", "upload"),
    (".jsonl", "jsonl"),
    ("评价\x00\n导出.csv", "评价导出.csv"),
])
def test_only_the_name_is_kept(sent, kept):
    assert safe_filename(sent) == kept


def test_a_long_name_is_cut_but_keeps_its_suffix():
    name = safe_filename("评" * 300 + ".xlsx")
    assert name.endswith("评.xlsx") and len(name.encode("utf-8")) <= 200
