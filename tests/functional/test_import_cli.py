"""The `feedback` command in a subprocess, pointed at a fresh database with FEEDBACK_DB_URL."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from feedback.models import ApiToken, Review, User, get_engine
from feedback.security import hash_token

from .import_helpers import TAOBAO_HEADER, csv_bytes, taobao_row, write

REPO = Path(__file__).resolve().parents[2]


def feedback(db_url, *args, input=None):
    env = dict(os.environ, FEEDBACK_DB_URL=db_url)
    return subprocess.run([sys.executable, "-m", "feedback.cli", "--config", str(REPO / "development.ini"), *args],
                          capture_output=True, text=True, env=env, cwd=REPO, input=input, timeout=120)


def scalar(db_url, stmt):
    engine = get_engine({"sqlalchemy.url": db_url})
    try:
        with engine.connect() as conn:
            return conn.scalar(stmt)
    finally:
        engine.dispose()


def test_import_reviews_json_twice_and_a_bad_file(fresh_db_url, tmp_path):
    rows = [taobao_row(i) for i in range(1, 5)]
    rows[3][4] = rows[3][5] = ""  # neither review text nor rating: rejected
    path = write(tmp_path / "淘宝评价.csv", b"\xef\xbb\xbf" + csv_bytes(TAOBAO_HEADER, rows))
    first = feedback(fresh_db_url, "import", "reviews", str(path), "--json")
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)  # exactly one JSON object on stdout
    assert {k: out[k] for k in ("inserted", "updated", "duplicates", "rejected")} == \
        {"inserted": 3, "updated": 0, "duplicates": 0, "rejected": 1}
    assert out["encoding"] == "utf-8-sig" and out["format"] == "csv" and out["platform"] == "taobao"
    assert isinstance(out["import_batch_id"], int) and out["import_batch_id"] > 0
    second = feedback(fresh_db_url, "import", "reviews", str(path), "--json")
    out = json.loads(second.stdout)
    assert (out["inserted"], out["duplicates"], out["rejected"]) == (0, 3, 1)
    assert scalar(fresh_db_url, select(func.count()).select_from(Review)) == 3

    text_out = feedback(fresh_db_url, "import", "reviews", str(path))
    assert text_out.returncode == 0 and "duplicates=3" in text_out.stdout and "第 5 行" in text_out.stdout

    junk = write(tmp_path / "junk.xlsx", b"PK\x03\x04" + os.urandom(2000))
    bad = feedback(fresh_db_url, "import", "reviews", str(junk), "--json")
    assert bad.returncode == 1
    assert "XLSX" in json.loads(bad.stdout)["error"]  # stdout: one JSON object, also when the file fails
    assert "XLSX" in bad.stderr and "truncated" in bad.stderr
    missing = feedback(fresh_db_url, "import", "tickets", str(tmp_path / "nope.csv"))
    assert missing.returncode != 0 and "file not found" in missing.stderr


def test_import_tickets_with_platform_and_mapping(fresh_db_url, tmp_path):
    mapping = write(tmp_path / "map.ini", "单号 = external_id\n类型 = ticket_type\n原因 = reason\n钱 = amount\n".encode())
    path = write(tmp_path / "t.csv", csv_bytes(["单号", "类型", "原因", "钱", "备注"],
                                               [["S1", "换货", "发错口味", "12", "x"], ["S2", "退款", "", "", ""]],
                                               encoding="gbk"))
    res = feedback(fresh_db_url, "import", "tickets", str(path), "--platform", "拼多多", "--mapping", str(mapping), "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert (out["inserted"], out["rejected"], out["platform"], out["encoding"], out["header_family"]) == \
        (1, 1, "pdd", "gb18030", "mapping")
    bad_platform = feedback(fresh_db_url, "import", "tickets", str(path), "--platform", "weibo")
    assert bad_platform.returncode != 0 and "unknown platform" in bad_platform.stderr


def test_json_output_when_the_whole_file_fails(fresh_db_url, tmp_path):
    """--json: stdout holds one JSON object with an error field whatever happens; the words for a
    person go to stderr; the exit status is 1 as without --json."""
    shared = write(tmp_path / "快手评价.csv", csv_bytes(["订单编号", "商品ID", "评价星级", "评价内容", "评价时间"],
                                                    [["2411030000000000", "200000000000", "5星", "好吃", "2026-11-07"]]))
    cases = [
        (write(tmp_path / "empty.csv", b""), "the file is empty"),
        (write(tmp_path / "wrong.csv", "商品,价格\n苹果,3\n".encode()), "unrecognized header"),
        (shared, "pass --platform"),
    ]
    for path, message in cases:
        proc = feedback(fresh_db_url, "import", "reviews", str(path), "--json")
        assert proc.returncode == 1, proc.stderr
        out = json.loads(proc.stdout)  # the whole of stdout is one object
        assert message in out["error"] and out["file"] == str(path)
        assert message in proc.stderr and not proc.stderr.lstrip().startswith("{")
        plain = feedback(fresh_db_url, "import", "reviews", str(path))
        assert plain.returncode == 1 and plain.stdout == "" and message in plain.stderr
    named = feedback(fresh_db_url, "import", "reviews", str(shared), "--platform", "快手", "--json")
    assert named.returncode == 0 and json.loads(named.stdout)["platform"] == "kuaishou"
    unset = feedback(f"sqlite:///{tmp_path / 'never.sqlite'}", "import", "reviews", str(shared), "--platform", "快手",
                     "--json")
    assert unset.returncode == 1 and "feedback db upgrade" in json.loads(unset.stdout)["error"]
    assert "Traceback" not in unset.stderr


def test_notes_for_a_title_line_and_a_footer_are_printed(fresh_db_url, tmp_path):
    body = ("饿了么商家版-评价管理导出 2026-11-01至2026-11-30\r\n"
            "门店名称,订单编号,评价时间,用户名,订单评分,评价内容\r\n"
            "川香麻辣烫,5000000020261100000,2026/11/04 15:39,e_user_0,1,汤是凉的\r\n"
            "合计：共 1 条评价\r\n")
    proc = feedback(fresh_db_url, "import", "reviews", str(write(tmp_path / "elm.csv", body.encode("gb18030"))))
    assert proc.returncode == 0, proc.stderr
    assert "平台 eleme" in proc.stdout and "inserted=1" in proc.stdout and "rejected=0" in proc.stdout
    assert "title line: eleme" in proc.stdout and "summary line" in proc.stdout


def test_user_and_token_commands(fresh_db_url, backend):
    if backend.name != "sqlite":
        pytest.skip("the account commands do not depend on the backend; one run is enough")
    made = feedback(fresh_db_url, "user", "create", "li", "--role", "manager", "--password", "long-enough-pw")
    assert made.returncode == 0, made.stderr
    head = feedback(fresh_db_url, "user", "create", "wang", "--role", "dept_head", "--department", "qc",
                    input="another-pass\nanother-pass\n")
    assert head.returncode == 0, head.stderr
    again = feedback(fresh_db_url, "user", "create", "li", "--role", "manager", "--password", "long-enough-pw")
    assert again.returncode != 0 and "taken" in again.stderr
    short = feedback(fresh_db_url, "user", "create", "zhao", "--role", "admin", "--password", "short")
    assert short.returncode != 0 and "8" in short.stderr
    token = feedback(fresh_db_url, "token", "create", "li", "erp-sync")
    assert token.returncode == 0, token.stderr
    secret = token.stdout.strip()
    assert secret.startswith("fl_") and "\n" not in secret
    assert scalar(fresh_db_url, select(ApiToken.name).where(ApiToken.token_hash == hash_token(secret))) == "erp-sync"
    assert scalar(fresh_db_url, select(User.role).where(User.username == "wang")) == "dept_head"
    nobody = feedback(fresh_db_url, "token", "create", "ghost", "x")
    assert nobody.returncode != 0 and "no such user" in nobody.stderr


def test_a_database_never_migrated_gets_the_setup_step_not_a_traceback(tmp_path):
    path = write(tmp_path / "r.jsonl", '{"platform": "taobao", "review_id": "r1", "text": "太难吃了"}\n'
                 .encode("utf-8"))
    db_url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    proc = feedback(db_url, "import", "reviews", str(path))
    assert proc.returncode == 1
    assert "feedback db upgrade" in proc.stderr and "Traceback" not in proc.stderr
    assert feedback(db_url, "db", "upgrade").returncode == 0
    proc = feedback(db_url, "import", "reviews", str(path))
    assert proc.returncode == 0, proc.stderr
    assert scalar(db_url, select(func.count()).select_from(Review)) == 1


def test_a_file_where_every_row_is_rejected_exits_1_and_keeps_the_rows(fresh_db_url, tmp_path):
    rows = [taobao_row(i) for i in range(1, 4)]
    for r in rows:
        r[4] = r[5] = ""  # neither review text nor rating
    path = write(tmp_path / "bad.csv", csv_bytes(TAOBAO_HEADER, rows))
    proc = feedback(fresh_db_url, "import", "reviews", str(path))
    assert proc.returncode == 1 and "no row could be imported" in proc.stderr
    assert "rejected=3" in proc.stdout
    from feedback.models import RejectedRow
    assert scalar(fresh_db_url, select(func.count()).select_from(RejectedRow)) == 3
    assert feedback(fresh_db_url, "import", "reviews", str(path), "--json").returncode == 1


def test_rejected_rows_are_listed_written_out_fixed_and_imported_again(fresh_db_url, tmp_path):
    """`feedback import rejected`: the kept rows come back with their reasons, as a CSV a manager
    fixes and imports again (the two columns in front are ignored by the importer)."""
    rows = [taobao_row(i) for i in range(1, 5)]
    rows[1][4] = rows[1][5] = ""                 # row 3 of the file: neither text nor rating
    rows[3][6] = "2099-01-01 10:00"              # row 5: a date in the future
    path = write(tmp_path / "淘宝评价.csv", csv_bytes(TAOBAO_HEADER, rows))
    first = json.loads(feedback(fresh_db_url, "import", "reviews", str(path), "--json").stdout)
    assert (first["inserted"], first["rejected"]) == (2, 2)
    batch = str(first["import_batch_id"])

    listed = feedback(fresh_db_url, "import", "rejected", batch)
    assert listed.returncode == 0, listed.stderr
    assert "row 3" in listed.stdout and "row 5" in listed.stdout and "31000000004" in listed.stdout
    lines = [json.loads(x) for x in feedback(fresh_db_url, "import", "rejected", batch, "--json").stdout.splitlines()]
    assert [x["row"] for x in lines] == [3, 5]
    assert lines[1]["raw"]["订单编号"] == "31000000004" and "2099" in lines[1]["reason"]

    out = tmp_path / "待修正.csv"
    written = feedback(fresh_db_url, "import", "rejected", batch, "--out", str(out))
    assert written.returncode == 0, written.stderr
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("原行号/row,拒绝原因/reason,订单编号,子订单编号")
    fixed = text.replace("2099-01-01 10:00", "2024-03-06 10:00").replace(",,,2024-03-05 12:00", ",差评,芹菜馅的有股怪味,2024-03-05 12:00")
    (tmp_path / "已修正.csv").write_text(fixed, encoding="utf-8-sig")
    again = json.loads(feedback(fresh_db_url, "import", "reviews", str(tmp_path / "已修正.csv"), "--json").stdout)
    assert (again["inserted"], again["rejected"]) == (2, 0), again["rejected_rows"]
    assert scalar(fresh_db_url, select(func.count()).select_from(Review)) == 4

    none = feedback(fresh_db_url, "import", "rejected", str(again["import_batch_id"]))
    assert none.returncode == 0 and "rejected no row" in none.stdout
    missing = feedback(fresh_db_url, "import", "rejected", "999999")
    assert missing.returncode == 1 and "no import batch #999999" in missing.stderr
    cannot = feedback(fresh_db_url, "import", "rejected", batch, "--out", str(tmp_path / "no" / "such" / "dir.csv"))
    assert cannot.returncode == 1 and "cannot write" in cannot.stderr
