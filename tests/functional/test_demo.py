"""The demo data set: realistic, current, and idempotent."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from feedback.cli import AppContext
from feedback.cli.demo import load_demo
from feedback.demo import DEMO_PASSWORD, DEMO_USERS
from feedback.demo.generate import write_demo_files
from feedback.importing import read_file
from feedback.models import Batch, Department, ImportBatch, Order, Product, Review, Ticket, User
from feedback.services.accounts import verify_password

REPO = Path(__file__).resolve().parents[2]


def counts(session) -> dict:
    return {m.__name__: session.scalar(select(func.count()).select_from(m))
            for m in (Review, Ticket, Order, Product, Batch, User, Department)}


def test_load_twice_on_a_fresh_database_gives_the_same_counts(fresh_db_url, monkeypatch):
    monkeypatch.setenv("FEEDBACK_DB_URL", fresh_db_url)
    app = AppContext(str(REPO / "development.ini"))
    first = load_demo(app)
    assert "+110" in first and DEMO_PASSWORD in first
    with app.session() as session:
        after_first = counts(session)
    with app.session() as session:  # an admin renames a demo account before real use
        session.scalars(select(User).where(User.username == "admin")).one().username = "boss"
    second = load_demo(app)
    assert "already loaded" in second and "users created" not in second
    with app.session() as session:  # it does not come back with the public password
        assert session.scalar(select(func.count()).where(User.username == "admin")) == 0
        session.scalars(select(User).where(User.username == "boss")).one().username = "admin"
    forced = load_demo(app, force=True)  # importing the files again is idempotent too
    assert "+0" in forced and "+110" not in forced
    with app.session() as session:
        assert counts(session) == after_first
        assert after_first["Review"] == 300 and after_first["Ticket"] == 30
        assert after_first["User"] == len(DEMO_USERS) and after_first["Department"] == 5
        manager = session.scalars(select(User).where(User.username == "manager")).one()
        assert verify_password(manager, DEMO_PASSWORD)
        head = session.scalars(select(User).where(User.username == "head_logistics")).one()
        assert head.role == "dept_head" and head.department.code == "logistics"
        families = {(b.header_family, b.encoding) for b in session.scalars(select(ImportBatch))}
        assert {("taobao", "utf-8-sig"), ("jd", None), ("pdd", "gb18030"), ("meituan", "utf-8")} <= families
        newest = session.scalar(select(func.max(Review.reviewed_at)))
        oldest = session.scalar(select(func.min(Review.reviewed_at)))
    app.engine.dispose()
    today = dt.date.today()
    assert today - dt.timedelta(days=8) <= newest.date() <= today
    assert oldest.date() >= today - dt.timedelta(weeks=8, days=1)


def test_demo_files_are_deterministic_for_a_date_and_cover_the_stories(tmp_path):
    day = dt.date(2024, 3, 5)
    a = write_demo_files(tmp_path / "a", today=day)
    b = write_demo_files(tmp_path / "b", today=day)
    for pa, pb in zip(a["reviews"] + a["tickets"], b["reviews"] + b["tickets"]):
        if pa.suffix != ".xlsx":  # xlsx embeds a save timestamp
            assert pa.read_bytes() == pb.read_bytes()
    pdd = next(p for p in a["reviews"] if p.name == "pdd_reviews.csv")
    pdd.read_bytes().decode("gbk")  # really GBK
    texts = []
    for path in a["reviews"]:
        table = read_file(path, "reviews")
        col = next(i for i, f in table.header.fields.items() if f == "text")
        texts += [row.cells[col] for row in table.rows]
    joined = "\n".join(texts)
    for phrase in ("拉肚子", "头发", "好评返现", "化了", "客服", "太咸"):
        assert phrase in joined, phrase
    assert len(texts) == 300


def test_demo_texts_talk_about_the_product_ordered(tmp_path):
    """A review naming a product is on that product's order (drafts quote the product)."""
    from feedback.demo.generate import _NAMED, PRODUCT_WORDS

    files = write_demo_files(tmp_path, today=dt.date(2024, 3, 5))
    checked = 0
    for path in files["reviews"]:
        table = read_file(path, "reviews")
        col = {f: i for i, f in table.header.fields.items()}
        if "sku" not in col:
            continue
        for row in table.rows:
            text, sku = row.cells[col["text"]], row.cells[col["sku"]]
            named = [w for w in _NAMED if w in text]
            assert not named or any(w in text for w in PRODUCT_WORDS[sku]), (sku, text)
            checked += 1
    assert checked > 100
