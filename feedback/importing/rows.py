"""What every reader produces: raw rows and a table with its recognized header."""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import ImportFileError
from .headers import HeaderMap, Mapping, check_required, match_header

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
    data_rows = [r for r in rows[best_index + 1:] if r.cells is None or any(filled(c) for c in r.cells)]
    return best_header, data_rows


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
