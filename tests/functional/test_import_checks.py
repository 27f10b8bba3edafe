"""What an import checks beyond single cells: one key twice in a file, footer lines, implausible
dates, half stars, a file given to the wrong command, the platform a header cannot tell
(售后编号, Tmall's Taobao-style header, a batch moved to Tmall). Real databases, files written here."""
from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest
from sqlalchemy import func, select, update

from feedback.importing import ImportFileError, import_file
from feedback.importing.reassign import reassign_batch
from feedback.models import RejectedRow, Review, Ticket

from .import_helpers import csv_bytes, write
from .test_import_cli import feedback, scalar


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def rejected_reasons(session, batch_id) -> dict[int, str]:
    return dict(session.execute(select(RejectedRow.row_number, RejectedRow.reason)
                                .where(RejectedRow.import_batch_id == batch_id)).all())


def xlsx(path, rows, merged=()):
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    for cells in merged:
        wb.active.merge_cells(cells)
    wb.save(path)
    return path


def shop_time(**delta) -> dt.datetime:
    return (dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None, microsecond=0)
            + dt.timedelta(**delta))


TAOBAO = ["订单编号", "子订单编号", "宝贝名称", "商家编码", "初评等级", "评价内容", "评价时间"]


# -- one record key twice in one file -----------------------------------------------------------------

def test_a_later_row_with_an_earlier_rows_key_and_other_content_is_rejected(dbsession, tmp_path):
    rows = [["T1", "T1-1", "卤鸭脖", "YB-200", "差评", "鸭脖发臭了根本不能吃", "2026-11-25 10:00"],
            ["T2", "T2-1", "卤鸭脖", "YB-200", "好评", "好吃", "2026-11-25 10:01"],
            ["T1", "T1-1", "卤鸭脖", "YB-200", "好评", "好吃", "2026-11-25 10:05"],     # same sub-order, other review
            ["T2", "T2-1", "卤鸭脖", "YB-200", "好评", " 好吃", "2026-11-25 10:01"]]   # the same row again
    result = import_file(dbsession, write(tmp_path / "tb.csv", csv_bytes(TAOBAO, rows)), "reviews")
    assert (result.inserted, result.updated, result.duplicates, result.rejected) == (2, 0, 1, 1)
    reason = rejected_reasons(dbsession, result.import_batch_id)[4]
    assert "与第 2 行的记录键相同" in reason and "same record key as row 2" in reason and "id:sub:T1-1" in reason
    first = dbsession.scalars(select(Review).where(Review.platform_order_id == "T1")).one()
    assert (first.rating_level, first.text) == ("bad", "鸭脖发臭了根本不能吃")  # the complaint is not overwritten
    again = import_file(dbsession, tmp_path / "tb.csv", "reviews")
    assert (again.inserted, again.updated, again.duplicates, again.rejected) == (0, 0, 3, 1)


ELEME = ["店铺名称", "订单编号", "评价时间", "订单评分", "评价内容", "评价商品", "用户名"]


def eleme_rows():
    return [["老街坊卤味（回龙观店）", 5102938475619001, dt.datetime(2026, 11, 22, 12), 2, "鸭锁骨太咸了，齁得慌。", "鸭锁骨", "e***9"],
            ["老街坊卤味（回龙观店）", 5102938475619001, dt.datetime(2026, 11, 22, 12), 2, "凉拌木耳不新鲜，有酸味。", "凉拌木耳",
             "e***9"]]


@pytest.mark.parametrize("dish_column", ["评价商品", "评价菜品"])
def test_eleme_dish_columns_keep_two_dish_reviews_of_one_order_apart(dbsession, tmp_path, dish_column):
    header = [dish_column if c == "评价商品" else c for c in ELEME]
    path = xlsx(tmp_path / "elm.xlsx", [["饿了么商家版-评价管理导出"], header, *eleme_rows()])
    result = import_file(dbsession, path, "reviews")
    assert (result.platform, result.inserted, result.updated, result.rejected) == ("eleme", 2, 0, 0)
    stored = dict(dbsession.execute(select(Review.dedupe_key, Review.text)).all())
    assert stored == {"o:5102938475619001|鸭锁骨": "鸭锁骨太咸了，齁得慌。", "o:5102938475619001|凉拌木耳": "凉拌木耳不新鲜，有酸味。"}


