"""Real worker/scheduler processes for the integration tests."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from feedback.models import get_engine

REPO = Path(__file__).resolve().parents[3]

INI = """[app:main]
use = egg:feedback-loop
sqlalchemy.url = {db_url}
feedback.secret = test-secret-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
feedback.broker = {broker}
feedback.broker_url = {broker_url}
feedback.notify_webhook_url = {webhook}
feedback.pending_grace_seconds = 5
nlp.model = lexicon

[loggers]
keys = root, workflows

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARN
handlers = console

[logger_workflows]
level = INFO
handlers =
qualname = workflows

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(asctime)s %(levelname)-5.5s [%(name)s] %(message)s
"""


def write_ini(directory: Path, db_url: str, broker: str, broker_url: str, webhook: str = "") -> Path:
    path = directory / "wf_test.ini"
    path.write_text(INI.format(db_url=db_url.replace("%", "%%"), broker=broker, broker_url=broker_url,
                               webhook=webhook), encoding="utf-8")
    return path


def start(ini: Path, db_url: str, *args: str, log: Path) -> subprocess.Popen:
    env = dict(os.environ, FEEDBACK_DB_URL=db_url, FEEDBACK_CONFIG=str(ini))
    for key in ("FEEDBACK_BROKER", "FEEDBACK_BROKER_URL"):
        env.pop(key, None)
    out = open(log, "ab")  # noqa: SIM115 - the child owns it
    return subprocess.Popen([sys.executable, "-m", "feedback.cli", "--config", str(ini), *args],
                            cwd=REPO, env=env, stdout=out, stderr=out, start_new_session=True)


def kill9(proc: subprocess.Popen) -> None:
    """SIGKILL the whole process group (the dramatiq master and its worker processes)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(10)


def stop(proc: subprocess.Popen, timeout: float = 40) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        kill9(proc)


def wait_until(fn, timeout: float, interval: float = 0.5, what: str = "condition", logs=()):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    tail = "".join(Path(p).read_text(errors="replace")[-3000:] for p in logs if Path(p).exists())
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})\n{tail}")


class Db:
    """Plain SQL counters over the test database (what the assertions read)."""

    def __init__(self, url: str):
        self.engine = get_engine({"sqlalchemy.url": url})

    def scalar(self, sql: str, **params):
        with self.engine.connect().execution_options(sqlite_deferred=True) as conn:
            return conn.execute(sa.text(sql), params).scalar()

    def rows(self, sql: str, **params):
        with self.engine.connect().execution_options(sqlite_deferred=True) as conn:
            return conn.execute(sa.text(sql), params).all()

    def close(self):
        self.engine.dispose()


def insert_reviews(url: str, n: int, chunk_jobs: bool = True) -> list[int]:
    """n reviews on a few products/batches (a third freshness complaints, a third logistics, a
    third praise, every 50th a food-safety complaint), and their classification jobs."""
    from feedback.models import Batch, Order, Product, Review, get_session_factory
    from feedback.services.outbox import request_classification

    texts = ["收到的牛肉干发霉了，味道不对", "快递太慢了，等了五天才到", "很好吃，还会回购", "吃完拉肚子，有异物"]
    engine = get_engine({"sqlalchemy.url": url})
    ids = []
    with get_session_factory(engine)() as s, s.begin():
        products = [Product(sku=f"FT-{i}", name=f"牛肉干{i}", shelf_life_days=180) for i in range(3)]
        s.add_all(products)
        s.flush()
        batches = [Batch(product_id=p.id, batch_code=f"L{p.id}", production_date=__import__("datetime").date(2026, 9, 1))
                   for p in products]
        s.add_all(batches)
        s.flush()
        import datetime as dt

        # recent reviews (two days back, whole hours): a fixed date would fall out of the
        # platforms' reply window as the calendar moves, and the drafting actor skips those
        base = (dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, minute=0, second=0, microsecond=0)
                - dt.timedelta(days=2))
        orders, reviews = [], []
        for i in range(n):
            p, b = products[i % 3], batches[i % 3]
            orders.append(Order(platform="tmall", platform_order_id=f"FO{i}", sku=p.sku, product_id=p.id,
                                batch_id=b.id, carrier=["中通", "顺丰"][i % 2], warehouse="嘉兴仓", region="浙江",
                                signed_at=base))
        s.add_all(orders)
        s.flush()
        for i, o in enumerate(orders):
            text = texts[3] if i % 50 == 0 else texts[i % 3]
            reviews.append(Review(platform="tmall", dedupe_key=f"id:ft{i}", content_hash=f"{i:064x}", order_id=o.id,
                                  platform_order_id=o.platform_order_id, product_id=o.product_id, sku=o.sku,
                                  rating_stars=1 if i % 3 != 2 else 5, text=text,
                                  reviewed_at=base + dt.timedelta(minutes=i)))
        s.add_all(reviews)
        s.flush()
        ids = [r.id for r in reviews]
        if chunk_jobs:
            request_classification(s, ids)
    engine.dispose()
    return ids
