"""Where the ledger page's time goes: per-SQL-statement timings and a cProfile summary.

Runs the real app in-process (WebTest, no HTTP) against a database seeded by
bench/web_bench.py (keep it with --reuse), logs in as the bench user and renders each path
--repeat times; prints, per path, the wall time and the SQL statements sorted by total time.

    .venv/bin/python bench/web_bench.py --backends sqlite --requests 5     # seeds /tmp/web_bench.sqlite
    .venv/bin/python bench/ledger_profile.py --url sqlite:////tmp/web_bench.sqlite
    .venv/bin/python bench/ledger_profile.py --url postgresql+psycopg://postgres@127.0.0.1:5432/web_bench \
        --path '/ledger?period=all' --cprofile
"""
from __future__ import annotations

import argparse
import cProfile
import collections
import io
import pstats
import re
import sys
import time
from pathlib import Path

from sqlalchemy import event

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PASSWORD = "bench-password-1"  # bench/web_bench.py's bench user


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="sqlite:////tmp/web_bench.sqlite")
    ap.add_argument("--path", action="append", help="page(s) to profile (default: the ledger views)")
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--cprofile", action="store_true", help="also print the top Python functions")
    args = ap.parse_args()
    paths = args.path or ["/ledger", "/ledger?period=all"]

    import webtest

    from feedback import main as make_app

    app = make_app({}, **{"sqlalchemy.url": args.url, "feedback.secret": "profile-" + "x" * 32,
                          "feedback.secure_cookies": "false", "feedback.broker": "stub",
                          "nlp.model": "lexicon", "pyramid.reload_templates": "false"})
    engine = app.registry["db_engine"]
    stats: dict[str, list[float]] = collections.defaultdict(list)

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, params, context, executemany):
        conn.info.setdefault("t0", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, params, context, executemany):
        t = time.perf_counter() - conn.info["t0"].pop()
        stats[re.sub(r"\s+", " ", statement)[:160]].append(t * 1000)

    client = webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    form = client.get("/login").forms[0]
    form["username"], form["password"] = "bench", PASSWORD
    form.submit(status=303)
    for path in paths:
        client.get(path)  # warm-up
        stats.clear()
        prof = cProfile.Profile() if args.cprofile else None
        t0 = time.perf_counter()
        for _ in range(args.repeat):
            if prof:
                prof.enable()
            client.get(path, status=200)
            if prof:
                prof.disable()
        wall = (time.perf_counter() - t0) * 1000 / args.repeat
        sql = sum(sum(v) for v in stats.values()) / args.repeat
        print(f"\n{path}: {wall:.1f} ms per request, of which SQL {sql:.1f} ms ({engine.dialect.name})")
        for stmt, times in sorted(stats.items(), key=lambda kv: -sum(kv[1]))[:12]:
            print(f"  {sum(times) / args.repeat:7.1f} ms  x{len(times) // args.repeat:<3} {stmt}")
        if prof:
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(25)
            print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
