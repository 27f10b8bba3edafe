"""Reading files: encodings, formats, header families, mapping files. No database here."""
import io
import json

import openpyxl
import pytest

from feedback.importing import ImportFileError, decode, load_mapping, read_bytes
from feedback.importing.headers import match_header
from feedback.importing.records import build_record

REVIEW_CSV = "订单编号,宝贝名称,初评等级,评价内容,评价时间,追评内容\r\n1001,草莓,差评,草莓烂了一半,2024-03-05 12:00,\r\n"


def cells(table):
    return [row.cells for row in table.rows]


@pytest.mark.parametrize("encoding, prefix, expected", [
    ("utf-8", b"", "utf-8"),
    ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
    ("gbk", b"", "gb18030"),
    ("gb18030", b"", "gb18030"),
])
def test_each_encoding_is_detected_without_being_told(encoding, prefix, expected):
    data = prefix + REVIEW_CSV.encode(encoding)
    table = read_bytes(data, "reviews", filename="x.csv")
    assert table.encoding == expected
    assert table.rows[0].cells[3] == "草莓烂了一半"
    assert table.header.columns[0] == "订单编号"  # the BOM is not part of the first header


def test_gb18030_only_characters_survive():
    # 𠮷 is outside GBK: only GB18030 (4-byte sequence) encodes it.
    text = "评价内容,评价时间\n𠮷野家的饺子太咸,2024-03-05\n"
    table = read_bytes(text.encode("gb18030"), "reviews", filename="x.csv")
    assert table.rows[0].cells[0] == "𠮷野家的饺子太咸"


def test_one_row_gbk_file_is_not_mistaken_for_utf8():
    data = "评价内容\n好吃\n".encode("gbk")
    assert decode(data)[1] == "gb18030"
    assert decode(data)[0] == "评价内容\n好吃\n"


def test_mixed_line_endings_and_quoted_newlines():
    data = ("评价内容,评价时间\r\n第一条,2024-03-05\n\"第二条\r\n有换行\",2024-03-06\r第三条,2024-03-07\n").encode()
    table = read_bytes(data, "reviews", filename="x.csv")
    assert [r.cells[0] for r in table.rows] == ["第一条", "第二条\r\n有换行", "第三条"]


def test_tab_separated_and_title_line_before_header():
    data = "评价导出 2024-03-05\n\n评价内容\t评价星级\t商品编号\n好吃\t5\tSKU1\n".encode()
    table = read_bytes(data, "reviews", filename="x.txt")
    assert table.file_format == "tsv"
    assert table.header.family == "jd"
    assert cells(table) == [["好吃", "5", "SKU1"]]


def test_a_1mb_cell_is_read():
    big = "很" * (1024 * 1024)
    data = f"评价内容,评价时间\n\"{big}\",2024-03-05\n".encode()
    table = read_bytes(data, "reviews", filename="x.csv")
    assert len(table.rows[0].cells[0]) == 1024 * 1024


@pytest.mark.parametrize("data, message", [
    (b"", "为空"),
    (b"\xef\xbb\xbf  \r\n", "为空"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "不是表格"),
    (bytes(range(256)) * 4, "二进制"),
    (b"PK\x03\x04\x14\x00\x00\x00\x08\x00truncated", "XLSX"),
    ("name,price\napple,3\n".encode(), "无法识别表头"),
])
def test_files_that_are_not_tables_get_one_clear_error(data, message):
    with pytest.raises(ImportFileError) as info:
        read_bytes(data, "reviews", filename="x.csv")
    assert message in str(info.value)


def test_truncated_utf8_file_keeps_good_rows_and_flags_the_last():
    data = "评价内容,评价时间\n好吃,2024-03-05\n草莓烂了一半,2024-03".encode()[:-1]
    data = "评价内容,评价时间\n好吃,2024-03-05\n草莓烂".encode()[:-1]  # cut inside 烂
    table = read_bytes(data, "reviews", filename="x.csv")
    assert table.encoding == "utf-8"
    assert table.rows[0].error is None
    assert "截断" in table.rows[-1].error


