"""Two imports of overlapping files at the same moment create no duplicates (both backends).

Each import runs in its own thread with its own engine and its own committed transaction, against
a database of this test's own (fresh_db_url); the unique constraints, not Python checks, decide.
"""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from feedback.importing import import_file, run_import
from feedback.models import Order, Product, Review, get_engine, get_session_factory

from .import_helpers import TAOBAO_HEADER, csv_bytes, taobao_row, write


def _rows(numbers):
    rows = []
    for n in numbers:
        row = taobao_row(n, sku=f"SKU-{n % 7}")
        if n % 3 == 0:  # no ids at all: deduplicated by content hash
            row[0] = row[1] = ""
        rows.append(row)
    return rows


def test_overlapping_imports_at_the_same_time(fresh_db_url, tmp_path):
    a = write(tmp_path / "a.csv", csv_bytes(TAOBAO_HEADER, _rows(range(0, 1500))))
    b = write(tmp_path / "b.csv", csv_bytes(TAOBAO_HEADER, _rows(range(900, 2400))))
    barrier = threading.Barrier(2)
    results, errors = {}, []

    def worker(name, path):
        engine = get_engine({"sqlalchemy.url": fresh_db_url})
        factory = get_session_factory(engine)
        try:
            barrier.wait(timeout=30)
            results[name] = run_import(factory, lambda session: import_file(session, path, "reviews"))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=worker, args=(n, p)) for n, p in (("a", a), ("b", b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    engine = get_engine({"sqlalchemy.url": fresh_db_url})
    try:
        with engine.connect() as conn:
            reviews = conn.scalar(select(func.count()).select_from(Review))
            distinct = conn.scalar(select(func.count(func.distinct(Review.dedupe_key))))
            orders = conn.scalar(select(func.count()).select_from(Order))
            products = conn.scalar(select(func.count()).select_from(Product))
    finally:
        engine.dispose()
    assert reviews == distinct == 2400
    assert results["a"].inserted + results["b"].inserted == 2400
    assert results["a"].duplicates + results["b"].duplicates == 600
    assert orders == 2400 - 800  # rows without an order id (every third) have no order
    assert products == 7
