"""Import benchmark: N review rows (default 100,000), end to end (read, decode, parse, validate,
dedupe, insert orders/products/batches/reviews, outbox jobs), into fresh SQLite and PostgreSQL
databases made for the run. Prints rows/second for the first import and a re-import of the same
file, and the peak memory of the process.

    .venv/bin/python bench/import_bench.py [--rows 100000] [--backends sqlite,postgresql]

Texts come from ../shared/data/corpus/reviews.jsonl when it is there, else from templates.
Target on the 2-core dev machine: >= 5,000 rows/s on both backends, re-import at least as fast.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from feedback.cli.db import upgrade_url  # noqa: E402
from feedback.importing import import_file, run_import  # noqa: E402
from feedback.models import get_engine, get_session_factory  # noqa: E402

CORPUS = REPO.parent / "shared" / "data" / "corpus" / "reviews.jsonl"
PG_ADMIN = os.environ.get("FEEDBACK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
HEADER = ["订单编号", "子订单编号", "宝贝名称", "商家编码", "初评等级", "评价内容", "评价时间", "追评内容", "追评时间",
          "买家会员名", "图片", "批次号", "生产日期", "到期日期", "发货仓", "快递公司", "运单号", "发货时间", "签收时间",
          "收货省份"]
FALLBACK = ["很甜很脆，会回购", "草莓烂了一半", "快递太慢了，五天才到", "饺子到手全化了", "牛奶快过期了", "客服不回复",
            "坚果有哈喇味", "太咸了", "包装破损", "性价比高"]


def texts(limit: int) -> list[str]:
    if CORPUS.exists():
        out = []
        with CORPUS.open(encoding="utf-8") as fh:
            for line in fh:
                text = json.loads(line).get("text")
                if text:
                    out.append(text)
                if len(out) >= limit:
                    break
        if out:
            return out
    return FALLBACK


def make_file(path: Path, rows: int) -> str:
    rng = random.Random(7)
    pool = texts(50000)
    skus = [f"SKU-{i:03d}" for i in range(60)]
    base = dt.datetime(2024, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for n in range(rows):
            when = base + dt.timedelta(minutes=n * 3)
            sku = rng.choice(skus)
            followup = rng.choice(pool) if n % 10 == 0 else ""
            writer.writerow([
                f"3{n:018d}", f"3{n:018d}-1", f"商品 {sku}", sku, rng.choice(["好评", "好评", "中评", "差评"]),
                rng.choice(pool), f"{when:%Y-%m-%d %H:%M:%S}", followup,
                f"{when + dt.timedelta(days=3):%Y/%m/%d}" if followup else "", f"买家{n % 50000}", "",
                f"{sku}-{n % 12:02d}", "2023-12-01", "2024-06-01", rng.choice(["杭州仓", "广州仓"]),
                rng.choice(["顺丰", "中通", "京东物流"]), f"SF{n:012d}", f"{when - dt.timedelta(days=2):%Y-%m-%d %H:%M}",
                f"{when - dt.timedelta(hours=5):%Y-%m-%d %H:%M}", rng.choice(["浙江", "广东", "北京"]),
            ])
    return "corpus" if CORPUS.exists() else "templates"


migrate = upgrade_url  # feedback.cli.db: the one migration helper


def fresh_database(backend: str, tmp: Path):
    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'ingest_bench.sqlite'}"
        return url, lambda: None
    name = f"ingest_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name, drop


def run(backend: str, path: Path, rows: int, tmp: Path) -> dict:
    url, drop = fresh_database(backend, tmp)
    try:
        migrate(url)
        engine = get_engine({"sqlalchemy.url": url})
        factory = get_session_factory(engine)
        figures = {}
        for label in ("first import", "re-import"):
            start, cpu_start = time.perf_counter(), time.process_time()
            result = run_import(factory, lambda s: import_file(s, path, "reviews"))
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
            figures[label] = (seconds, result)
            # Wall clock is what a user waits; this process's CPU time shows the cost on a shared,
            # loaded machine (PostgreSQL's own CPU time is not in it).
            print(f"  {backend:10s} {label:12s} {rows / seconds:9,.0f} rows/s wall ({seconds:6.1f} s), "
                  f"{rows / cpu:9,.0f} rows/s of client CPU ({cpu:5.1f} s)  "
                  f"inserted={result.inserted} updated={result.updated} duplicates={result.duplicates} "
                  f"rejected={result.rejected}", flush=True)
        engine.dispose()
        return figures
    finally:
        drop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ingest_bench_", dir="/tmp") as tmpdir:
        tmp = Path(tmpdir)
        path = tmp / "reviews.csv"
        start = time.perf_counter()
        source = make_file(path, args.rows)
        print(f"generated {args.rows:,} rows ({path.stat().st_size / 1e6:.1f} MB, texts from {source}) "
              f"in {time.perf_counter() - start:.1f} s", flush=True)
        for backend in [b for b in args.backends.split(",") if b]:
            run(backend, path, args.rows, tmp)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak:,.0f} MB")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