def test_a_review_stored_before_the_dish_column_was_read_is_found_not_added_again(dbsession, tmp_path):
    path = xlsx(tmp_path / "elm.xlsx", [["饿了么商家版-评价管理导出"], ELEME, eleme_rows()[0]])
    import_file(dbsession, path, "reviews")
    # as the importer stored it while 评价商品 was no column of its own: keyed by the order alone
    dbsession.execute(update(Review).values(dedupe_key="o:5102938475619001|"))
    again = import_file(dbsession, path, "reviews")
    assert (again.inserted, again.duplicates) == (0, 1)
    assert dbsession.scalars(select(Review.dedupe_key)).all() == ["o:5102938475619001|鸭锁骨"]


# -- footer lines ----------------------------------------------------------------------------------

JD = ["订单号", "商品编号", "商品名称", "评价星级", "评价内容", "评价时间", "用户昵称"]


def test_totals_and_remarks_at_the_bottom_are_skipped_not_rejected(dbsession, tmp_path):
    rows = [["京东商家后台-评价管理-商品评价导出"] + [None] * 6, JD,
            [301234567890, 100045678901, "小龙虾尾", "5星", "虾尾很大个", dt.datetime(2026, 11, 9, 13, 5), "jd_1"],
            [301234567891, 100045678901, "小龙虾尾", "1星", "冰袋全化了", dt.datetime(2026, 11, 9, 18, 40), "jd_2"],
            ["合计：共 2 条评价"] + [None] * 6,
            ["备注：评价星级 1-2星为差评，3星为中评，4-5星为好评。"] + [None] * 6]
    path = xlsx(tmp_path / "jd.xlsx", rows, merged=("A1:G1", "A5:D5", "A6:G6"))
    result = import_file(dbsession, path, "reviews")
    assert (result.inserted, result.rejected) == (2, 0)
    assert [n.split(" ")[1] for n in result.notes if "skipped" in n] == ["5", "6"]
    assert all("summary line" in n for n in result.notes if "skipped" in n)


def test_the_cli_skips_a_csv_footer_of_a_total_and_an_export_time(fresh_db_url, tmp_path):
    body = csv_bytes(TAOBAO, [["T1", "T1-1", "辣条", "LT-100", "好评", "很香", "2026-11-20 10:00"],
                              ["T2", "T2-1", "辣条", "LT-100", "差评", "有哈喇味", "2026-11-20 11:00"],
                              ["合计：共 2 条评价", "", "", "", "", "", ""],
                              ["导出时间：2026-11-21 09:00:00", "", "", "", "", "", ""],
                              ["制表人：小王", "", "", "", "", "", ""]])
    proc = feedback(fresh_db_url, "import", "reviews", str(write(tmp_path / "tb.csv", b"\xef\xbb\xbf" + body)))
    assert proc.returncode == 0, proc.stderr
    assert "inserted=2" in proc.stdout and "rejected=0" in proc.stdout
    assert proc.stdout.count("summary line") == 3 and "导出时间" in proc.stdout and "制表人" in proc.stdout


# -- implausible dates ----------------------------------------------------------------------------

def test_review_and_ticket_dates_in_the_future_or_before_2000_are_rejected(dbsession, tmp_path):
    soon, later = shop_time(hours=12), shop_time(days=3)
    rows = [["1", "S1", "1", "发霉了", f"{soon:%Y-%m-%d %H:%M}", "u"],          # within a day: a clock slip
            ["2", "S1", "1", "发霉了", f"{later:%Y-%m-%d %H:%M}", "u"],
            ["3", "S1", "1", "发霉了", "2099-12-31 00:00", "u"],
            ["4", "S1", "1", "发霉了", "1999-12-31 23:00", "u"],
            ["5", "S1", "1", "发霉了", "2026-11-03 14:22", "u"]]
    path = write(tmp_path / "jd.csv", csv_bytes(["订单号", "商品编号", "评价星级", "评价内容", "评价时间", "用户昵称"], rows))
    result = import_file(dbsession, path, "reviews", platform="jd")
    assert (result.inserted, result.rejected) == (2, 3)
    reasons = rejected_reasons(dbsession, result.import_batch_id)
    assert sorted(reasons) == [3, 4, 5]
    assert all(r.startswith("reviewed_at: 日期不合理 / implausible date") for r in reasons.values())
    assert "in the future" in reasons[3] and "in the future" in reasons[4] and "before 2000-01-01" in reasons[5]
    header = ["售后单号", "订单号", "售后类型", "售后原因", "申请时间", "完结时间"]
    tickets = [["K1", "1", "退款", "少件", "2026-11-03 09:00", f"{later:%Y-%m-%d}"],
               ["K2", "2", "退款", "少件", "2026-11-03 09:00", "2026-11-04 09:00"]]
    result = import_file(dbsession, write(tmp_path / "t.csv", csv_bytes(header, tickets)), "tickets", platform="ks")
    assert (result.inserted, result.rejected) == (1, 1)
    assert "closed_at: 日期不合理" in rejected_reasons(dbsession, result.import_batch_id)[2]


