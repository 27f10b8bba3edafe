"""CSV/TSV (any of \\n, \\r\\n, \\r line endings, even mixed): the separator, and the rows a
broken file makes (an unclosed quote, an unquoted separator in a text, a cut-off last line)."""
from __future__ import annotations

import csv
import io
import itertools
import json
import re

from .errors import ImportFileError
from .headers import HeaderMap, Mapping, header_score
from .rows import HEADER_SCAN_ROWS, RawRow, Table, drop_footer, filled, split_header

# Python's csv refuses fields over 128 KiB by default; a review with pasted logs can be larger.
csv.field_size_limit(max(csv.field_size_limit(), 256 * 1024 * 1024))

DELIMITERS = (",", "\t", ";", "|")
_DELIMITER_NAMES = {",": "逗号 / comma", "\t": "制表符 / tab", ";": "分号 / semicolon", "|": "竖线 / bar"}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _sniff_delimiter(text: str, kind: str, mapping: Mapping | None) -> str:
    """The separator that splits an early line (a title may come first) into the most recognized
    column names: a text full of commas or a cell of URLs must not outvote the header."""
    sample = text[:65536]
    lines = list(itertools.islice(io.StringIO(sample, newline=""), HEADER_SCAN_ROWS))
    fits = {}  # separator -> (recognized names on its best line, separators on that line)
    for d in DELIMITERS:
        fits[d] = max((header_score(next(csv.reader([line], delimiter=d), []), kind, mapping), line.count(d))
                      for line in lines)
    best = max(DELIMITERS, key=fits.get)
    if not fits[best][0]:  # nothing recognized: the most frequent on some line
        counts = {d: max(line.count(d) for line in lines) for d in DELIMITERS}
        best = max(DELIMITERS, key=counts.get)
        return best if counts[best] else ","
    if not fits[best][1]:  # a one-column header: the separator that splits the data least
        tied = [d for d in DELIMITERS if fits[d][0] == fits[best][0]]
        return min(tied, key=lambda d: (sample.count(d), d == "\t"))
    return best


def read_csv(text: str, kind: str, mapping: Mapping | None, truncated: bool) -> Table:
    delimiter = _sniff_delimiter(text, kind, mapping)
    # newline="" keeps \r, \n and \r\n as the csv module needs them, even mixed in one file.
    lines = io.StringIO(text, newline="")
    reader = csv.reader(lines, delimiter=delimiter)
    rows: list[RawRow] = []
    multiline: set[int] = set()  # rows spread over several lines (a quoted cell with line breaks)
    number = line_num = start = end = 0
    try:
        for cells in reader:
            number += 1
            rows.append(RawRow(number, cells))
            if reader.line_num - line_num > 1:
                multiline.add(number)
            line_num, start, end = reader.line_num, end, lines.tell()
    except csv.Error as exc:
        if not rows:
            raise ImportFileError(f"CSV 无法解析 / CSV cannot be parsed: {exc}") from None
        rows.append(RawRow(number + 1, None, f"CSV 格式错误，其后内容无法读取 / malformed CSV from here on: {exc}"))
    header, data_rows = split_header(rows, kind, mapping)
    notes = drop_footer(header, data_rows)
    width = _named_width(header)
    for row in data_rows:
        if row.cells is not None:
            row.error = ((row.number in multiline and _swallowed_lines(row.cells, header, delimiter, width))
                         or _extra_cells(row.cells, width, delimiter))
    _check_last_row(text[start:], rows, data_rows, width, truncated)
    return Table(header=header, rows=data_rows, file_format="csv" if delimiter != "\t" else "tsv", notes=notes)


def _named_width(header: HeaderMap) -> int:
    """Columns up to the last one with a name: a header ending in a separator adds an empty one."""
    names = [c.strip() for c in header.columns]
    while names and not names[-1]:
        names.pop()
    return len(names)


def _swallowed_lines(cells: list, header: HeaderMap, delimiter: str, width: int) -> str | None:
    """A quote opened and never closed makes csv read on: the next lines of the file end up in
    one cell. Such lines hold about as many separators as a row; a review's own lines do not."""
    need = max(2, (width - 1) - (width - 1) // 4)
    for i, cell in enumerate(cells):
        if "\n" not in cell and "\r" not in cell:
            continue
        following = _LINE_BREAK.split(cell.rstrip("\r\n"))[1:]
        row_like = sum(1 for line in following if line.count(delimiter) >= need)
        if row_like and 2 * row_like >= len(following):
            name = header.columns[i] if i < len(header.columns) and header.columns[i] else f"第 {i + 1} 列"
            return (f"引号未闭合：「{name}」单元格吞并了后面的 {len(following)} 行，请修正文件后重新导入 / "
                    f"unclosed quote: the cell in column {name} swallowed the next {len(following)} lines; "
                    "fix the file and import it again")
    return None


def _extra_cells(cells: list, width: int, delimiter: str) -> str | None:
    """Filled cells past the header's last column: a separator inside an unquoted text shifted them
    (empty trailing cells, as some exports write, are fine)."""
    if len(cells) <= width:
        return None
    extra = len(cells)
    while extra > width and not filled(cells[extra - 1]):
        extra -= 1
    if extra == width:
        return None
    zh, en = _DELIMITER_NAMES[delimiter].split(" / ")
    return (f"该行比表头多出 {extra - width} 列（文本中有未加引号的{zh}？）/ "
            f"the row has {extra - width} more cells than the header (an unquoted {en} in a text?)")


def _check_last_row(last_text: str, rows: list[RawRow], data_rows: list[RawRow], width: int, truncated: bool) -> None:
    """The last row may be cut off (truncated file) or left inside an open quote."""
    if not data_rows or data_rows[-1] is not rows[-1] or rows[-1].cells is None or rows[-1].error:
        return
    last = rows[-1]
    open_quote = _unterminated_quote(last_text)
    if truncated or (not last_text.endswith(("\n", "\r")) and (open_quote or len(last.cells) < width)):
        last.error = "该行不完整，文件可能被截断 / incomplete row: the file looks truncated"
        last.raw_text = json.dumps(last.cells, ensure_ascii=False)
        last.cells = None
    elif open_quote:
        last.error = ("引号未闭合：该行的引号一直延续到文件末尾 / "
                      "unclosed quote: this row's quote runs on to the end of the file")


def _unterminated_quote(last_text: str) -> bool:
    try:
        for _ in csv.reader(io.StringIO(last_text, newline=""), strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False
