"""Web latency at 200,000 reviews: the triage list and the ledger page, over real HTTP.

For each backend (a SQLite file and a PostgreSQL database):
  1. migrate a fresh database and bulk-insert N reviews, each with a classification and a ledger
     entry (+ categories), some tasks with evidence, and a manager account;
  2. start the real server (pserve + waitress, a subprocess) on --port;
  3. log in over HTTP like a browser (GET /login for the CSRF token, POST the form);
  4. fire --requests GETs at each page/filter, one after the other, and print p50/p95/max.

    .venv/bin/python bench/web_bench.py                      # both backends, 200,000 reviews
    .venv/bin/python bench/web_bench.py --backends sqlite --reviews 50000 --requests 50

Target (issue 5): p95 < 300 ms for the triage list and the ledger page.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.cookiejar
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from feedback.cli.db import upgrade_url  # noqa: E402
from feedback.models import (  # noqa: E402
    Classification,
    LedgerCategory,
    LedgerEntry,
    Review,
    RootCauseTask,
    TaskEvidence,
    get_engine,
)
from feedback.services.accounts import create_user  # noqa: E402
from feedback.services import ledger_counts  # noqa: E402
from feedback.services.departments import ensure_departments  # noqa: E402

CATEGORIES = ("taste", "freshness", "logistics", "quality", "service", "price", "other")
PHRASES = ["物流太慢了", "包装破损", "月饼发霉", "口感很差", "不新鲜", "快递员态度差", "分量太少", "日期不新鲜",
           "吃了拉肚子", "客服不理人", "太贵了不值", "坚果有哈喇味", "箱子压坏了", "冷链断了都化了", "有头发",
           "味道变了", "和描述不符", "漏气胀袋", "送错了", "等了三天"]
CARRIERS = ["顺丰", "中通", "圆通", "韵达", "申通", "京东物流", "邮政", "极兔"]
PLATFORMS = ["taobao", "tmall", "jd", "pdd", "meituan"]
PASSWORD = "bench-password-1"


def log(*a):
    print(*a, flush=True)


migrate = upgrade_url  # feedback.cli.db: the one migration helper


def seed(url: str, n: int, chunk: int = 5000) -> None:
    rnd = random.Random(42)
    engine = get_engine({"sqlalchemy.url": url})
    start = dt.datetime(2026, 11, 20) - dt.timedelta(days=365)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        for lo in range(0, n, chunk):
            reviews, classes, entries, cats = [], [], [], []
            for i in range(lo + 1, min(n, lo + chunk) + 1):
                when = start + dt.timedelta(seconds=rnd.randrange(365 * 86400))
                k = rnd.choice((1, 1, 1, 2))
                ccodes = rnd.sample(CATEGORIES, k)
                fs = rnd.random() < 0.03
                low = rnd.random() < 0.10
                conf = round(rnd.uniform(0.3, 0.6) if low else rnd.uniform(0.6, 0.99), 3)
                stars = rnd.choice((1, 1, 2, 2, 3))
                text = "，".join(rnd.sample(PHRASES, rnd.randint(1, 3))) + f"。订单{i}"
                sku = f"SKU-{rnd.randrange(200):03d}"
                platform = rnd.choice(PLATFORMS)
                year, week, _ = when.isocalendar()
                # unsure: the classifier's low-confidence "not a complaint" (triage only)
                status = rnd.choices(("new", "unsure", "confirmed", "not_complaint"), (66, 4, 25, 5))[0]
                if status == "unsure":
                    fs, low, conf, ccodes = False, True, round(rnd.uniform(0.3, 0.6), 3), ccodes[:1]
                reviews.append({"id": i, "platform": platform, "dedupe_key": f"id:b{i}", "external_id": f"b{i}",
                                "content_hash": f"{i:064x}", "sku": sku, "rating_stars": stars,
                                "rating_level": "bad" if stars <= 2 else "neutral", "text": text,
                                "reviewed_at": when, "image_count": 0, "created_at": when, "updated_at": when})
                classes.append({"review_id": i, "model_version": "bench", "complaint": status != "unsure",
                                "categories": [] if status == "unsure" else ccodes,
                                "food_safety": fs, "scores": {c: 0.8 for c in ccodes}, "evidence": {},
                                "sources": {}, "confidence": conf, "low_confidence": low,
                                "created_at": when, "updated_at": when})
                entries.append({"id": i, "review_id": i, "platform": platform, "sku": sku,
                                "product_name": f"商品{sku}", "batch_code": f"B{rnd.randrange(1000):04d}",
                                "warehouse": rnd.choice(("杭州仓", "广州仓", "成都仓")), "carrier": rnd.choice(CARRIERS),
                                "region": "浙江", "rating_stars": stars, "rating_level": "bad" if stars <= 2 else "neutral",
                                "primary_category": ccodes[0], "food_safety": fs, "near_expiry": False,
                                "occurred_at": when, "week": f"{year}-W{week:02d}", "month": when.strftime("%Y-%m"),
                                "status": status, "search_text": text, "created_at": when, "updated_at": when})
                cats += [{"entry_id": i, "category": c} for c in ccodes]
            conn.execute(sa.insert(Review), reviews)
            conn.execute(sa.insert(Classification), classes)
            conn.execute(sa.insert(LedgerEntry), entries)
            conn.execute(sa.insert(LedgerCategory), cats)
            if lo % 50000 == 0:
                log(f"  seeded {lo + len(reviews):,} / {n:,}")
    with Session(engine) as session, session.begin():
        # entries were bulk-inserted behind the ledger builder's back: recount the weekly table
        log(f"  weekly counts: {ledger_counts.rebuild(session):,} rows")
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("reviews", "classifications", "ledger_entries", "ledger_categories"):
                conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                             if table != "ledger_categories" else sa.text("SELECT 1"))
            conn.execute(sa.text("VACUUM ANALYZE"))  # steady state: visibility map set, as autovacuum leaves it
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    with Session(engine) as session, session.begin():
        depts = ensure_departments(session)
        create_user(session, "bench", PASSWORD, "manager")
        for d, code in enumerate(("qc", "logistics", "rnd")):
            task = RootCauseTask(cause_key=f"bench:{code}", active_cause_key=f"bench:{code}", category="quality",
                                 department_id=depts[code].id, title=f"压测任务 {code}", status="open",
                                 complaint_count=100)
            session.add(task)
            session.flush()
            session.execute(sa.insert(TaskEvidence), [{"task_id": task.id, "ledger_entry_id": 1 + d * 1000 + j}
                                                      for j in range(100)])
    engine.dispose()
    log(f"  seeded {n:,} reviews in {time.perf_counter() - t0:.0f} s")


class Client:
    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  _NoRedirect())

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=60) as r:
                return r.status, r.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")

    def post(self, path: str, data: dict) -> int:
        body = urllib.parse.urlencode(data).encode()
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=body), timeout=60) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def login(self, username: str, password: str) -> None:
        _, html = self.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        status = self.post("/login", {"csrf_token": token, "username": username, "password": password, "next": ""})
        if status != 303:
            raise SystemExit(f"login failed: HTTP {status}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **kw):
        return None


def start_server(url: str, port: int, app_dir: str | None = None) -> subprocess.Popen:
    ini = Path(tempfile.mkdtemp(prefix="web_bench_")) / "bench.ini"
    ini.write_text(f"""[app:main]