def test_excel_date_cells_holding_0_or_1_get_the_implausible_date_message(dbsession, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["订单号", "商品编号", "评价星级", "评价内容", "评价时间"])
    for n, serial in enumerate((0, 1, 46329.6)):
        wb.active.append([f"34{n}", "100045678901", 2, f"包装破了 {n}", serial])
        wb.active.cell(row=n + 2, column=5).number_format = "yyyy-mm-dd hh:mm"
    wb.save(tmp_path / "serials.xlsx")
    result = import_file(dbsession, tmp_path / "serials.xlsx", "reviews", platform="jd")
    assert (result.inserted, result.rejected) == (1, 2)
    reasons = rejected_reasons(dbsession, result.import_batch_id)
    assert "implausible date" in reasons[2] and "Excel date serial 0" in reasons[2]
    assert "implausible date: 1900-01-01" in reasons[3]
    assert "unparseable" not in reasons[2] + reasons[3]


# -- half stars -----------------------------------------------------------------------------------

def test_half_stars_are_rounded_down_and_the_batch_says_so(dbsession, tmp_path):
    rows = [["390000000001", "100045678901", "2.5", "冷链没做好，虾尾有点软。", "2026-11-20 10:00"],
            ["390000000002", "100045678901", "4.5", "不错", "2026-11-20 11:00"],
            ["390000000003", "100045678901", "4.5星", "还行", "2026-11-20 12:00"],
            ["390000000004", "100045678901", "5", "好", "2026-11-20 13:00"]]
    path = write(tmp_path / "jd.csv", csv_bytes(["订单号", "商品编号", "评价星级", "评价内容", "评价时间"], rows))
    result = import_file(dbsession, path, "reviews", platform="jd")
    assert (result.inserted, result.rejected) == (4, 0)
    stored = {r.platform_order_id: r for r in dbsession.scalars(select(Review))}
    assert (stored["390000000001"].rating_stars, stored["390000000001"].rating_level) == (2, "bad")
    assert (stored["390000000002"].rating_stars, stored["390000000002"].rating_level) == (4, "good")
    assert stored["390000000001"].raw["评价星级"] == "2.5"  # as exported
    note = next(n for n in result.notes if "fractional" in n)
    assert note.startswith("3 条评分带小数") and "3 ratings were fractional" in note
    assert "2.5 → 2 (×1)" in note and "4.5 → 4 (×2)" in note


# -- the wrong command ----------------------------------------------------------------------------

def test_a_review_export_given_to_import_tickets_names_the_other_command(fresh_db_url, tmp_path):
    reviews = write(tmp_path / "评价.csv", csv_bytes(TAOBAO, [["T1", "T1-1", "辣条", "LT-100", "好评", "很香",
                                                              "2026-11-20 10:00"]]))
    proc = feedback(fresh_db_url, "import", "tickets", str(reviews), "--json")
    assert proc.returncode == 1
    error = json.loads(proc.stdout)["error"]
    assert "这像是评价导出" in error and "use `feedback import reviews`" in error and "--mapping" not in error
    refunds = write(tmp_path / "退款.csv", csv_bytes(["退款编号", "订单编号", "退款原因", "退款说明", "退款金额"],
                                                   [["R1", "T1", "质量问题", "馊了", "9.90"]]))
    proc = feedback(fresh_db_url, "import", "reviews", str(refunds))
    assert proc.returncode == 1 and "use `feedback import tickets`" in proc.stderr and "--mapping" not in proc.stderr
    neither = write(tmp_path / "x.csv", "客户,说了什么\n张三,好\n".encode())
    proc = feedback(fresh_db_url, "import", "tickets", str(neither))
    assert proc.returncode == 1 and "--mapping" in proc.stderr and "feedback import reviews" not in proc.stderr
    assert scalar(fresh_db_url, select(func.count()).select_from(Review)) == 0


# -- the platform a header cannot tell --------------------------------------------------------------

