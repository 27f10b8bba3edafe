"""Export benchmark: a monthly summary (XLSX) and a monthly ledger CSV over 1,000,000 reviews, on
SQLite and on PostgreSQL. Targets: each under 20 s and under 1 GB of memory.

    .venv/bin/python bench/export_bench.py                      # both backends, 1M reviews
    .venv/bin/python bench/export_bench.py --backends sqlite --reviews 200000
    .venv/bin/python bench/export_bench.py --reuse              # skip seeding if already there

Seeding is a fast bulk insert (executemany in one transaction on SQLite, COPY on PostgreSQL):
1M reviews with their 1M order lines, a complaint share of ledger entries (+ categories), root-
cause tasks with evidence and events, and approved replies for part of the complaints. By default
every review falls in the exported month (the harshest case: the month holds all 1M reviews and
~200k complaints) and a further share spreads over the four months before it for the trend.

Each export runs as `feedback export ...` in a child process, exactly as an operator would run it;
the figures are the wall time of the child, the time the command itself reports, and the child's
peak resident memory (os.wait4 -> ru_maxrss), so seeding never inflates the memory figure.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CATEGORIES = ("taste", "freshness", "logistics", "quality", "service", "price", "other")
CATEGORY_WEIGHTS = (18, 26, 24, 14, 8, 5, 5)
PLATFORMS = ("taobao", "tmall", "jd", "pdd", "meituan")
CARRIERS = ("顺丰", "中通", "圆通", "韵达", "京东物流", "极兔")
WAREHOUSES = ("杭州仓", "广州仓", "成都仓", "武汉仓", "天津仓")
REGIONS = ("浙江", "广东", "四川", "湖北", "北京", "上海", "江苏")
DEPTS = {"taste": "rnd", "freshness": "qc", "quality": "qc", "logistics": "logistics", "service": "cs",
         "price": "cs", "other": "cs"}
TEXTS = ("收到的饼干发霉了，吃了拉肚子", "快递太慢了，一周才到", "味道很奇怪，跟以前不一样", "包装破了，漏了一半",
         "=HYPERLINK(\"http://x\",\"点我\") 客服态度差", "+1 临期了还卖", "太难吃了😡🤮", "价格比别家贵",
         "里面有异物！", "一般般吧")
TARGET_SECONDS = 20.0  # seconds
TARGET_MEM_MB = 1024.0


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# -- seeding -----------------------------------------------------------------------------------

def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    year, mon = map(int, month.split("-"))
    start = dt.datetime(year, mon, 1)
    end = dt.datetime(year + (mon == 12), mon % 12 + 1, 1)
    return start, end


def previous_month_start(d: dt.datetime) -> dt.datetime:
    return (d - dt.timedelta(days=1)).replace(day=1)


class Bulk:
    """executemany on SQLite, COPY on PostgreSQL, both streaming a generator of tuples."""

    def __init__(self, dbapi_conn, dialect: str):
        self.conn = dbapi_conn
        self.dialect = dialect

    def insert(self, table: str, columns: list[str], rows) -> int:
        n = 0
        if self.dialect == "postgresql":
            cur = self.conn.cursor()
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
            cur.close()
            return n
        marks = ", ".join("?" for _ in columns)
        counter = [0]

        def counted():
            for row in rows:
                counter[0] += 1
                yield row

        cur = self.conn.cursor()
        cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", counted())
        cur.close()
        return counter[0]


def seed(url: str, reviews: int, month: str, complaint_share: float, history_share: float, seed_value: int) -> dict:
    import sqlalchemy as sa

    from feedback.models import get_engine
    from feedback.services.departments import ensure_departments
    from sqlalchemy.orm import Session

    rnd = random.Random(seed_value)
    engine = get_engine({"sqlalchemy.url": url})
    with Session(engine) as s, s.begin():
        depts = {code: d.id for code, d in ensure_departments(s).items()}
    start, end = month_bounds(month)
    month_seconds = int((end - start).total_seconds())
    # The trend months: history_share of the reviews again, over the four months before.
    history_starts = []
    m = start
    for _ in range(4):
        m = previous_month_start(m)
        history_starts.append(m)
    n_history = int(reviews * history_share)
    total = reviews + n_history
    now = dt.datetime(2026, 12, 1, 3, 0)
    skus = [f"SKU-{i:04d}" for i in range(400)]
    products = {sku: f"零食礼包{i}号" for i, sku in enumerate(skus)}

    def when(i: int) -> dt.datetime:
        if i < reviews:
            return start + dt.timedelta(seconds=(i * 7919) % month_seconds)
        h = history_starts[i % 4]
        span = int(((h + dt.timedelta(days=32)).replace(day=1) - h).total_seconds())
        return h + dt.timedelta(seconds=(i * 7919) % span)

    # Precompute the per-review facts the tables share (small ints and indexes, ~100 B/row).
    log(f"generating {total:,} reviews ({reviews:,} in {month}, {n_history:,} in the 4 months before)")
    raw = engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        dialect = engine.dialect.name
        if dialect == "sqlite":
            dbapi.execute("PRAGMA synchronous=OFF")
            dbapi.execute("BEGIN")
        bulk = Bulk(dbapi, dialect)
        t0 = time.monotonic()

        def order_rows():
            for i in range(1, total + 1):
                yield (i, PLATFORMS[i % 5], f"PO{i:09d}", skus[(i * 31) % 400], 1, WAREHOUSES[(i * 7) % 5],
                       CARRIERS[(i * 13) % 6], REGIONS[i % 7], when(i - 1), now)

        n = bulk.insert("orders", ["id", "platform", "platform_order_id", "sku", "quantity", "warehouse", "carrier",
                                   "region", "paid_at", "created_at"], order_rows())
        log(f"orders: {n:,} rows ({time.monotonic() - t0:.1f} s)")

        # Which reviews are complaints: deterministic by index.
        def is_complaint(i: int) -> bool:
            return (i * 2654435761) % 1000 < complaint_share * 1000

        def review_rows():
            for i in range(1, total + 1):
                c = is_complaint(i)
                stars = 1 + (i % 2) if c else 4 + (i % 2)
                text = TEXTS[i % len(TEXTS)] if c else "好吃，回购"
                yield (i, PLATFORMS[i % 5], f"id:R{i}", f"R{i}", f"{i:064x}", skus[(i * 31) % 400], stars,
                       "bad" if stars <= 2 else "good", text, 0, when(i - 1), f"PO{i:09d}", i, f"买家{i % 9973}",
                       now, now)

        t0 = time.monotonic()
        n = bulk.insert("reviews", ["id", "platform", "dedupe_key", "external_id", "content_hash", "sku",
                                    "rating_stars", "rating_level", "text", "image_count", "reviewed_at",
                                    "platform_order_id", "order_id", "buyer_nick", "created_at", "updated_at"],
                        review_rows())
        log(f"reviews: {n:,} rows ({time.monotonic() - t0:.1f} s)")

        complaint_ids = [i for i in range(1, total + 1) if is_complaint(i)]
        weights = list(CATEGORY_WEIGHTS)

        def primary(i):
            return rnd.choices(CATEGORIES, weights)[0]

        entry_cats: dict[int, tuple[str, ...]] = {}

        def ledger_rows():
            for entry_id, i in enumerate(complaint_ids, 1):
                cat = CATEGORIES[(i * 11) % 7] if i % 3 else primary(i)
                cats = (cat,) if i % 4 else (cat, CATEGORIES[(i * 5 + 1) % 7])
                cats = tuple(dict.fromkeys(cats))
                entry_cats[entry_id] = cats
                at = when(i - 1)
                year, week, _ = at.isocalendar()
                fs = (i % 97 == 0)
                yield (entry_id, i, PLATFORMS[i % 5], skus[(i * 31) % 400], products[skus[(i * 31) % 400]],
                       f"B{(i * 3) % 200:03d}", dt.date(2026, 9, 1), dt.date(2027, 3, 1), 0.5 + (i % 5) / 10,
                       (i % 23 == 0), WAREHOUSES[(i * 7) % 5], CARRIERS[(i * 13) % 6], REGIONS[i % 7],
                       1 + (i % 2), "bad", cat, fs, at, f"{year}-W{week:02d}", at.strftime("%Y-%m"),
                       "not_complaint" if i % 101 == 0 else ("confirmed" if i % 2 else "new"), now, now)

        t0 = time.monotonic()
        n = bulk.insert("ledger_entries", [
            "id", "review_id", "platform", "sku", "product_name", "batch_code", "production_date", "expiry_date",
            "shelf_life_left_ratio", "near_expiry", "warehouse", "carrier", "region", "rating_stars",
            "rating_level", "primary_category", "food_safety", "occurred_at", "week", "month", "status",
            "created_at", "updated_at"], ledger_rows())
        n_entries = n
        n_cats = bulk.insert("ledger_categories", ["entry_id", "category"],
                             ((e, c) for e, cats in entry_cats.items() for c in cats))
        log(f"ledger: {n:,} entries, {n_cats:,} categories ({time.monotonic() - t0:.1f} s)")

        # Root-cause tasks: one per (category, sku) for the 60 worst SKUs, evidence = their complaints.
        t0 = time.monotonic()
        task_of: dict[tuple[str, str], int] = {}
        task_rows = []
        for k, sku in enumerate(skus[:60]):
            for cat in CATEGORIES[:5]:
                tid = len(task_rows) + 1
                task_of[(cat, sku)] = tid
                opened = start - dt.timedelta(days=20) + dt.timedelta(hours=7 * tid)
                status = ("open", "in_progress", "resolved", "verified", "reopened")[tid % 5]
                resolved = opened + dt.timedelta(hours=10 + tid % 90) if status in ("resolved", "verified") else None
                verified = resolved + dt.timedelta(days=10) if status == "verified" else None
                key = f"{cat}|sku={sku}"
                task_rows.append((tid, key, None if status == "verified" else key, cat, depts[DEPTS[cat]],
                                  f"{products[sku]} {cat}", status, "normal", cat == "quality", "{}", "[]", 0,
                                  opened + dt.timedelta(hours=72), opened, resolved, verified,
                                  0.02 + (tid % 7) / 100 if verified else None,
                                  0.01 + (tid % 5) / 100 if verified else None, now))
        bulk.insert("root_cause_tasks", [
            "id", "cause_key", "active_cause_key", "category", "department_id", "title", "status", "severity",
            "food_safety", "attributes", "key_phrases", "complaint_count", "sla_due_at", "opened_at",
            "resolved_at", "verified_at", "rate_before", "rate_after", "updated_at"], iter(task_rows))

        def evidence_rows():
            for entry_id, i in enumerate(complaint_ids, 1):
                tid = task_of.get((entry_cats[entry_id][0], skus[(i * 31) % 400]))
                if tid is not None:
                    yield (tid, entry_id, now)

        n_ev = bulk.insert("task_evidence", ["task_id", "ledger_entry_id", "attached_at"], evidence_rows())
        n_events = bulk.insert("task_events", ["task_id", "actor", "from_status", "to_status", "created_at"],
                               ((t[0], "system", "resolved", "reopened", t[13] + dt.timedelta(days=3))
                                for t in task_rows if t[6] == "reopened"))
        log(f"tasks: {len(task_rows)} tasks, {n_ev:,} evidence, {n_events} reopen events "
            f"({time.monotonic() - t0:.1f} s)")

        def reply_rows():
            for entry_id, i in enumerate(complaint_ids, 1):
                if i % 5 < 2:
                    status = "approved" if i % 5 == 0 else "posted"
                elif i % 5 == 2:
                    status = "draft"
                else:
                    continue
                yield (i, PLATFORMS[i % 5], "亲，非常抱歉", "亲，非常抱歉", status, False, False, "[]", "[]", "[]",
                       "[]", now, "system", now, now)

        t0 = time.monotonic()
        n = bulk.insert("reply_drafts", [
            "review_id", "platform", "text", "draft_text", "status", "needs_senior_approval", "food_safety",
            "categories", "template_ids", "source_draft_ids", "issues", "drafted_at", "drafted_by", "created_at",
            "updated_at"], reply_rows())
        log(f"replies: {n:,} ({time.monotonic() - t0:.1f} s)")
        if dialect == "postgresql":
            cur = dbapi.cursor()
            for table in ("orders", "reviews", "ledger_entries", "root_cause_tasks"):  # ids given explicitly
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            cur.close()
            dbapi.commit()
        else:
            dbapi.execute("COMMIT")
    finally:
        raw.close()
    t0 = time.monotonic()
    with engine.connect() as conn:
        if dialect == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    log(f"analyze: {time.monotonic() - t0:.1f} s")
    engine.dispose()
    return {"reviews": total, "complaints": n_entries}


def count_reviews(url: str) -> int:
    import sqlalchemy as sa

    from feedback.models import get_engine

    engine = get_engine({"sqlalchemy.url": url})
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM reviews")).scalar()
    except Exception:  # noqa: BLE001 - no schema yet
        return -1
    finally:
        engine.dispose()


def migrate(url: str) -> None:
    from feedback.cli.db import upgrade_url

    upgrade_url(url)


def fresh_database(backend: str, args) -> str:
    if backend == "sqlite":
        path = Path(args.sqlite_path)
        url = f"sqlite:///{path}"
        if args.reuse and path.exists() and count_reviews(url) > 0:
            return url
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        migrate(url)
        return url
    import sqlalchemy as sa

    admin = sa.create_engine(args.pg_admin, isolation_level="AUTOCOMMIT")
    url = args.pg_admin.rsplit("/", 1)[0] + "/" + args.pg_db
    if args.reuse and count_reviews(url) > 0:
        admin.dispose()
        return url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{args.pg_db}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{args.pg_db}"'))
    admin.dispose()
    migrate(url)
    return url


# -- measuring ---------------------------------------------------------------------------------

def run_export(url: str, kind: str, month: str, out: Path) -> dict:
    start, end = month_bounds(month)
    last = (end - dt.timedelta(days=1)).date()
    argv = [sys.executable, "-m", "feedback.cli", "--config", str(REPO / "development.ini"), "export", kind,
            "--from", start.date().isoformat(), "--to", last.isoformat(), "--out", str(out)]
    env = dict(os.environ, FEEDBACK_DB_URL=url)
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    stdout, stderr = proc.stdout.read(), proc.stderr.read()
    if proc.returncode != 0:
        raise SystemExit(f"export failed ({proc.returncode}): {stderr[-2000:]}")
    reported = None
    if "(" in stdout and " s)" in stdout:
        reported = float(stdout.rsplit("(", 1)[1].split(" s)")[0])
    rss_mb = usage.ru_maxrss / 1024  # KiB on Linux
    return {"kind": kind, "wall_s": round(wall, 2), "export_s": reported, "peak_rss_mb": round(rss_mb, 1),
            "size_mb": round(out.stat().st_size / 2**20, 2), "output": stdout.strip()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reviews", type=int, default=1_000_000, help="reviews in the exported month")
    ap.add_argument("--history-share", type=float, default=0.0,
                    help="extra reviews over the 4 months before, as a share of --reviews")
    ap.add_argument("--complaint-share", type=float, default=0.2)
    ap.add_argument("--month", default="2026-11")
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--sqlite-path", default="/tmp/exports_bench.sqlite")
    ap.add_argument("--pg-admin", default=os.environ.get("FEEDBACK_TEST_PG",
                                                         "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--pg-db", default="exports_bench")
    ap.add_argument("--out-dir", default="/tmp")
    ap.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)

    results = []
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        log(f"== {backend} ==")
        url = fresh_database(backend, args)
        if count_reviews(url) <= 0:
            t0 = time.monotonic()
            info = seed(url, args.reviews, args.month, args.complaint_share, args.history_share, args.seed)
            log(f"seeded {info['reviews']:,} reviews, {info['complaints']:,} ledger entries "
                f"in {time.monotonic() - t0:.1f} s")
        else:
            log(f"reusing {count_reviews(url):,} reviews")
        for kind, ext in (("summary", "xlsx"), ("ledger", "csv")):
            out = Path(args.out_dir) / f"exports_bench_{backend}_{kind}.{ext}"
            r = run_export(url, kind, args.month, out)
            r["backend"] = backend
            r["ok"] = r["wall_s"] < TARGET_SECONDS and r["peak_rss_mb"] < TARGET_MEM_MB
            log(f"{backend} {kind}: {r['wall_s']} s wall ({r['export_s']} s in the command), "
                f"peak RSS {r['peak_rss_mb']} MB, file {r['size_mb']} MB -> {'OK' if r['ok'] else 'OVER TARGET'}")
            log("   " + r["output"])
            results.append(r)
    print(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"load average: {os.getloadavg()}  (machine shared with other jobs; figures are pessimistic)")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
