"""XLSX (openpyxl read-only; defusedxml is installed, so openpyxl parses with it): every sheet
with the table's header is read."""
from __future__ import annotations

import io
import zipfile

from .errors import ImportFileError
from .headers import HeaderMap, Mapping, normalize_header
from .rows import RawRow, Table, drop_footer, filled, split_header

SHEET_ROW_STEP = 1_000_000  # rows of a workbook's later sheets are numbered from a multiple of this


def read_xlsx(data: bytes, kind: str, mapping: Mapping | None) -> Table:
    import openpyxl  # imported here: slow to import, and only XLSX needs it

    try:
        zipfile.ZipFile(io.BytesIO(data)).testzip()
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - zip, xml and openpyxl errors alike
        raise ImportFileError(f"XLSX 文件已损坏或被截断 / the XLSX file is damaged or truncated ({type(exc).__name__})") from None
    sheets, skipped, first_error, footers = [], [], None, []
    try:
        for sheet in workbook.worksheets:
            rows = [RawRow(n, list(values)) for n, values in enumerate(sheet.iter_rows(values_only=True), 1)]
            try:
                header, data_rows = split_header(rows, kind, mapping)
                sheets.append((sheet.title, header, data_rows))
                footers.append((sheet.title, drop_footer(header, data_rows)))
            except ImportFileError as exc:
                first_error = first_error or exc
                if any(r.cells and any(filled(c) for c in r.cells) for r in rows):
                    skipped.append(sheet.title)
    except Exception as exc:  # noqa: BLE001
        raise ImportFileError(f"XLSX 文件已损坏或被截断 / the XLSX file is damaged or truncated ({type(exc).__name__})") from None
    finally:
        workbook.close()
    if not sheets:
        raise first_error or ImportFileError("XLSX 中没有工作表 / the workbook has no sheet")
    table = _join_sheets(sheets, skipped, kind)
    for name, notes in footers:
        table.notes.extend(notes if len(sheets) == 1 else [f"「{name}」{note}" for note in notes])
    return table


def _join_sheets(sheets: list, skipped: list[str], kind: str) -> Table:
    """Every sheet with the first one's header is imported (exports split long lists over sheets).
    Row numbers stay unique and readable: a later sheet's row n is numbered k * SHEET_ROW_STEP + n."""
    title, header, rows = sheets[0]
    table = Table(header=header, rows=list(rows), file_format="xlsx")
    zh, en = ("评价表", "a reviews table") if kind == "reviews" else ("售后表", "a tickets table")
    for name in skipped:
        table.notes.append(f"工作表「{name}」不是{zh}，未导入 / sheet \"{name}\" is not {en}: not imported")
    shape = _shape(header)
    last = max([r.number for r in rows], default=0)
    for name, other, other_rows in sheets[1:]:
        if _shape(other) != shape:
            table.notes.append(f"工作表「{name}」的表头与「{title}」不同，未导入：请另存为单独的文件再导入 / "
                               f"sheet \"{name}\" has another header than \"{title}\": not imported; "
                               "save it as a file of its own and import that")
            continue
        offset = (last // SHEET_ROW_STEP + 1) * SHEET_ROW_STEP
        for row in other_rows:
            row.number += offset
        table.rows.extend(other_rows)
        last = max([offset] + [r.number for r in other_rows])
        table.notes.append(f"工作表「{name}」也已导入，其第 n 行记为第 {offset} + n 行 / "
                           f"sheet \"{name}\" imported too: its row n is numbered {offset} + n")
    return table


def _shape(header: HeaderMap) -> list[str]:
    names = [normalize_header(c) for c in header.columns]
    while names and not names[-1]:
        names.pop()
    return names