AFTER_SALES = ["售后编号", "订单编号", "商品ID", "商品名称", "售后类型", "售后原因", "退款金额", "申请时间", "售后状态", "买家留言"]


def test_a_generic_after_sales_column_does_not_pin_pinduoduo(dbsession, tmp_path):
    ks = write(tmp_path / "ks.csv", csv_bytes(AFTER_SALES, [["KS2611200001", "2411200012345601", "KS-LZ-260", "红油辣子",
                                                            "退货退款", "商品破损", "32.80", "2026-11-20 10:00", "待处理",
                                                            "瓶子碎了一个"]]))
    with pytest.raises(ImportFileError, match="pass --platform"):
        import_file(dbsession, ks, "tickets")
    assert count(dbsession, Ticket) == 0
    assert import_file(dbsession, ks, "tickets", platform="快手").platform == "kuaishou"
    # Pinduoduo's own order numbers (the order day, a hyphen, a serial) still tell it
    pdd = write(tmp_path / "pdd.csv", csv_bytes(AFTER_SALES, [["9120000000", "261104-000066000000000", "4000000000",
                                                              "大闸蟹", "仅退款", "质量问题", "19.90", "2026-11-05 08:26",
                                                              "退款成功", "死了两只"]]))
    result = import_file(dbsession, pdd, "tickets")
    assert (result.platform, result.inserted) == ("pdd", 1)
    assert any("order number format" in n for n in result.notes)


def test_a_service_order_number_alone_does_not_pin_jd(dbsession, tmp_path):
    """服务单号 is JD's word, and others' too; JD's export also has 服务单状态 / 商品编号, which still tell it."""
    other = write(tmp_path / "svc.csv", csv_bytes(
        ["服务单号", "订单编号", "商品名称", "售后类型", "问题描述", "退款金额", "申请时间"],
        [["FW2611200007", "2611200011223344", "五常大米 5kg", "退货", "米里有虫", "59.00", "2026-11-20 09:00"]]))
    with pytest.raises(ImportFileError, match="pass --platform"):
        import_file(dbsession, other, "tickets")
    assert count(dbsession, Ticket) == 0
    jd = write(tmp_path / "jd.csv", csv_bytes(
        ["服务单号", "订单号", "商品编号", "商品名称", "服务类型", "问题描述", "申请时间", "服务单状态"],
        [["1800000001", "290000000001", "100012345678", "五常大米 5kg", "退货", "米里有虫", "2026-11-20 09:00", "审核中"]]))
    assert import_file(dbsession, jd, "tickets").platform == "jd"


TMALL = ["评价时间", "评价内容", "订单编号", "子订单编号", "宝贝名称", "商家编码", "初评等级", "店铺名称"]


def tmall_rows(numbers) -> list:
    return [["2026-11-08 11:20", f"粽子很新鲜 {n}", f"41001239876543210{n:02d}", f"41001239876543210{n:02d}", "鲜肉粽",
             "DXZ-ZZ-8", "好评", "稻香斋食品旗舰店"] for n in numbers]


def test_a_flagship_store_read_as_taobao_gets_a_tmall_hint(dbsession, tmp_path):
    result = import_file(dbsession, write(tmp_path / "tm.csv", csv_bytes(TMALL, tmall_rows([1]))), "reviews")
    assert result.platform == "taobao"
    hint = next(n for n in result.notes if "旗舰店" in n)
    assert "--platform tmall" in hint and f"feedback import reassign {result.import_batch_id} --platform tmall" in hint
    named = import_file(dbsession, write(tmp_path / "tm2.csv", csv_bytes(TMALL, tmall_rows([2]))), "reviews",
                        platform="tmall")
    assert not any("旗舰店" in n for n in named.notes)


def test_after_a_reassign_to_tmall_the_next_export_goes_there_too(dbsession, tmp_path):
    first = import_file(dbsession, write(tmp_path / "d1.csv", csv_bytes(TMALL, tmall_rows([1, 2, 3]))), "reviews")
    reassign_batch(dbsession, first.import_batch_id, "tmall")
    again = import_file(dbsession, tmp_path / "d1.csv", "reviews")
    assert (again.platform, again.inserted, again.duplicates) == ("tmall", 0, 3)
    assert any("already stored under tmall" in n for n in again.notes)
    # the next day's export overlaps and has new reviews: all under tmall, nothing twice
    nxt = import_file(dbsession, write(tmp_path / "d2.csv", csv_bytes(TMALL, tmall_rows([2, 3, 4, 5]))), "reviews")
    assert (nxt.platform, nxt.inserted, nxt.duplicates) == ("tmall", 2, 2)
    assert count(dbsession, Review, Review.platform == "taobao") == 0 and count(dbsession, Review) == 5
    assert not any("旗舰店" in n for n in nxt.notes)


