"""Read a file into a header and rows, whatever its format and encoding.

Formats: CSV/TSV (any of \\n, \\r\\n, \\r line endings, even mixed), XLSX (openpyxl read-only;
defusedxml is installed, so openpyxl parses with it), JSON Lines, a JSON array (or an object with
"items", like the API body). Encodings are tried in a fixed order: BOM, strict UTF-8, GB18030
(a superset of GBK). Guessers are unreliable on short Chinese files; this order is not.

Everything that makes the file as a whole unreadable raises ImportFileError before anything is
written; a single bad line becomes a row with an ``error`` (it is rejected, the rest imported).
"""
from __future__ import annotations

import codecs
import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ImportFileError
from .headers import HeaderMap, Mapping, check_required, match_header

# Python's csv refuses fields over 128 KiB by default; a review with pasted logs can be larger.
csv.field_size_limit(max(csv.field_size_limit(), 256 * 1024 * 1024))

MAX_FILE_BYTES = 512 * 1024 * 1024
HEADER_SCAN_ROWS = 20  # a title line or two may precede the header

_BINARY_MAGIC = {
    b"\x89PNG": "PNG 图片 / PNG image",
    b"\xff\xd8\xff": "JPEG 图片 / JPEG image",
    b"GIF8": "GIF 图片 / GIF image",
    b"%PDF": "PDF 文档 / PDF document",
    b"\x1f\x8b": "gzip 压缩包 / gzip archive",
    b"Rar!": "RAR 压缩包 / RAR archive",
    b"7z\xbc\xaf": "7z 压缩包 / 7z archive",
    b"\xd0\xcf\x11\xe0": "旧版 Excel (.xls)，请另存为 .xlsx 或 CSV / legacy .xls, save as .xlsx or CSV",
    b"\x7fELF": "可执行文件 / executable",
}


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


def read_file(path: str | Path, kind: str, mapping: Mapping | None = None) -> Table:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImportFileError(f"文件过大 / file too large: {size} bytes (max {MAX_FILE_BYTES})")
        data = path.read_bytes()
    except IsADirectoryError:
        raise ImportFileError(f"这是一个目录，不是文件 / {path} is a directory") from None
    except FileNotFoundError:
        raise ImportFileError(f"文件不存在 / file not found: {path}") from None
    except OSError as exc:
        raise ImportFileError(f"无法读取文件 / cannot read {path}: {exc.strerror}") from None
    return read_bytes(data, kind, mapping=mapping, filename=path.name)


def read_bytes(data: bytes, kind: str, mapping: Mapping | None = None, filename: str = "") -> Table:
    ext = Path(filename).suffix.lower()
    body = data.lstrip(b"\xef\xbb\xbf").strip()
    if not body:
        raise ImportFileError("文件为空 / the file is empty")
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, kind, mapping)
    for magic, what in _BINARY_MAGIC.items():
        if data.startswith(magic):
            raise ImportFileError(f"不是表格文件：{what} / not a table file")
    if ext in (".xlsx", ".xlsm"):
        raise ImportFileError("XLSX 文件已损坏或被截断 / the XLSX file is damaged or truncated (not a zip archive)")
    if b"\x00" in data[:8192] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFileError("不是文本表格（含二进制数据）/ not a text table: the file contains binary data")
    text, encoding, truncated = decode(data)
    _reject_binary(text)
    stripped = text.lstrip()
    if ext in (".jsonl", ".ndjson") or (ext != ".json" and stripped.startswith("{") and "\n" in stripped.strip()
                                        and _looks_like_jsonl(stripped)):
        table = _read_jsonl(text, kind, mapping)
    elif ext == ".json" or stripped.startswith(("[", "{")):
        table = _read_json(text, kind, mapping)
    else:
        table = _read_csv(text, kind, mapping, truncated)
    table.encoding = encoding
    if truncated:
        table.notes.append("文件末尾不完整（可能被截断） / the file ends mid-character (truncated?)")
    return table


