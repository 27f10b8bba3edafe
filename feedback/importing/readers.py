"""Read a file into a header and rows, whatever its format and encoding: this module picks the
reader (``csv_reader``, ``xlsx_reader``, JSON Lines or a JSON array / an object with "items",
like the API body, here) after ``encodings`` has turned the bytes into text.

Everything that makes the file as a whole unreadable raises ImportFileError before anything is
written; a single bad line becomes a row with an ``error`` (it is rejected, the rest imported).
"""
from __future__ import annotations

import io
import json
from pathlib import Path

from .csv_reader import read_csv
from .encodings import decode, decode_text, reject_markup
from .errors import ImportFileError
from .headers import Mapping, check_required, match_header
from .rows import RawRow, Table
from .xlsx_reader import read_xlsx

__all__ = ["RawRow", "Table", "decode", "read_bytes", "read_file", "read_records"]

MAX_FILE_BYTES = 512 * 1024 * 1024

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
        return read_xlsx(data, kind, mapping)
    for magic, what in _BINARY_MAGIC.items():
        if data.startswith(magic):
            raise ImportFileError(f"不是表格文件：{what} / not a table file")
    try:
        text, encoding, truncated = decode_text(data)
    except ImportFileError:
        if ext in (".xlsx", ".xlsm"):
            raise ImportFileError("XLSX 文件已损坏或被截断 / the XLSX file is damaged or truncated (not a zip archive)") from None
        raise
    stripped = text.lstrip()
    reject_markup(stripped)
    if ext in (".jsonl", ".ndjson") or (ext != ".json" and stripped.startswith("{") and "\n" in stripped.strip()
                                        and _looks_like_jsonl(stripped)):
        table = _read_jsonl(text, kind, mapping)
    elif ext == ".json" or stripped.startswith(("[", "{")):
        table = _read_json(text, kind, mapping)
    else:
        table = read_csv(text, kind, mapping, truncated)
    table.encoding = encoding
    if ext in (".xlsx", ".xlsm"):  # a CSV renamed .xlsx: common, and readable
        table.notes.append(f"文件名为 {ext}，但内容是文本，已按 {table.file_format.upper()} 读取 / "
                           f"the file is named {ext} but holds text: read as {table.file_format.upper()}")
    if truncated:
        table.notes.append("文件末尾不完整（可能被截断） / the file ends mid-character (truncated?)")
    return table


def read_records(items: list, kind: str, platform: str | None = None) -> Table:
    """API bodies: a list of JSON objects, read like a JSON file."""
    table = _records_table(list(enumerate(items, 0)), kind, None, "api", require=False)
    table.platform = platform
    return table


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
