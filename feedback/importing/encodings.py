"""Bytes to text: BOM, UTF-16 without BOM (NUL bytes on one side only), strict UTF-8, GB18030
(a superset of GBK), in that fixed order (guessers are unreliable on short Chinese files); and
the files that are text but no table (binary, HTML or XML 2003 spreadsheets)."""
from __future__ import annotations

import codecs

from .errors import ImportFileError


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
    utf16 = _utf16_without_bom(data)
    if utf16:
        try:
            return data[:len(data) // 2 * 2].decode(utf16), utf16, len(data) % 2 == 1
        except UnicodeDecodeError:
            raise ImportFileError("看起来是 UTF-16 编码但内容无效，请另存为 UTF-8 / "
                                  "looks like UTF-16 but is invalid: save it as UTF-8") from None
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


def decode_text(data: bytes) -> tuple[str, str, bool]:
    if b"\x00" in data[:8192] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) \
            and not _utf16_without_bom(data):
        raise ImportFileError("不是文本表格（含二进制数据）/ not a text table: the file contains binary data")
    text, encoding, truncated = decode(data)
    _reject_binary(text)
    return text, encoding, truncated


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 saved without a BOM: ASCII characters (separators, digits, line ends) put their NUL
    byte always on the same side, odd positions for little-endian, even for big-endian (a few
    Chinese characters, like 一 U+4E00, put one on the other side)."""
    sample = data[:8192]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if max(even, odd) < max(4, len(sample) // 40) or min(even, odd) * 10 > max(even, odd):
        return None
    return "utf-16-le" if odd > even else "utf-16-be"


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


def reject_markup(text: str) -> None:
    """HTML tables saved as .xls (many platform exports) and Excel 2003 XML are not CSV."""
    if not text.startswith("<"):
        return
    head = text[:4096].lower()
    if "urn:schemas-microsoft-com:office:spreadsheet" in head or "<workbook" in head:
        zh, en = "XML 表格（Excel 2003 XML）", "an XML Spreadsheet 2003 table"
    elif head.startswith("<?xml") and "<html" not in head:
        raise ImportFileError("这是 XML 文件，不是 CSV/XLSX 表格 / an XML file, not a CSV/XLSX table")
    else:
        zh, en = "HTML 表格（平台导出的 .xls 常是这种）", "an HTML table (as many platform .xls exports are)"
    raise ImportFileError(f"这是 {zh}，不是 CSV/XLSX：请在 Excel 中打开并另存为 .xlsx / "
                          f"{en}, not CSV/XLSX: open it in Excel and save it as .xlsx")