def test_records_stored_under_both_stay_where_they_are(dbsession, tmp_path):
    import_file(dbsession, write(tmp_path / "a.csv", csv_bytes(TMALL, tmall_rows([1]))), "reviews")  # taobao
    moved = import_file(dbsession, write(tmp_path / "b.csv", csv_bytes(TMALL, tmall_rows([2, 3]))), "reviews")
    reassign_batch(dbsession, moved.import_batch_id, "tmall")
    result = import_file(dbsession, write(tmp_path / "c.csv", csv_bytes(TMALL, tmall_rows([1, 2, 3, 4]))), "reviews")
    assert (result.platform, result.inserted, result.duplicates) == ("tmall", 1, 3)
    assert any("2 under tmall, 1 under taobao" in n for n in result.notes)
    platforms = dict(dbsession.execute(select(Review.platform_order_id, Review.platform)).all())
    assert [platforms[f"41001239876543210{n:02d}"] for n in (1, 2, 3, 4)] == ["taobao", "tmall", "tmall", "tmall"]
    assert count(dbsession, Review) == 4


def test_the_cli_imports_a_reassigned_file_again_without_duplicates(fresh_db_url, tmp_path):
    path = write(tmp_path / "tm.csv", csv_bytes(TMALL, tmall_rows([1, 2])))
    first = json.loads(feedback(fresh_db_url, "import", "reviews", str(path), "--json").stdout)
    assert first["platform"] == "taobao" and any("--platform tmall" in n for n in first["notes"])
    moved = feedback(fresh_db_url, "import", "reassign", str(first["import_batch_id"]), "--platform", "tmall")
    assert moved.returncode == 0, moved.stderr
    again = feedback(fresh_db_url, "import", "reviews", str(path))
    assert again.returncode == 0, again.stderr
    assert "平台 tmall" in again.stdout and "inserted=0" in again.stdout and "duplicates=2" in again.stdout
    assert "already stored under tmall" in again.stdout
    assert scalar(fresh_db_url, select(func.count()).select_from(Review)) == 2


# -- a refund above what was paid --------------------------------------------------------------------

def test_a_refund_above_the_amount_paid_is_rejected_and_kept(dbsession, tmp_path):
    header = ["退款编号", "订单编号", "商品名称", "退款原因", "退款说明", "实付金额", "退款金额", "申请时间"]
    rows = [["R1", "31000000001", "五常大米 5kg", "质量问题", "米里有虫", "59.90", "59.90", "2026-11-20 09:00"],
            ["R2", "31000000002", "五常大米 5kg", "质量问题", "米发霉了", "59.90", "5990", "2026-11-20 09:05"],
            ["R3", "31000000003", "五常大米 5kg", "少件/漏发", "少了一袋", "¥119.80", "59.90", "2026-11-20 09:10"]]
    result = import_file(dbsession, write(tmp_path / "退款.csv", csv_bytes(header, rows)), "tickets")
    assert (result.inserted, result.rejected) == (2, 1)
    reason = dbsession.scalars(select(RejectedRow.reason)).one()
    assert "5990.00" in reason and "59.90" in reason and "more than the amount paid" in reason
    stored = {t.external_id: t for t in dbsession.scalars(select(Ticket))}
    assert stored["R3"].raw["paid_amount"] == "119.80" and str(stored["R3"].amount) == "59.90"


def test_the_api_checks_the_paid_amount_too(dbsession):
    from feedback.importing import import_items

    result = import_items(dbsession, "tickets", [
        {"external_id": "K1", "order_id": "A1", "ticket_type": "refund", "text": "坏了", "amount": 30, "paid_amount": 20},
        {"external_id": "K2", "order_id": "A2", "ticket_type": "refund", "text": "坏了", "amount": 20, "paid_amount": "20"},
        {"external_id": "K3", "order_id": "A3", "ticket_type": "refund", "text": "坏了", "amount": 20, "paid_amount": "abc"},
    ], platform="jd")
    assert (result.inserted, result.rejected) == (1, 2)
    errors = [" ".join(i.errors) for i in result.items if i.status == "error"]
    assert "more than the amount paid" in errors[0] and "paid_amount" in errors[1]
