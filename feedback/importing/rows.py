"""What every reader produces: raw rows and a table with its recognized header."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import ImportFileError
from .headers import HeaderMap, Mapping, check_required, match_header, platform_named_in

HEADER_SCAN_ROWS = 20  # a title line or two may precede the header


@dataclass
class RawRow:
    number: int  # row number as a person sees it (spreadsheet row, or line for JSON Lines)
    cells: list | None
    error: str | None = None
    raw_text: str | None = None


@dataclass
class Table:
    header: HeaderMap
    rows: list[RawRow]
    file_format: str
    encoding: str | None = None
    platform: str | None = None  # from the file itself (JSON "platform", mapping)
    notes: list[str] = field(default_factory=list)


def split_header(rows: list[RawRow], kind: str, mapping: Mapping | None) -> tuple[HeaderMap, list[RawRow]]:
    """The header is the best-matching of the first rows (title lines may come first)."""
    best_index, best_header = None, None
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        if row.cells is None or not any(str(c or "").strip() for c in row.cells):
            continue
        header = match_header(row.cells, kind, mapping)
        if best_header is None or len(header.fields) > len(best_header.fields):
            best_index, best_header = index, header
    if best_header is None:
        raise ImportFileError("文件中没有表格内容 / the file holds no table")
    check_required(best_header)
    dedupe_names(best_header.columns)
    if mapping is None or mapping.platform is None:
        _platform_from_title(best_header, rows[:best_index])
    data_rows = [r for r in rows[best_index + 1:] if r.cells is None or any(filled(c) for c in r.cells)]
    return best_header, data_rows


def _platform_from_title(header: HeaderMap, title_rows: list[RawRow]) -> None:
    """A title line above the header that names one platform (饿了么商家版-评价管理导出 …) says
    who exported the file, more precisely than shared columns can."""
    text = " ".join(str(c) for r in title_rows if r.cells for c in r.cells if filled(c))
    named = platform_named_in(text)
    if len(named) == 1:
        header.platform = named.pop()
        header.title_platform = header.platform


# A summary line some exports end with: 合计：共 27 条评价, 总计 27 条, 共 27 条记录.
_FOOTER_RE = re.compile(r"^\s*(?:合计|总计|小计|共计|汇总|统计|total\b)|^\s*共\s*\d+\s*(?:条|行|笔|个)", re.I)


def drop_footer(header: HeaderMap, data_rows: list[RawRow]) -> list[str]:
    """Remove summary lines at the end of the table: at most two cells filled, the first reading
    合计/总计/共 N 条 (and, with a second cell, not in the text column: a last review that begins
    with 合计 and has a rating is a review). Returns the notes that say so."""
    text_column = next((i for i, name in header.fields.items() if name == "text"), None)
    notes = []
    while data_rows:
        row = data_rows[-1]
        if row.cells is None or row.error:
            break
        filled_at = [i for i, c in enumerate(row.cells) if filled(c)]
        first = row.cells[filled_at[0]] if filled_at else None
        if (not filled_at or len(filled_at) > 2 or not isinstance(first, str) or not _FOOTER_RE.match(first)
                or (len(filled_at) == 2 and filled_at[0] == text_column)):
            break
        data_rows.pop()
        line = " ".join(str(row.cells[i]).strip() for i in filled_at)[:60]
        notes.insert(0, f"第 {row.number} 行是合计行，已跳过 / row {row.number} is a summary line, skipped: {line}")
    return notes


def dedupe_names(columns: list[str]) -> None:
    """Two columns with one name (two 备注) would share one key in raw: the later ones get _2, _3."""
    seen = set(columns)
    counts: dict[str, int] = {}
    for i, name in enumerate(columns):
        if not name:
            continue
        counts[name] = counts.get(name, 0) + 1
        if counts[name] > 1:
            n = counts[name]
            while f"{name}_{n}" in seen:
                n += 1
            columns[i] = f"{name}_{n}"
            seen.add(columns[i])


def filled(cell) -> bool:
    return cell is not None and (not isinstance(cell, str) or bool(cell.strip()))