def _xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_and_truncated_xlsx():
    import datetime as dt

    data = _xlsx([["订单号", "评价ID", "商品编号", "评价星级", "评价内容", "评价时间"],
                  [123456789012, "R1", "100012345678", 5, "好吃", dt.datetime(2024, 3, 5, 12)]])
    table = read_bytes(data, "reviews", filename="jd.xlsx")
    assert table.file_format == "xlsx" and table.header.family == "jd"
    assert table.rows[0].cells[:5] == [123456789012, "R1", "100012345678", 5, "好吃"]
    with pytest.raises(ImportFileError) as info:
        read_bytes(data[: len(data) // 2], "reviews", filename="jd.xlsx")
    assert "截断" in str(info.value)


def test_json_lines_with_one_bad_line_and_json_array():
    data = '{"text": "好吃", "rating": 5}\n{broken\n{"text": "难吃", "rating": 1}\n'.encode()
    table = read_bytes(data, "reviews", filename="r.jsonl")
    assert table.file_format == "jsonl" and table.header.family == "canonical"
    assert [r.number for r in table.rows] == [1, 2, 3]
    assert table.rows[1].error and "JSON" in table.rows[1].error
    arr = json.dumps({"platform": "jd", "items": [{"text": "好吃"}, 3]}).encode()
    table = read_bytes(arr, "reviews", filename="r.json")
    assert table.platform == "jd" and table.rows[1].error
    with pytest.raises(ImportFileError):
        read_bytes(b'[{"text": "x"', "reviews", filename="r.json")


HEADER_FAMILIES = [
    ("taobao", ["订单编号", "子订单编号", "宝贝名称", "商家编码", "初评等级", "评价内容", "评价时间", "追评内容", "追评时间",
                "买家会员名", "图片"]),
    ("jd", ["订单号", "商品编号", "商品名称", "评价星级", "评价内容", "评价时间", "追加评价", "追加评价时间", "用户昵称", "晒图数"]),
    ("pdd", ["订单号", "评价ID", "商品名称", "商品规格", "描述相符", "物流服务", "服务态度", "评价内容", "评价时间", "买家昵称"]),
    ("meituan", ["订单编号", "门店名称", "菜品", "总体评分", "口味", "包装", "配送", "评价内容", "评价时间", "顾客昵称", "顾客类型"]),
]


@pytest.mark.parametrize("family, header", HEADER_FAMILIES)
def test_each_header_family_is_recognized_and_names_its_platform(family, header):
    result = match_header(header, "reviews")
    assert result.family == family
    assert result.platform == family
    assert "text" in result.fields.values() and "reviewed_at" in result.fields.values()
    assert "rating" in result.fields.values() or "rating_level" in result.fields.values()


@pytest.mark.parametrize("header", [
    ["订单编号", "商品ID", "商品名称", "SKU名称", "评价等级", "评价星级", "评价内容", "评价时间", "买家昵称"],  # 快手
    ["评价ID", "订单ID", "商品ID", "商品名称", "商品规格", "商品评分", "物流评分", "服务评分", "评价内容", "评价时间"],  # 抖店
    ["评价时间", "订单号", "商品名称", "商品规格", "评分", "评价内容", "追评内容", "买家", "手机号"],  # 有赞
    ["门店名称", "门店编号", "订单编号", "评价时间", "订单评分", "商品评分", "配送评分", "评价内容", "用户账号"],  # 京东到家
    ["门店名称", "门店ID", "订单编号", "评价时间", "用户名", "订单评分", "口味评分", "包装评分", "评价内容"],  # 饿了么
])
def test_shared_columns_name_no_platform(header):
    result = match_header(header, "reviews")
    assert result.platform is None and result.family == "chinese"
    assert "rating" in result.fields.values()


def test_main_columns_win_over_secondary_ones_whatever_their_order():
    fields = match_header(["商品ID", "商家编码", "商品评分", "订单评分", "评价内容"], "reviews").fields
    assert (fields[1], fields[3]) == ("sku", "rating") and 0 not in fields and 2 not in fields
    tickets = match_header(["处理结果", "处理状态", "投诉类型", "投诉原因", "投诉内容"], "tickets")
    assert tickets.fields == {1: "status", 3: "reason", 4: "text"} and tickets.default_ticket_type == "complaint"
    assert match_header(["处理结果", "投诉类型", "投诉内容"], "tickets").fields == {0: "status", 1: "reason", 2: "text"}


def test_a_title_line_and_a_footer():
    data = ("抖店 评价导出 2026-11\n订单号,评价内容,评分\n1,好吃,5\n2,难吃,1\n合计：共 2 条\n").encode()
    table = read_bytes(data, "reviews", filename="x.csv")
    assert table.header.platform == table.header.title_platform == "douyin"
    assert [r.cells[0] for r in table.rows] == ["1", "2"] and "合计：共 2 条" in table.notes[0]
    # a last row that merely starts like a total is a review
    data = "订单号,评价内容,评分\n1,好吃,5\n2,合计买了三次都是坏的,1\n".encode()
    assert len(read_bytes(data, "reviews", filename="x.csv").rows) == 2
    data = "评价内容,评分\n好吃,5\n总计买了三次都是坏的,1\n".encode()
    assert len(read_bytes(data, "reviews", filename="x.csv").rows) == 2
    data = "订单号,评价内容,评分\n1,好吃,5\n合计,,6\n".encode()  # a total in a number column: a footer
    assert len(read_bytes(data, "reviews", filename="x.csv").rows) == 1


def test_remarks_under_the_total_are_footer_lines_too():
    data = ("订单号,评价内容,评分\n1,好吃,5\n合计：共 1 条评价\n备注：1-2 星为差评\n"
            "导出时间：2026-11-21 09:00,制表人：张三\n注：仅导出近 90 天内的评价\n").encode()
    table = read_bytes(data, "reviews", filename="x.csv")
    assert [r.cells[0] for r in table.rows] == ["1"]
    assert [n.split(" ")[1] for n in table.notes] == ["3", "4", "5", "6"]
    assert all("summary line" in n and "skipped" in n for n in table.notes)
    # a remark with no total above it, after a blank line (Ele.me), is one too
    data = "订单号,评价内容,评分\n1,好吃,5\n,,\n注：用户名已做隐私处理。\n".encode()
    assert len(read_bytes(data, "reviews", filename="x.csv").rows) == 1
    # only at the end, and a line with a value in the text or an id column is a row
    data = "订单号,评价内容,评分\n备注：鸭脖,太咸,2\n1,好吃,5\n".encode()
    assert len(read_bytes(data, "reviews", filename="x.csv").rows) == 2
    data = "订单号,评价内容,评分\n1,好吃,5\n注：鸭脖,发臭了\n".encode()
    assert len(read_bytes(data, "reviews", filename="x.csv").rows) == 2


def test_a_file_for_the_other_command_names_that_command():
    reviews = "订单编号,子订单编号,宝贝名称,初评等级,评价内容,评价时间\n1,1-1,粽子,差评,馊了,2026-11-05\n".encode()
    with pytest.raises(ImportFileError) as info:
        read_bytes(reviews, "tickets", filename="x.csv")
    assert "feedback import reviews" in str(info.value) and "--mapping" not in str(info.value)
    refunds = "退款编号,订单编号,退款原因,退款说明,退款金额,退款状态\nR1,1,质量问题,馊了,9.9,退款成功\n".encode()
    with pytest.raises(ImportFileError) as info:
        read_bytes(refunds, "reviews", filename="x.csv")
    assert "feedback import tickets" in str(info.value) and "--mapping" not in str(info.value)


def test_a_generic_after_sales_column_names_no_platform_and_eleme_dish_columns_are_read():
    header = match_header(["售后编号", "订单编号", "商品ID", "售后类型", "售后原因", "申请时间"], "tickets")
    assert header.platform is None and header.family == "chinese"
    assert match_header(["售后编号", "订单编号", "描述相符", "售后类型"], "tickets").platform == "pdd"
    for name in ("评价商品", "评价菜品"):
        assert "product_name" in match_header(["订单编号", name, "评价内容"], "reviews").fields.values()


def test_canonical_english_header():
    result = match_header(["platform", "review_id", "order_id", "sku", "rating", "text", "reviewed_at", "foo"], "reviews")
    assert result.family == "canonical"
    assert result.platform is None
    assert result.unknown == {7: "foo"}
    assert set(result.fields.values()) >= {"external_id", "order_id", "sku", "rating", "text", "reviewed_at"}


def test_ticket_headers():
    result = match_header(["退款编号", "订单编号", "退款类型", "退款原因", "退款金额", "退款状态", "申请时间"], "tickets")
    assert result.family == "taobao"
    assert set(result.fields.values()) == {"external_id", "order_id", "ticket_type", "reason", "amount", "status",
                                           "opened_at"}


def test_unknown_columns_are_kept_in_raw():
    header = match_header(["评价内容", "评价星级", "会员级别", "口味"], "reviews")
    rec = build_record("reviews", header, ["好吃", "５", "PLUS会员", "4"], platform_override=None,
                       platform_default="jd")
    assert rec["raw"] == {"会员级别": "PLUS会员", "口味": "4"}
    assert rec["rating_stars"] == 5 and rec["rating_level"] == "good"


@pytest.mark.parametrize("content, suffix", [
    ('{"买家说": "text", "打分": "rating", "单号": "order_id", "时间": "reviewed_at"}', ".json"),
    ('{"platform": "jd", "columns": {"买家说": "text", "打分": "rating", "单号": "order_id", "时间": "reviewed_at"}}', ".json"),
    ("# 自定义表\n[columns]\n买家说 = text\n打分 = rating\n单号 = order_id\n时间: reviewed_at\nplatform = 京东\n", ".ini"),
])
def test_mapping_file_formats(tmp_path, content, suffix):
    path = tmp_path / f"map{suffix}"
    path.write_text(content, encoding="utf-8")
    mapping = load_mapping(path, "reviews")
    data = "单号,买家说,打分,时间,备注\n9,太咸了,2,2024/3/5,加急\n".encode("gbk")
    table = read_bytes(data, "reviews", mapping=mapping, filename="custom.csv")
    assert table.header.family == "mapping"
    rec = build_record("reviews", table.header, table.rows[0].cells, platform_override=None,
                       platform_default=table.header.platform or "jd")
    assert (rec["order_id"], rec["text"], rec["rating_stars"], rec["platform"]) == ("9", "太咸了", 2, "jd")
    assert rec["raw"] == {"备注": "加急"}


def test_mapping_file_errors_are_clear(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"买家说": "comment_body"}', encoding="utf-8")
    with pytest.raises(ImportFileError) as info:
        load_mapping(path, "reviews")
    assert "comment_body" in str(info.value)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ImportFileError):
        load_mapping(path, "reviews")


def test_without_a_mapping_an_unknown_layout_is_refused_with_a_hint():
    with pytest.raises(ImportFileError) as info:
        read_bytes("单号,买家说\n1,好\n".encode(), "reviews", filename="x.csv")
    assert "--mapping" in str(info.value)


def test_row_errors_are_collected_in_chinese_and_english():
    header = match_header(["评价内容", "评价时间", "评分"], "reviews")
    with pytest.raises(ValueError) as info:
        build_record("reviews", header, ["", "昨天", "9"], platform_override=None, platform_default=None)
    message = str(info.value)
    for part in ("评价内容为空", "missing review text", "unparseable date", "1-5", "未知平台", "unknown platform"):
        assert part in message


def test_formula_like_text_is_kept_as_given():
    header = match_header(["评价内容"], "reviews")
    rec = build_record("reviews", header, ['=HYPERLINK("http://x","点我")'], platform_override="jd",
                       platform_default=None)
    assert rec["text"] == '=HYPERLINK("http://x","点我")'


# -- audit fixes: files real exports (or their users) produce -------------------------------------

TB_HEADER = "订单编号,子订单编号,初评等级,评价内容,评价时间\n"


def test_an_unclosed_quote_rejects_the_row_that_swallowed_the_next_lines():
    data = (TB_HEADER + 'U1,S1,好评,很好,2026-11-01\nU2,S2,差评,"太咸了 根本没法吃,2026-11-01\n'
            'U3,S3,好评,回购,2026-11-02\nU4,S4,中评,一般,2026-11-03\nU5,S5,好评,"正品"吗,2026-11-03\n'
            'U6,S6,好评,好,2026-11-04\n').encode()
    table = read_bytes(data, "reviews", filename="x.csv")
    assert [r.error for r in table.rows][0] is None and table.rows[-1].cells[0] == "U6"
    bad = table.rows[1]
    assert "引号未闭合" in bad.error and "unclosed quote" in bad.error and "3" in bad.error
    assert "U3,S3" in bad.cells[3]  # the raw stays with the rejected row
    # Quoted to the end of the file: the last row says so, whether or not a line break ends the file.
    tail = read_bytes((TB_HEADER + 'U1,S1,好评,好,2026-11-01\nU2,S2,差评,"太咸了,2026-11-02\n').encode(),
                      "reviews", filename="x.csv")
    assert "unclosed quote" in tail.rows[-1].error and tail.rows[-1].cells is not None


def test_a_real_multiline_review_still_imports():
    data = (TB_HEADER + 'U1,S1,差评,"第一行,还行\n第二行\r\n第三行",2026-11-01\nU2,S2,好评,好,2026-11-02\n').encode()
    table = read_bytes(data, "reviews", filename="x.csv")
    assert [r.error for r in table.rows] == [None, None]
    assert table.rows[0].cells[3] == "第一行,还行\n第二行\r\n第三行"


def _workbook(sheets: dict) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_every_xlsx_sheet_with_the_same_header_is_read_and_the_rest_named():
    header = ["订单编号", "子订单编号", "初评等级", "评价内容", "评价时间"]
    data = _workbook({
        "说明": [["本表由千牛导出"], ["请勿修改表头"]],
        "10月": [header, ["M1", "S1", "好评", "十月", "2026-10-05"]],
        "空白": [],
        "11月": [header, ["M2", "S2", "差评", "十一月一", "2026-11-05"], ["M3", "S3", "差评", "十一月二", "2026-11-06"]],
        "京东": [["订单号", "评价星级", "评价内容"], ["J1", 5, "好"]],
    })
    table = read_bytes(data, "reviews", filename="tb.xlsx")
    assert [(r.number, r.cells[3]) for r in table.rows] == [(2, "十月"), (1_000_002, "十一月一"), (1_000_003, "十一月二")]
    notes = "\n".join(table.notes)
    assert "「说明」" in notes and "「京东」" in notes and "空白" not in notes
    assert "「11月」" in notes and "1000000 + n" in notes


@pytest.mark.parametrize("data, delimiter_format", [
    ("订单编号;子订单编号;宝贝名称;评价内容;评价时间;图片\nT1;S1;牛肉;晒图;2026-11-01;"
     + ",".join(f"https://img.example.com/{i}.jpg" for i in range(9)) + "\nT2;S2;牛肉;有异物;2026-11-01;\n", "csv"),
    ("订单编号\t子订单编号\t评价内容\t评价时间\nT1\tS1\t好吃,好吃,好吃,好吃,真的好吃,,,\t2026-11-01\n"
     "T2\tS2\t一般\t2026-11-01\n", "tsv"),
])
def test_the_separator_is_the_one_that_splits_the_header(data, delimiter_format):
    table = read_bytes(data.encode(), "reviews", filename="x.csv")
    assert table.file_format == delimiter_format and table.header.family == "taobao"
    assert [r.cells[:2] for r in table.rows] == [["T1", "S1"], ["T2", "S2"]]
    assert all(r.error is None for r in table.rows)


def test_a_one_column_file_keeps_commas_in_its_text():
    table = read_bytes("评价内容\n好吃,好吃\n不错\n".encode(), "reviews", filename="x.csv")
    assert cells(table) == [["好吃,好吃"], ["不错"]]


def test_a_trailing_separator_in_the_header_does_not_make_the_last_row_truncated():
    data = (TB_HEADER.rstrip("\n") + ",\nQ1,S1,好评,很好吃,2026-11-01\nQ2,S2,差评,太咸了,2026-11-02").encode()
    table = read_bytes(data, "reviews", filename="x.csv")
    assert [r.error for r in table.rows] == [None, None]
    cut = read_bytes((TB_HEADER + "Q1,S1,好评,很好吃,2026-11-01\nQ2,S2,差评").encode(), "reviews", filename="x.csv")
    assert "truncated" in cut.rows[-1].error  # a row really cut short still is


def test_a_row_wider_than_the_header_is_rejected_but_empty_extra_cells_are_fine():
    data = ("订单编号,子订单编号,初评等级,评价时间,评价内容\n"
            "V1,S1,差评,2026-11-01,肉是臭的,吃了拉肚子,再也不买了\nV2,S2,好评,2026-11-01,好吃,,\n").encode()
    table = read_bytes(data, "reviews", filename="x.csv")
    assert "多出 2 列" in table.rows[0].error and "2 more cells than the header" in table.rows[0].error
    assert table.rows[0].cells[5] == "吃了拉肚子"  # kept for the rejected row
    assert table.rows[1].error is None
    semi = read_bytes("评价内容;评价时间\n好;2026-11-01;x\n".encode(), "reviews", filename="x.csv")
    assert "分号" in semi.rows[0].error and "semicolon" in semi.rows[0].error


def test_duplicate_header_names_keep_both_values():
    data = "备注,评价内容,备注,评价星级\n客服已回访,好吃,老客户,5\n".encode()
    table = read_bytes(data, "reviews", filename="x.csv")
    assert table.header.columns == ["备注", "评价内容", "备注_2", "评价星级"]
    rec = build_record("reviews", table.header, table.rows[0].cells, platform_override="jd", platform_default=None)
    assert rec["raw"] == {"备注": "客服已回访", "备注_2": "老客户"}


@pytest.mark.parametrize("codec, delimiter", [("utf-16-le", "\t"), ("utf-16-be", ",")])
def test_utf16_without_bom_is_decoded(codec, delimiter):
    text = REVIEW_CSV.replace(",", delimiter)
    table = read_bytes(text.encode(codec), "reviews", filename="x.csv")
    assert table.encoding == codec and table.rows[0].cells[3] == "草莓烂了一半"


@pytest.mark.parametrize("data, message", [
    ('<html xmlns:x="urn:schemas-microsoft-com:office:excel"><body><table><tr><td>评价内容</td></tr>'
     "<tr><td>好</td></tr></table></body></html>", "HTML"),
    ('<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet>'
     "<Table><Row><Cell><Data>评价内容</Data></Cell></Row></Table></Worksheet></Workbook>", "XML Spreadsheet 2003"),
])
def test_html_and_xml_tables_are_told_to_be_saved_as_xlsx(data, message):
    with pytest.raises(ImportFileError) as info:
        read_bytes(data.encode(), "reviews", filename="export.xls")
    assert message in str(info.value) and "另存为 .xlsx" in str(info.value) and "save it as .xlsx" in str(info.value)


def test_a_csv_named_xlsx_is_read_as_csv_with_a_note():
    table = read_bytes(REVIEW_CSV.encode("gbk"), "reviews", filename="评价.xlsx")
    assert table.file_format == "csv" and table.rows[0].cells[3] == "草莓烂了一半"
    assert any("read as CSV" in note for note in table.notes)
    with pytest.raises(ImportFileError) as info:  # binary, not a zip: still "damaged"
        read_bytes(bytes(range(256)) * 4, "reviews", filename="评价.xlsx")
    assert "XLSX" in str(info.value)
