"""Platform export layouts as shops download them (refunds without a type column, complaint
lists, 饿了么/抖店/快手/有赞/京东到家 files, bare ratings, footers, re-exports of reviews without a
review id), imported into real databases (SQLite and PostgreSQL). The files are written here."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select, update

from feedback.importing import ImportFileError, import_file
from feedback.importing.records import content_key
from feedback.models import ImportBatch, LedgerEntry, Product, RejectedRow, Review, Ticket
from feedback.services.pipeline import classify_and_ledger
from feedback.services.workflow_config import WorkflowConfig

from .. import workflow_helpers as wh
from . import web_factories as wf
from .import_helpers import csv_bytes, write


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def xlsx(path, rows):
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def tickets_by_id(session) -> dict:
    return {t.external_id: t for t in session.scalars(select(Ticket))}


# -- 1. ticket types real exports use; a complaint list -------------------------------------------

def test_refund_wordings_of_real_exports_are_refunds(dbsession, tmp_path):
    header = ["售后单号", "订单号", "售后类型", "售后原因", "退款金额", "申请时间", "问题描述"]
    wordings = ["全额退款", "全部退款", "未发货仅退款", "已发货仅退款", "退差价", "极速退款", "部分退款",
                "仅退款（已发货）", "退货退款（已发货）", "补寄商品"]
    rows = [[f"S{i}", f"O{i}", w, "质量问题", "10.00", "2026-11-03 09:05", f"类型 {w}"] for i, w in enumerate(wordings)]
    rows.append(["S99", "O99", "维修", "坏了", "", "2026-11-03 09:05", ""])
    result = import_file(dbsession, write(tmp_path / "t.csv", csv_bytes(header, rows)), "tickets", platform="抖店")
    assert (result.inserted, result.rejected, result.platform) == (len(wordings), 1, "douyin")
    types = {t.external_id: t.ticket_type for t in dbsession.scalars(select(Ticket))}
    assert [types[f"S{i}"] for i in range(7)] == ["refund"] * 7
    assert (types["S7"], types["S8"], types["S9"]) == ("refund", "return", "resend")
    reason = dbsession.scalar(select(RejectedRow.reason).where(RejectedRow.import_batch_id == result.import_batch_id))
    assert "unknown ticket type: 维修" in reason


def test_a_meituan_complaint_list_imports_as_complaints_without_a_mapping(dbsession, tmp_path):
    header = ["投诉单号", "订单号", "门店名称", "投诉类型", "投诉内容", "投诉时间", "处理状态", "处理结果"]
    rows = [["TS001", "800000001105000000", "老王黄焖鸡(望京店)", "食品安全", "吃完上吐下泻，要求赔偿",
             "2026年11月10日 15:57", "已处理", "已赔付"],
            ["TS002", "800000001105000013", "老王黄焖鸡(望京店)", "商家服务态度差", "打电话给商家被挂断",
             "2026年11月11日 8:10", "处理中", ""]]
    path = write(tmp_path / "投诉.csv", b"\xef\xbb\xbf" + csv_bytes(header, rows))
    result = import_file(dbsession, path, "tickets", platform="美团")
    assert (result.inserted, result.rejected, result.platform) == (2, 0, "meituan")
    t = tickets_by_id(dbsession)["TS001"]
    assert (t.ticket_type, t.reason, t.text, t.status) == ("complaint", "食品安全", "吃完上吐下泻，要求赔偿", "已处理")
    assert t.opened_at == dt.datetime(2026, 11, 10, 15, 57) and t.platform_order_id == "800000001105000000"
    assert t.raw == {"处理结果": "已赔付"}  # 处理状态 is the status; 处理结果 stays in raw
    again = import_file(dbsession, path, "tickets", platform="meituan")
    assert (again.inserted, again.duplicates) == (0, 2)


# -- 2. Taobao 退款管理: no type column ------------------------------------------------------------

TAOBAO_REFUND_HEADER = ["订单编号", "退款编号", "支付宝交易号", "订单付款时间", "宝贝ID", "宝贝标题", "商家编码",
                        "买家实际支付金额", "买家退款金额", "手工退款/系统退款", "售中或售后", "是否需要退货",
                        "退款的申请时间", "超时时间", "退款状态", "货物状态", "退货物流信息", "买家会员名称", "退款原因",
                        "退款说明", "完结时间"]


def taobao_refund(n, needs_return, text="拍错了", amount="￥59.90"):
    return [f"398000000000{n:07d}", f"2100000000{n:08d}", f"2026110322001{n:06d}", "2026-10-29 08:00:00",
            f"6000000000{n:02d}", "嘉兴鲜肉粽子 8只装", "ZZ-8-001", amount, amount, "系统退款", "售后",
            needs_return, "2026-11-01 08:00:00", "", "退款成功", "买家已收到货", "", f"tb_buyer{n}", "质量问题",
            text, "2026-11-03 08:00:00"]


def test_a_taobao_refund_export_without_a_type_column(dbsession, tmp_path):
    rows = [taobao_refund(1, "否"), taobao_refund(2, "是", "包装破了"), taobao_refund(3, "", amount="1,299.00")]
    path = write(tmp_path / "退款.csv", csv_bytes(TAOBAO_REFUND_HEADER, rows, encoding="gbk"))
    result = import_file(dbsession, path, "tickets")
    assert (result.inserted, result.rejected, result.platform) == (3, 0, "taobao")
    by_id = tickets_by_id(dbsession)
    one, two, three = (by_id[f"2100000000{n:08d}"] for n in (1, 2, 3))
    assert (one.ticket_type, two.ticket_type, three.ticket_type) == ("refund", "return", "refund")
    assert one.amount == Decimal("59.90") and three.amount == Decimal("1299.00")
    assert one.opened_at == dt.datetime(2026, 11, 1, 8) and one.closed_at == dt.datetime(2026, 11, 3, 8)
    assert (one.buyer_nick, one.status, one.reason, one.text) == ("tb_buyer1", "退款成功", "质量问题", "拍错了")
    assert one.sku == "ZZ-8-001" and dbsession.get(Product, one.product_id).name == "嘉兴鲜肉粽子 8只装"  # not 宝贝ID
    assert one.raw["是否需要退货"] == "否" and one.raw["买家实际支付金额"] == "￥59.90"


def test_a_refund_list_without_type_or_return_column_is_refunds(dbsession, tmp_path):
    header = ["退款单号", "订单号", "退款原因", "退款金额", "申请时间"]
    path = write(tmp_path / "r.csv", csv_bytes(header, [["R1", "O1", "少件", "5", "2026-11-01"]]))
    result = import_file(dbsession, path, "tickets", platform="youzan")
    assert result.inserted == 1 and dbsession.scalars(select(Ticket)).one().ticket_type == "refund"


def test_the_no_type_column_error_names_every_column(dbsession, tmp_path):
    header = ["售后编号"] + [f"列{i:02d}" for i in range(2, 23)] + ["最后一列"]
    path = write(tmp_path / "t.csv", csv_bytes(header, [["S1"] + [""] * 22]))
    with pytest.raises(ImportFileError) as info:
        import_file(dbsession, path, "tickets", platform="pdd")
    message = str(info.value)
    assert "no ticket_type column" in message and "(23)" in message
    assert "列21" in message and "最后一列" in message


# -- 3. buyer text, result, closing time and account columns ---------------------------------------

def test_buyer_words_status_closing_time_and_account_columns(dbsession, tmp_path):
    pdd = ["售后编号", "订单编号", "商品ID", "商品名称", "商品规格", "售后类型", "售后原因", "售后状态", "申请时间",
           "退款金额", "用户留言", "售后完结时间"]
    import_file(dbsession, write(tmp_path / "pdd.csv", b"\xef\xbb\xbf" + csv_bytes(pdd, [
        ["9120000000", "261104-000066000000000", "4000000000", "阳澄湖大闸蟹 8只", "5斤装", "仅退款", "质量问题",
         "退款成功", "2026-11-03 08:26:34", "19.90", "死了两只蟹，发臭", "2026-11-04 08:26:34"]])), "tickets")
    meituan = ["门店名称", "订单号", "下单时间", "退款类型", "退款原因", "退款金额", "申请时间", "处理结果", "处理时间",
               "顾客留言", "顾客昵称"]
    xlsx(tmp_path / "mt.xlsx", [meituan, ["老王黄焖鸡(望京店)", "800000001104000000", "2026-11-08 14:31", "全额退款",
                                          "商品少送", "¥8.00", "2026-11-08 15:31", "同意退款", None, "少送了一份米饭",
                                          "美团用户00"]])
    mt = import_file(dbsession, tmp_path / "mt.xlsx", "tickets")
    jd = ["服务单号", "订单号", "商品编号", "商品名称", "服务类型", "申请原因", "问题描述", "申请时间", "服务单状态",
          "退款金额", "客户账号", "处理结果"]
    import_file(dbsession, write(tmp_path / "jd.csv", csv_bytes(jd, [
        ["1600000000", "298700000000", "100012345678", "每日坚果", "退货", "商品质量问题", "坚果有哈喇味",
         "2026-11-02 15:13:17", "完成", "59.9", "jd_user0", "已退款"]])), "tickets")
    by_id = tickets_by_id(dbsession)
    p = by_id["9120000000"]
    assert (p.platform, p.text, p.status, p.closed_at) == ("pdd", "死了两只蟹，发臭", "退款成功",
                                                           dt.datetime(2026, 11, 4, 8, 26, 34))
    assert p.sku == "4000000000" and dbsession.get(Product, p.product_id).name == "阳澄湖大闸蟹 8只"
    m = dbsession.scalars(select(Ticket).where(Ticket.import_batch_id == mt.import_batch_id)).one()
    assert (m.platform, m.ticket_type, m.text, m.status, m.buyer_nick) == (
        "meituan", "refund", "少送了一份米饭", "同意退款", "美团用户00")
    j = by_id["1600000000"]
    assert (j.buyer_nick, j.status, j.text) == ("jd_user0", "完成", "坚果有哈喇味")  # 服务单状态 over 处理结果
    assert j.raw == {"处理结果": "已退款"}


# -- 4. platforms: codes, names, title lines; no guess from shared columns ---------------------------

KUAISHOU_HEADER = ["订单编号", "商品ID", "商品名称", "SKU名称", "评价等级", "评价星级", "评价内容", "评价时间", "追评内容",
                   "买家昵称"]


def kuaishou_row(n, text="好吃"):
    return [f"24110300000{n:05d}", "200000000000", "每日坚果 25g*30包", "500g/袋", "好评", "5星", text,
            "2026-11-07 08:18:42", "", f"快手用户{n}"]


def test_a_header_of_shared_columns_names_no_platform_and_nothing_is_written(dbsession, tmp_path):
    before = (count(dbsession, Review), count(dbsession, ImportBatch), count(dbsession, RejectedRow))
    path = write(tmp_path / "ks.csv", csv_bytes(KUAISHOU_HEADER, [kuaishou_row(1)], encoding="gbk"))
    with pytest.raises(ImportFileError) as info:  # 评价星级 and 商品规格 are not JD's or Pinduoduo's alone
        import_file(dbsession, path, "reviews")
    assert "--platform" in str(info.value) and "kuaishou 快手" in str(info.value)
    store = ["门店名称", "门店编号", "订单编号", "评价时间", "订单评分", "商品评分", "配送评分", "评价内容", "用户账号"]
    with pytest.raises(ImportFileError) as info:  # 门店名称 is not Meituan's alone
        import_file(dbsession, write(tmp_path / "dj.csv", csv_bytes(store, [
            ["永辉超市(望京店)", "11935711", "2611030000000", "2026-11-11 08:10:50", "2", "5", "5", "不新鲜", "jddj_0"]])),
            "reviews")
    assert "美团、饿了么、京东到家" in str(info.value)
    assert (count(dbsession, Review), count(dbsession, ImportBatch), count(dbsession, RejectedRow)) == before
    # with the platform named, in Chinese: stored as that platform, 订单评分 is the rating
    result = import_file(dbsession, tmp_path / "dj.csv", "reviews", platform="京东到家")
    review = dbsession.scalars(select(Review)).one()
    assert (result.platform, review.platform, review.rating_stars, review.buyer_nick) == ("jddj", "jddj", 2, "jddj_0")
    result = import_file(dbsession, path, "reviews", platform="快手")
    assert (result.inserted, result.platform) == (1, "kuaishou")


@pytest.mark.parametrize("name, code", [("饿了么", "eleme"), ("抖音", "douyin"), ("抖店", "douyin"), ("快手", "kuaishou"),
                                        ("有赞", "youzan"), ("京东到家", "jddj"), ("天猫", "tmall"), ("淘宝", "taobao")])
def test_a_platform_column_takes_the_chinese_names(dbsession, tmp_path, name, code):
    header = ["平台", "订单号", "评价内容", "评分", "评价时间"]
    path = write(tmp_path / "p.csv", csv_bytes(header, [[name, "O1", "太咸了", "2", "2026-11-05"]]))
    result = import_file(dbsession, path, "reviews")
    assert result.inserted == 1 and dbsession.scalars(select(Review.platform)).one() == code


def test_a_title_line_naming_the_platform_decides_it(dbsession, tmp_path):
    header = ["门店名称", "门店ID", "订单编号", "评价时间", "用户名", "订单评分", "口味评分", "包装评分", "配送评分",
              "评价内容", "商品评价"]
    path = xlsx(tmp_path / "elm.xlsx", [["饿了么商家版-评价管理导出 2026-11-01至2026-11-30"], header,
                                        ["川香麻辣烫(中关村店)", "E000001688", "5000000020261100000", "2026/11/04 15:39",
                                         "e_user_0", 1, 1, 4, 5, "汤是凉的", "麻辣烫(踩)"]])
    result = import_file(dbsession, path, "reviews")
    assert (result.inserted, result.platform) == (1, "eleme")
    assert any("饿了么" in n and "title line" in n for n in result.notes)
    review = dbsession.scalars(select(Review)).one()
    assert (review.platform, review.rating_stars, review.buyer_nick) == ("eleme", 1, "e_user_0")


def test_a_column_named_after_the_platform_names_it_and_own_columns_still_do(dbsession, tmp_path):
    header = ["抖音订单号", "商品ID", "商品名称", "商品规格", "商品评分", "评价内容", "评价时间"]
    result = import_file(dbsession, write(tmp_path / "dy.csv", csv_bytes(header, [
        ["6900000000088000000", "3000000000000070000", "柳州螺蛳粉", "默认", "★★★★☆", "好吃", "2026/11/5 8:52"]])),
        "reviews")
    assert (result.platform, result.header_family) == ("douyin", "douyin")
    jd = ["订单号", "商品编号", "商品名称", "评价星级", "评价内容", "评价时间", "追加评价", "晒图数"]  # JD's own columns
    assert import_file(dbsession, write(tmp_path / "jd.csv", csv_bytes(jd, [["1", "2", "x", "5", "好", "2026-11-05", "",
                                                                             "0"]])), "reviews").platform == "jd"


def test_new_platforms_are_filters_and_reply_rules_in_the_web_ui(testapp, dbsession):
    admin = wf.user(dbsession, "admin")
    wf.login(testapp, admin.username)
    wf.complaint(dbsession, "汤洒了一半", platform="eleme", sku="SKU-ELM", categories=["logistics"],
                 occurred_at=dt.datetime(2026, 11, 2, 12))
    page = testapp.get("/ledger", {"platform": "eleme", "period": "all"})
    assert "饿了么" in page.html.select_one("#l-platform").text
    assert len(page.html.select("#ledger tbody tr")) == 1 and "饿了么" in page.html.select_one("#ledger tbody").text
    triage = testapp.get("/triage", {"platform": "douyin"})
    assert "抖音" in triage.html.select_one("#f-platform").text
    settings = testapp.get("/replies/settings")
    for label in ("饿了么", "抖音", "快手", "有赞", "京东到家"):
        assert label in settings.text


# -- 5. the product a review or ticket is about ---------------------------------------------------

def test_product_ids_and_names_attach_the_product_and_dishes_reach_the_ledger(dbsession, tmp_path):
    pdd = ["评价ID", "订单编号", "商品ID", "商品名称", "商品规格", "描述相符", "物流服务", "服务态度", "评价内容", "评价时间"]
    import_file(dbsession, write(tmp_path / "pdd.csv", csv_bytes(pdd, [
        ["7300000000", "261103-000058123400000", "4000000001", "流心蛋黄酥 6枚", "原味", "1", "5", "5",
         "蛋黄酥发霉了 FRESH", "2026-11-06 15:05:25"]], encoding="gb18030")), "reviews")
    meituan = ["门店名称", "订单号", "评价时间", "顾客昵称", "顾客类型", "总体评分", "口味", "菜品", "评价内容"]
    import_file(dbsession, write(tmp_path / "mt.csv", csv_bytes(meituan, [
        ["老王黄焖鸡(望京店)", "800000001103000385", "2026-11-07 08:18", "美团用户05", "新客", "1星", "1",
         "黄焖鸡米饭(踩)", "鸡肉不新鲜 FRESH"]])), "reviews")
    review = dbsession.scalars(select(Review).where(Review.platform == "pdd")).one()
    assert review.sku == "4000000001" and review.product.name == "流心蛋黄酥 6枚"
    dish = dbsession.scalars(select(Review).where(Review.platform == "meituan")).one()
    assert dish.product_id is None and dish.raw["product_name"] == "黄焖鸡米饭(踩)"  # no SKU: no product row
    ids = [review.id, dish.id]
    classify_and_ledger(wh.savepoint_factory(dbsession), wh.FakeClassifier(), "review", ids, WorkflowConfig(),
                        force=True)
    names = dict(dbsession.execute(select(LedgerEntry.review_id, LedgerEntry.product_name)).all())
    assert names == {review.id: "流心蛋黄酥 6枚", dish.id: "黄焖鸡米饭(踩)"}
    assert count(dbsession, Product) == 1


# -- 7. a rating without a word ---------------------------------------------------------------------

def test_bare_ratings_are_stored_and_a_low_one_waits_in_triage(testapp, dbsession, tmp_path):
    header = ["评价ID", "订单编号", "商品名称", "描述相符", "评价内容", "评价时间", "买家昵称"]
    rows = [["P1", "261103-1", "蛋黄酥", "1", "", "2026-11-06 15:05", "多多用户1"],   # 1★, no word
            ["P2", "261103-2", "蛋黄酥", "5", " ", "2026-11-06 15:06", "多多用户2"],  # 5★, only a space
            ["P3", "261103-3", "蛋黄酥", "", "", "2026-11-06 15:07", "多多用户3"],    # nothing at all: rejected
            ["P4", "261103-4", "蛋黄酥", "2", "太甜了", "2026-11-06 15:08", "多多用户4"]]
    result = import_file(dbsession, write(tmp_path / "pdd.csv", csv_bytes(header, rows)), "reviews")
    assert (result.inserted, result.rejected) == (3, 1)
    reason = dbsession.scalar(select(RejectedRow.reason).where(RejectedRow.import_batch_id == result.import_batch_id))
    assert "missing review text (and no rating)" in reason
    stored = {r.external_id: r for r in dbsession.scalars(select(Review))}
    assert (stored["P1"].text, stored["P1"].rating_stars, stored["P1"].rating_level) == ("", 1, "bad")
    assert stored["P2"].text == ""
    # the classifier never sees an empty text; a bare 1★ is no complaint but waits in triage, 5★ is nothing
    classify_and_ledger(wh.savepoint_factory(dbsession), wh.FakeClassifier(), "review",
                        [stored[k].id for k in ("P1", "P2")], WorkflowConfig(), force=True)
    entries = {e.review_id: e for e in dbsession.scalars(select(LedgerEntry))}
    assert set(entries) == {stored["P1"].id}
    assert (entries[stored["P1"].id].status, entries[stored["P1"].id].rating_stars) == ("unsure", 1)
    manager = wf.user(dbsession, "manager")
    wf.login(testapp, manager.username)
    rows = testapp.get("/triage", {"platform": "pdd"}).html.select("tr[data-row]")
    assert len(rows) == 1 and "疑似投诉" in rows[0].text
    detail = testapp.get(f"/entries/{entries[stored['P1'].id].id}")
    assert "261103-1" in detail.text  # the entry opens: order number, no text


def test_taobao_placeholder_texts_count_as_no_text(dbsession, tmp_path):
    header = ["订单编号", "子订单编号", "宝贝名称", "商家编码", "初评等级", "评价内容", "评价时间"]
    rows = [["T1", "T1-1", "粽子", "ZZ-8-001", "好评", "此用户没有填写评价。", "2026-11-05 10:00"],
            ["T2", "T2-1", "粽子", "ZZ-8-001", "好评", "评价方未及时做出评价,系统默认好评!", "2026-11-05 10:00"],
            ["T3", "T3-1", "粽子", "ZZ-8-001", "差评", "此用户没有填写评价", "2026-11-05 10:00"],
            ["T4", "T4-1", "粽子", "ZZ-8-001", "", "此用户没有填写评价。", "2026-11-05 10:00"],
            ["T5", "T5-1", "粽子", "ZZ-8-001", "差评", "没有填写评价的都是好评吗？粽子是馊的", "2026-11-05 10:00"]]
    result = import_file(dbsession, write(tmp_path / "tb.csv", csv_bytes(header, rows, encoding="gbk")), "reviews")
    assert (result.inserted, result.rejected) == (4, 1)  # T4: a placeholder and no rating
    stored = {r.platform_order_id: r for r in dbsession.scalars(select(Review))}
    assert [stored[k].text for k in ("T1", "T2", "T3")] == ["", "", ""]
    assert stored["T1"].raw["评价内容"] == "此用户没有填写评价。"  # kept as it was exported
    assert stored["T5"].text.startswith("没有填写评价")


# -- 8. a footer line ---------------------------------------------------------------------------------

def test_a_summary_footer_is_skipped_with_a_note(dbsession, tmp_path):
    header = ["订单号", "商品编号", "商品名称", "评价星级", "评价内容", "评价时间", "追加评价"]
    body = csv_bytes(header, [["1", "100012345678", "坚果", "5", "好吃", "2026-11-03 09:05", ""],
                              ["2", "100012345678", "坚果", "1", "有哈喇味", "2026-11-03 09:06", ""]])
    result = import_file(dbsession, write(tmp_path / "jd.csv", body + "合计：共 2 条评价\r\n".encode()), "reviews")
    assert (result.inserted, result.rejected, result.total_rows) == (2, 0, 2)
    assert any("合计：共 2 条评价" in n and "summary line" in n for n in result.notes)
    path = xlsx(tmp_path / "jd.xlsx", [header, ["3", "100012345678", "坚果", 5, "好吃", "2026-11-03 09:05", None],
                                       ["总计", None, None, None, None, None, None]])
    result = import_file(dbsession, path, "reviews")
    assert (result.inserted, result.rejected) == (1, 0) and any("总计" in n for n in result.notes)


# -- 9. reviews without a review id: one per order and product --------------------------------------

JD_HEADER = ["订单号", "商品编号", "商品名称", "评价星级", "评价内容", "评价时间", "追加评价", "用户昵称", "晒图数"]


def jd_rows(nick="jd_0001", stars="1星", text="坚果有哈喇味", name="每日坚果 25g*30包"):
    return [["298765432100", "100012345678", name, stars, text, "2026-11-03 08:26:34", "", nick, "0"],
            ["298765432100", "100012345679", "广式腊肠", "5星", "好吃", "2026-11-03 08:30:00", "", nick, "1"]]


def test_a_re_export_with_a_masked_nick_or_an_edited_review_updates_in_place(dbsession, tmp_path):
    first = import_file(dbsession, write(tmp_path / "v1.csv", csv_bytes(JD_HEADER, jd_rows())), "reviews")
    assert first.inserted == 2
    masked = import_file(dbsession, write(tmp_path / "v2.csv", csv_bytes(JD_HEADER, jd_rows(nick="j***1",
                                                                                            name="【爆款】每日坚果"))),
                         "reviews")
    assert (masked.inserted, masked.updated) == (0, 2)
    edited = import_file(dbsession, write(tmp_path / "v3.csv", csv_bytes(JD_HEADER, jd_rows(
        nick="j***1", stars="5星", text="商家补发了，很满意"))), "reviews")
    assert (edited.inserted, edited.updated, edited.duplicates) == (0, 1, 1)
    reviews = {r.sku: r for r in dbsession.scalars(select(Review))}
    assert len(reviews) == 2
    assert (reviews["100012345678"].rating_stars, reviews["100012345678"].text, reviews["100012345678"].buyer_nick) == (
        5, "商家补发了，很满意", "j***1")
    assert reviews["100012345678"].dedupe_key == "o:298765432100|100012345678"


def test_reviews_stored_under_the_earlier_content_key_are_found_not_duplicated(dbsession, tmp_path):
    path = write(tmp_path / "v1.csv", csv_bytes(JD_HEADER, jd_rows()))
    import_file(dbsession, path, "reviews")
    # as an earlier version stored them: keyed by the content hash (order, SKU, nick, time, rating, text)
    for review in dbsession.scalars(select(Review)).all():
        legacy = content_key("reviews", {"order_id": review.platform_order_id, "sku": review.sku,
                                         "buyer_nick": review.buyer_nick, "reviewed_at": review.reviewed_at,
                                         "rating_stars": review.rating_stars, "rating_level": review.rating_level,
                                         "text": review.text})
        dbsession.execute(update(Review).where(Review.id == review.id).values(dedupe_key=legacy))
    dbsession.expire_all()
    again = import_file(dbsession, path, "reviews")
    assert (again.inserted, again.updated, again.duplicates) == (0, 0, 2)
    assert sorted(dbsession.scalars(select(Review.dedupe_key))) == ["o:298765432100|100012345678",
                                                                   "o:298765432100|100012345679"]
    edited = import_file(dbsession, write(tmp_path / "v2.csv", csv_bytes(JD_HEADER, jd_rows(stars="5星", text="好了"))),
                         "reviews")
    assert (edited.inserted, edited.updated) == (0, 1) and count(dbsession, Review) == 2


def test_a_meituan_review_edited_from_1_to_5_stars_is_one_review(dbsession, tmp_path):
    header = ["门店名称", "订单号", "评价时间", "顾客昵称", "总体评分", "菜品", "评价内容"]
    row = ["老王黄焖鸡(望京店)", "800000001103000770", "2026-11-12 15:23", "美团用户10", "1星", "黄焖鸡米饭(踩)",
           "吃出一根头发，恶心"]
    import_file(dbsession, write(tmp_path / "a.csv", csv_bytes(header, [row])), "reviews")
    row[4:] = ["5星", "黄焖鸡米饭(赞)", "商家重新送了一份，改成好评"]
    result = import_file(dbsession, write(tmp_path / "b.csv", csv_bytes(header, [row])), "reviews")
    assert (result.inserted, result.updated) == (0, 1)
    review = dbsession.scalars(select(Review)).one()
    assert (review.rating_stars, review.text) == (5, "商家重新送了一份，改成好评")
    assert json.dumps(review.raw, ensure_ascii=False).count("黄焖鸡米饭(赞)") == 1
