"""`feedback replies draft|seed-templates|export` against a committed database."""
from __future__ import annotations

import datetime as dt

from click.testing import CliRunner
from sqlalchemy.orm import Session

from feedback.cli import _register, cli
from feedback.models import get_engine
from feedback.models.replies import ReplyDraft, ReplyTemplate

from .replies_helpers import complaint


def run(args, url, tmp_path=None):
    _register()
    return CliRunner().invoke(cli, ["--config", "development.ini", *args], env={"FEEDBACK_DB_URL": url},
                              catch_exceptions=False)


def test_draft_export_from_the_command_line(fresh_db_url, tmp_path):
    engine = get_engine({"sqlalchemy.url": fresh_db_url})
    with Session(engine) as s:
        recent = complaint(s, "橙子烂了好几个", ["freshness"], {"freshness": ["烂了"]}).id
        old = complaint(s, "送得太慢", ["logistics"], reviewed_at=dt.datetime(2020, 1, 1)).id
        held = complaint(s, "吃了拉肚子", ["quality"], {"quality": ["拉肚子"]}, food_safety=True).id
        s.commit()
    res = run(["replies", "draft"], fresh_db_url)
    assert res.exit_code == 0 and "drafted 2 replies (1 held" in res.output
    res = run(["replies", "draft", "--all"], fresh_db_url)
    assert "drafted 1 replies" in res.output
    assert "drafted 0 replies" in run(["replies", "draft", "--all"], fresh_db_url).output
    with Session(engine) as s:
        drafts = {d.review_id: d for d in s.query(ReplyDraft)}
        assert set(drafts) == {recent, old, held} and drafts[held].status == "held"
        assert s.query(ReplyTemplate).count() > 40  # seeded on first use, editable from now on
        drafts[recent].status = "approved"
        s.commit()
    out = tmp_path / "r.csv"
    res = run(["replies", "export", "-o", str(out)], fresh_db_url)
    assert "wrote 1 approved replies" in res.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf") and "烂" in out.read_text("utf-8-sig")
    xlsx = tmp_path / "r.xlsx"  # the extension chooses the format when --format is not given
    assert "wrote 1 approved replies" in run(["replies", "export", "-o", str(xlsx)], fresh_db_url).output
    assert xlsx.read_bytes().startswith(b"PK")
    engine.dispose()
