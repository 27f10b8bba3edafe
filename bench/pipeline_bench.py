"""Pipeline throughput: N imported reviews -> classified, ledgered, grouped into tasks.

For each setup (embedded default: SQLite database + SQLite queue; scale-out: PostgreSQL + Redis)
and each worker process count (1, 2): a fresh database gets N reviews (with orders, products,
batches) and their outbox jobs, the outbox is swept into the broker, then `feedback worker`
(real processes, lexicon classifier unless --model) runs until every job is done. Prints
reviews/s from the first to the last committed classification (worker start-up excluded) and the
wall time including start-up.

    .venv/bin/python bench/pipeline_bench.py                 # 50,000 reviews, all four runs
    .venv/bin/python bench/pipeline_bench.py -n 5000 --setup embedded --processes 1

Scratch: /tmp/wf_bench/, PostgreSQL databases wf_bench_*, Redis db 6 (flushed).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("FEEDBACK_BROKER", "stub")  # this process only sweeps; set per run below

from feedback.cli.db import upgrade_url  # noqa: E402
from feedback.models import (  # noqa: E402
    Batch,
    Order,
    OutboxJob,
    Product,
    Review,
    get_engine,
    get_session_factory,
)

SCRATCH = Path("/tmp/wf_bench")
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/6"

TEXTS = [
    "收到的牛肉干发霉了，味道也不对", "快递太慢了，等了五天才到", "很好吃，还会回购", "包装破损，漏气了",
    "太咸了，不好吃", "客服态度很差，问了半天不回", "价格比别家贵，不划算", "吃完拉肚子，怀疑变质",
    "物流很快，包装完好", "日期不新鲜，快过期了", "口感一般般", "东西不错，下次再来",
]

INI = """[app:main]
use = egg:feedback-loop
sqlalchemy.url = {db}
feedback.secret = bench-secret-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
feedback.broker = {broker}
feedback.broker_url = {broker_url}
nlp.model = {model}

