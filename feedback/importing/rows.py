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
# The remarks under it: 备注：…, 注：仅导出近 90 天内的评价, 导出时间：…, 制表人：… (a colon after the word).
_FOOTER_NOTE_RE = re.compile(
    r"^[\s*※#]*(?:备注|注|注意|说明|提示|温馨提示|数据说明|数据来源|导出时间|导出日期|导出人|制表人|制表时间|制表日期|"
    r"打印时间|打印人|生成时间|统计时间|统计周期|查询时间|审核人|note|exported(?:\s+at)?)\s*[:：]", re.I)


def drop_footer(header: HeaderMap, data_rows: list[RawRow]) -> list[str]:
    """Remove the lines at the end of the table that are no rows: summary lines (合计/总计/共 N 条)
    and the remarks under them (备注：/注：/导出时间：/制表人：…). Such a line has at most two cells
    filled, the first one reading so; a value in the text or an id column besides it makes the line
    a row (a last review that begins with 合计 and has a rating is a review). Returns the notes."""
    own = {i for i, name in header.fields.items() if name in ("text", "external_id", "sub_order_id", "order_id")}
    text_column = next((i for i, name in header.fields.items() if name == "text"), None)
    notes = []
    while data_rows:
        row = data_rows[-1]
        if row.cells is None or row.error:
            break
        filled_at = [i for i, c in enumerate(row.cells) if filled(c)]
        kind = _footer_kind(row.cells[filled_at[0]]) if filled_at else None
        second = filled_at[1] if len(filled_at) == 2 else None
        if (kind is None or len(filled_at) > 2
                or (second is not None and (filled_at[0] == text_column
                                            or (second in own and _footer_kind(row.cells[second]) is None)))):
            break
        data_rows.pop()
        line = " ".join(str(row.cells[i]).strip() for i in filled_at)[:60]
        zh, en = _FOOTER_NAMES[kind]
        notes.insert(0, f"第 {row.number} 行是{zh}，已跳过 / row {row.number} is {en}, skipped: {line}")
    return notes


_FOOTER_NAMES = {"summary": ("合计行", "a summary line"), "remark": ("表尾备注", "a footer note (a summary line)")}


def _footer_kind(cell) -> str | None:
    if not isinstance(cell, str):
        return None
    if _FOOTER_RE.match(cell):
        return "summary"
    return "remark" if _FOOTER_NOTE_RE.match(cell) else None


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