def read_records(items: list, kind: str, platform: str | None = None) -> Table:
    """API bodies: a list of JSON objects, read like a JSON file."""
    table = _records_table(list(enumerate(items, 0)), kind, None, "api", require=False)
    table.platform = platform
    return table


# -- encodings ---------------------------------------------------------------------------------

def decode(data: bytes) -> tuple[str, str, bool]:
    """(text, encoding, truncated): BOM, then strict UTF-8, then GB18030."""
    if data.startswith(codecs.BOM_UTF8):
        text, truncated = _decode_utf8(data[3:])
        if text is None:
            raise ImportFileError("文件声明为 UTF-8（含 BOM）但内容无效 / UTF-8 BOM but invalid UTF-8 content")
        return text, "utf-8-sig", truncated
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16", False
        except UnicodeDecodeError:
            raise ImportFileError("UTF-16 内容无效 / invalid UTF-16 content") from None
    text, truncated = _decode_utf8(data)
    if text is not None:
        return text, "utf-8", truncated
    try:
        return data.decode("gb18030"), "gb18030", False
    except UnicodeDecodeError:
        raise ImportFileError(
            "不是文本表格，或编码无法识别（支持 UTF-8、GBK、GB18030）/ "
            "not a text table, or an unknown encoding (UTF-8, GBK, GB18030 supported)"
        ) from None


def _decode_utf8(data: bytes) -> tuple[str | None, bool]:
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError as exc:
        # Cut off in the middle of the last character: UTF-8, truncated (not GB18030 mojibake).
        if exc.reason == "unexpected end of data" and exc.start >= len(data) - 3 and exc.start > 0:
            try:
                return data[:exc.start].decode("utf-8"), True
            except UnicodeDecodeError:
                return None, False
        return None, False