[loggers]
keys = root

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARN
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(asctime)s %(levelname)-5.5s [%(name)s] %(message)s
"""


migrate = upgrade_url  # feedback.cli.db: the one migration helper


def populate(url: str, n: int, seed: int = 7) -> None:
    """N reviews over 20 SKUs x 2 batches, 3 carriers, 3 warehouses, 8 weeks; plus outbox jobs."""
    from feedback.services.outbox import request_classification

    rnd = random.Random(seed)
    engine = get_engine({"sqlalchemy.url": url})
    base = dt.datetime(2026, 9, 1, 8)
    with get_session_factory(engine)() as s, s.begin():
        products = [Product(sku=f"BN-{i:02d}", name=f"零食{i}", shelf_life_days=rnd.choice([90, 180, 365]))
                    for i in range(20)]
        s.add_all(products)
        s.flush()
        batches = [Batch(product_id=p.id, batch_code=f"{p.sku}-L{j}", production_date=dt.date(2026, 7 + j, 1))
                   for p in products for j in range(2)]
        s.add_all(batches)
        s.flush()
        order_rows, review_rows = [], []
        for i in range(n):
            b = batches[rnd.randrange(len(batches))]
            p = products[(b.product_id - products[0].id)]
            order_rows.append({"platform": "tmall", "platform_order_id": f"BO{i}", "sku": p.sku,
                               "product_id": p.id, "batch_id": b.id, "quantity": 1,
                               "carrier": rnd.choice(["中通", "顺丰", "韵达"]),
                               "warehouse": rnd.choice(["嘉兴仓", "成都仓", "天津仓"]),
                               "region": rnd.choice(["浙江", "四川", "北京", "广东"]),
                               "paid_at": base + dt.timedelta(minutes=i), "signed_at": base + dt.timedelta(days=3, minutes=i)})
        s.execute(sa.insert(Order), order_rows)
        order_ids = dict(s.execute(sa.select(Order.platform_order_id, Order.id)).all())
        for i, o in enumerate(order_rows):
            text = rnd.choice(TEXTS)
            review_rows.append({"platform": "tmall", "dedupe_key": f"id:b{i}", "external_id": f"b{i}",
                                "content_hash": f"{i:064x}", "order_id": order_ids[o["platform_order_id"]],
                                "platform_order_id": o["platform_order_id"], "product_id": o["product_id"],
                                "sku": o["sku"], "rating_stars": rnd.choice([1, 1, 2, 3, 5]), "text": text,
                                "image_count": 0,
                                "reviewed_at": base + dt.timedelta(minutes=i * 80_000 // max(n, 1)),
                                "created_at": dt.datetime.now(), "updated_at": dt.datetime.now()})
        for start in range(0, len(review_rows), 5000):
            s.execute(sa.insert(Review), review_rows[start:start + 5000])
        ids = list(s.execute(sa.select(Review.id).order_by(Review.id)).scalars())
        request_classification(s, ids)
    engine.dispose()


def fresh_database(setup: str, tag: str) -> tuple[str, callable]:
    if setup == "embedded":
        path = SCRATCH / f"{tag}.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return f"sqlite:///{path}", lambda: None
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"wf_bench_{tag}"
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name, drop


def run_one(setup: str, processes: int, threads: int, n: int, model: str) -> dict:
    tag = f"{setup}_{processes}p"
    db_url, drop = fresh_database(setup, tag)
    if setup == "embedded":
        queue = SCRATCH / f"{tag}-queue.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(str(queue) + suffix).unlink(missing_ok=True)
        broker, broker_url = "sqlite", f"sqlite:///{queue}?lease=30"
    else:
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        broker, broker_url = "redis", REDIS_URL
    ini = SCRATCH / f"{tag}.ini"
    ini.write_text(INI.format(db=db_url, broker=broker, broker_url=broker_url, model=model), encoding="utf-8")
    try:
        migrate(db_url)
        t = time.time()
        populate(db_url, n)
        print(f"  [{tag}] {n} reviews inserted in {time.time() - t:.1f}s", flush=True)

        # enqueue every job (what the scheduler's outbox sweep does), then start the workers
        env = dict(os.environ, FEEDBACK_CONFIG=str(ini), FEEDBACK_DB_URL=db_url)
        env.pop("FEEDBACK_BROKER", None)
        env.pop("FEEDBACK_BROKER_URL", None)
        subprocess.run([sys.executable, "-c", "from workflows import actors, runtime; from workflows.outbox import "
                        "sweep_outbox; r = sweep_outbox(runtime.session_factory(), limit=100000); print('  enqueued', r)"],
                       env=env, cwd=REPO, check=True)
        log = open(SCRATCH / f"{tag}-worker.log", "wb")  # noqa: SIM115
        started = time.time()
        worker = subprocess.Popen([sys.executable, "-m", "feedback.cli", "--config", str(ini), "worker",
                                   "--processes", str(processes), "--threads", str(threads)],
                                  cwd=REPO, env=env, stdout=log, stderr=log, start_new_session=True)
        engine = get_engine({"sqlalchemy.url": db_url})
        try:
            while True:
                with engine.connect().execution_options(sqlite_deferred=True) as c:
                    left = c.execute(sa.select(sa.func.count()).select_from(OutboxJob)
                                     .where(OutboxJob.status != "done")).scalar()
                if not left:
                    break
                if worker.poll() is not None:
                    raise RuntimeError(f"worker exited; see {log.name}")
                time.sleep(0.5)
            wall = time.time() - started
            with engine.connect().execution_options(sqlite_deferred=True) as c:
                first, last, classified = c.execute(sa.text(
                    "SELECT min(created_at), max(created_at), count(*) FROM classifications")).one()
                ledger = c.execute(sa.text("SELECT count(*) FROM ledger_entries")).scalar()
                tasks = c.execute(sa.text("SELECT count(*) FROM root_cause_tasks")).scalar()
                evidence = c.execute(sa.text("SELECT count(*) FROM task_evidence")).scalar()
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(60)
            engine.dispose()
        if isinstance(first, str):
            first, last = dt.datetime.fromisoformat(first), dt.datetime.fromisoformat(last)
        busy = max((last - first).total_seconds(), 1e-6)
        return {"setup": setup, "processes": processes, "threads": threads, "reviews": classified,
                "ledger": ledger, "tasks": tasks, "evidence": evidence, "rate": classified / busy,
                "wall": wall, "wall_rate": classified / wall}
    finally:
        drop()
        if setup != "embedded":
            import redis

            redis.Redis.from_url(REDIS_URL).flushdb()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--reviews", type=int, default=50_000)
    ap.add_argument("--setup", choices=["embedded", "redis-pg", "all"], default="all")
    ap.add_argument("--processes", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--model", default="lexicon", help="nlp.model for the workers (default: lexicon)")
    args = ap.parse_args(argv)
    SCRATCH.mkdir(parents=True, exist_ok=True)
    setups = ["embedded", "redis-pg"] if args.setup == "all" else [args.setup]
    print(f"pipeline bench: {args.reviews} reviews, model {args.model}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f}", flush=True)
    rows = []
    for setup in setups:
        for p in args.processes:
            r = run_one(setup, p, args.threads, args.reviews, args.model)
            rows.append(r)
            print(f"{setup:9s} {p}p x {args.threads}t: {r['rate']:7.0f} reviews/s "
                  f"(wall incl. start-up {r['wall']:.1f}s = {r['wall_rate']:.0f}/s); "
                  f"{r['ledger']} ledger rows, {r['tasks']} tasks, {r['evidence']} evidence links", flush=True)
    shutil.rmtree(SCRATCH / "unused", ignore_errors=True)
    return rows


if __name__ == "__main__":
    main()