use = egg:feedback-loop
pyramid.reload_templates = false
sqlalchemy.url = {url}
feedback.secret = bench-secret-{os.getpid()}-0123456789abcdef
feedback.secure_cookies = false
feedback.broker = stub
nlp.model = lexicon

[server:main]
use = egg:waitress#main
listen = 127.0.0.1:{port}
threads = 4
""")
    env = {**os.environ, "FEEDBACK_DB_URL": url}
    if app_dir:  # another checkout's code (its `feedback` package first on the path), same database
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(Path(app_dir).resolve()), env.get("PYTHONPATH")) if p)
    proc = subprocess.Popen([str(REPO / ".venv/bin/pserve"), str(ini)], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).read()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("server died: " + proc.stderr.read().decode()[-2000:])
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("server did not start")


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run_pages(client: Client, requests: int, only: str | None = None) -> list[tuple[str, float, float, float]]:
    _, first = client.get("/triage")
    cursor = re.search(r'href="[^"]*/triage\?[^"]*after=([^"&]+)', first)
    _, second = client.get("/triage?after=" + (cursor.group(1) if cursor else ""))
    back = re.search(r'href="[^"]*/triage\?[^"]*before=([^"&]+)', second)
    pages = [
        ("triage (default queue)", "/triage"),
        ("triage page 2 (cursor)", "/triage?after=" + (cursor.group(1) if cursor else "")),
        ("triage page 1 back (before)", "/triage?before=" + (back.group(1) if back else "")),
        ("triage category+carrier", "/triage?category=freshness&carrier=%E9%A1%BA%E4%B8%B0"),
        ("triage text search 发霉", "/triage?q=" + urllib.parse.quote("发霉")),
        ("triage rare text 订单19999", "/triage?q=" + urllib.parse.quote("订单19999")),
        ("triage text 2-char, no match 漏水", "/triage?q=" + urllib.parse.quote("漏水")),  # every text checked
        ("triage rare text, all status", "/triage?status=all&q=" + urllib.parse.quote("订单7777")),
        ("triage low confidence", "/triage?conf_max=0.5"),
        ("ledger (default: 12 weeks)", "/ledger"),
        ("ledger all time (opt-in)", "/ledger?period=all"),
        ("ledger Mar-Oct (mid-week)", "/ledger?date_from=2026-03-04&date_to=2026-10-15"),  # partial weeks at both ends
        ("ledger carrier+month", "/ledger?carrier=%E4%B8%AD%E9%80%9A&date_from=2026-09-01&date_to=2026-09-30"),
        ("ledger category+sku", "/ledger?category=logistics&sku=SKU-042"),
        ("task board", "/tasks"),
    ]
    out = []
    for name, path in pages:
        if only and only not in name:
            continue
        status, _ = client.get(path)  # warm-up
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status}")
        times = []
        for _ in range(requests):
            t = time.perf_counter()
            status, _ = client.get(path)
            times.append((time.perf_counter() - t) * 1000)
            assert status == 200, (path, status)
        out.append((name, statistics.median(times), pct(times, 95), max(times)))
        log(f"    {name:<28} p50 {out[-1][1]:7.1f} ms   p95 {out[-1][2]:7.1f} ms   max {out[-1][3]:7.1f} ms")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reviews", type=int, default=200_000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--port", type=int, default=6554)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--sqlite-path", default="/tmp/web_bench.sqlite")
    ap.add_argument("--pg-admin", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--pg-db", default="web_bench")
    ap.add_argument("--only", help="time only the pages whose name contains this (e.g. 'text')")
    ap.add_argument("--reuse", action="store_true", help="skip seeding when the database already exists")
    ap.add_argument("--app-dir", help="serve another checkout's code (e.g. a `git worktree` of an older "
                                      "commit) against the same databases, to compare within one run")
    args = ap.parse_args()

    results = {}
    for backend in args.backends.split(","):
        if backend == "sqlite":
            url = f"sqlite:///{args.sqlite_path}"
            fresh = not (args.reuse and os.path.exists(args.sqlite_path))
            if fresh:
                for suffix in ("", "-wal", "-shm"):
                    Path(args.sqlite_path + suffix).unlink(missing_ok=True)
        else:
            admin = sa.create_engine(args.pg_admin, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": args.pg_db}).first()
                fresh = not (args.reuse and exists)
                if fresh:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{args.pg_db}" WITH (FORCE)'))
                    conn.execute(sa.text(f'CREATE DATABASE "{args.pg_db}"'))
            admin.dispose()
            url = args.pg_admin.rsplit("/", 1)[0] + "/" + args.pg_db
        log(f"[{backend}] {url}")
        if fresh:
            migrate(url)
            seed(url, args.reviews)
        else:
            t0 = time.perf_counter()
            migrate(url)  # a reused database gets the newer migrations (and their backfills)
            log(f"  migrated in {time.perf_counter() - t0:.1f} s")
        server = start_server(url, args.port, args.app_dir)
        try:
            client = Client(f"http://127.0.0.1:{args.port}")
            client.login("bench", PASSWORD)
            results[backend] = run_pages(client, args.requests, args.only)
        finally:
            server.terminate()
            server.wait(timeout=20)

    log(f"\n{args.reviews:,} reviews, {args.requests} sequential requests per page (p95 target 300 ms)")
    log(f"{'backend':<11}{'page':<30}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    worst = 0.0
    for backend, rows in results.items():
        for name, p50, p95, mx in rows:
            if "opt-in" not in name:
                worst = max(worst, p95)
            log(f"{backend:<11}{name:<30}{p50:9.1f}{p95:9.1f}{mx:9.1f}{'' if p95 < 300 else '  > target'}")
    return 0 if worst < 300 else 1


if __name__ == "__main__":
    sys.exit(main())