def _reject_binary(text: str) -> None:
    sample = text[:8192]
    if "\x00" in sample:
        raise ImportFileError("不是文本表格（含二进制数据）/ not a text table: the file contains binary data")
    control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n\x0c") + sample.count("\ufffd")
    if control > max(3, len(sample) // 100):
        raise ImportFileError("不是文本表格（含二进制数据）/ not a text table: the file contains binary data")


# -- CSV ---------------------------------------------------------------------------------------

def _sniff_delimiter(text: str) -> str:
    """The separator that is most frequent on some line among the first ones (a title line may come first)."""
    best = {d: 0 for d in (",", "\t", ";", "|")}
    for n, line in enumerate(io.StringIO(text[:65536], newline="")):
        if n >= HEADER_SCAN_ROWS:
            break
        for d in best:
            best[d] = max(best[d], line.count(d))
    choice = max(best, key=best.get)
    return choice if best[choice] else ","


def _read_csv(text: str, kind: str, mapping: Mapping | None, truncated: bool) -> Table:
    delimiter = _sniff_delimiter(text)
    # newline="" keeps \r, \n and \r\n as the csv module needs them, even mixed in one file.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[RawRow] = []
    number = 0
    try:
        for cells in reader:
            number += 1
            rows.append(RawRow(number, cells))
    except csv.Error as exc:
        if not rows:
            raise ImportFileError(f"CSV 无法解析 / CSV cannot be parsed: {exc}") from None
        rows.append(RawRow(number + 1, None, f"CSV 格式错误，其后内容无法读取 / malformed CSV from here on: {exc}"))
    header, data_rows = _split_header(rows, kind, mapping)
    ends_cleanly = text.endswith(("\n", "\r"))
    if data_rows and (truncated or not ends_cleanly):
        last = data_rows[-1]
        if last.cells is not None and (truncated or _unterminated_quote(text) or len(last.cells) < len(header.columns)):
            last.error = "该行不完整，文件可能被截断 / incomplete row: the file looks truncated"
            last.raw_text = json.dumps(last.cells, ensure_ascii=False)
            last.cells = None
    return Table(header=header, rows=data_rows, file_format="csv" if delimiter != "\t" else "tsv")


def _unterminated_quote(text: str) -> bool:
    try:
        for _ in csv.reader(io.StringIO(text[-200000:], newline=""), strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def _split_header(rows: list[RawRow], kind: str, mapping: Mapping | None) -> tuple[HeaderMap, list[RawRow]]:
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
    data_rows = [r for r in rows[best_index + 1:] if r.cells is None or any(_filled(c) for c in r.cells)]
    return best_header, data_rows


def _filled(cell) -> bool:
    return cell is not None and (not isinstance(cell, str) or bool(cell.strip()))


# -- XLSX --------------------------------------------------------------------------------------

def _read_xlsx(data: bytes, kind: str, mapping: Mapping | None) -> Table:
    import openpyxl  # imported here: slow to import, and only XLSX needs it

    try:
        zipfile.ZipFile(io.BytesIO(data)).testzip()
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - zip, xml and openpyxl errors alike
        raise ImportFileError(f"XLSX 文件已损坏或被截断 / the XLSX file is damaged or truncated ({type(exc).__name__})") from None
    try:
        chosen = None
        for sheet in workbook.worksheets:
            rows = [RawRow(n, list(values)) for n, values in enumerate(sheet.iter_rows(values_only=True), 1)]
            try:
                header, data_rows = _split_header(rows, kind, mapping)
            except ImportFileError as exc:
                chosen = chosen or exc
                continue
            return Table(header=header, rows=data_rows, file_format="xlsx", encoding=None)
    except Exception as exc:  # noqa: BLE001
        raise ImportFileError(f"XLSX 文件已损坏或被截断 / the XLSX file is damaged or truncated ({type(exc).__name__})") from None
    finally:
        workbook.close()
    raise chosen or ImportFileError("XLSX 中没有工作表 / the workbook has no sheet")


# -- JSON --------------------------------------------------------------------------------------

def _looks_like_jsonl(text: str) -> bool:
    first = text.split("\n", 1)[0].strip()
    try:
        return isinstance(json.loads(first), dict)
    except json.JSONDecodeError:
        return False


def _read_jsonl(text: str, kind: str, mapping: Mapping | None) -> Table:
    items: list = []
    for number, line in enumerate(io.StringIO(text, newline=None), 1):
        if not line.strip():
            continue
        try:
            items.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            items.append((number, RawRow(number, None, f"该行不是有效 JSON / invalid JSON on this line: {exc.msg}",
                                         raw_text=line.rstrip("\r\n")[:100000])))
    if not any(isinstance(v, dict) for _, v in items):
        raise ImportFileError("不是 JSON Lines 文件（没有一行是 JSON 对象）/ not JSON Lines: no line is a JSON object")
    return _records_table(items, kind, mapping, "jsonl")


def _read_json(text: str, kind: str, mapping: Mapping | None) -> Table:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(f"JSON 无法解析 / invalid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from None
    platform = None
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        platform = data.get("platform")
        data = data["items"]
    if not isinstance(data, list):
        raise ImportFileError("JSON 须为对象数组 / JSON must be an array of objects (or {\"items\": [...]})")
    table = _records_table(list(enumerate(data, 1)), kind, mapping, "json")
    table.platform = platform
    return table


def _records_table(items: list, kind: str, mapping: Mapping | None, file_format: str,
                   require: bool = True) -> Table:
    columns: dict[str, None] = {}
    for _, item in items:
        if isinstance(item, dict):
            for key in item:
                columns.setdefault(str(key), None)
    names = list(columns)
    header = match_header(names, kind, mapping)
    if names and require:
        check_required(header)
    rows: list[RawRow] = []
    for number, item in items:
        if isinstance(item, RawRow):
            rows.append(item)
        elif isinstance(item, dict):
            rows.append(RawRow(number, [item.get(name) for name in names]))
        else:
            rows.append(RawRow(number, None, "不是 JSON 对象 / not a JSON object",
                               raw_text=json.dumps(item, ensure_ascii=False, default=str)[:100000]))
    return Table(header=header, rows=rows, file_format=file_format)
