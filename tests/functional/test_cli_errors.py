"""Setup and usage mistakes at the `feedback` command: one line saying what to fix, no traceback."""
from __future__ import annotations

import pytest

from .test_import_cli import feedback


@pytest.mark.parametrize("args, code, message", [
    (["user", "create", "", "--role", "admin", "--password", "abcdefgh123"], 1, "invalid username"),
    (["user", "create", "a b<x>", "--role", "admin", "--password", "abcdefgh123"], 1, "invalid username"),
    (["db", "upgrade", "nonexistentrev"], 1, "migration"),
    (["export", "summary", "--from", "9999-12-31", "--to", "9999-12-31", "--out", "{tmp}/x.xlsx"], 2, "1900"),
    (["export", "schedule", "monthly", "--today", "0001-01-15"], 2, "1900"),
    (["export", "summary", "--from", "2026-11-02", "--to", "2026-11-08", "--out", "/proc/x.xlsx"], 2,
     "cannot write --out"),
    (["demo", "files", "/proc/x"], 1, "No such file or directory: /proc/x"),
    (["replies", "export", "-o", "{tmp}/missing/r.csv"], 1, "missing/r.csv"),
])
def test_mistakes_get_one_clear_line(fresh_db_url, tmp_path, args, code, message):
    proc = feedback(fresh_db_url, *[a.format(tmp=tmp_path) for a in args])
    assert proc.returncode == code, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("url, message", [
    ("notaurl", "bad database URL"),
    ("postgresql://nouser@127.0.0.1:1/x", "cannot reach the database"),
])
def test_a_database_that_cannot_be_used_is_named(url, message):
    proc = feedback(url, "export", "jobs")
    assert proc.returncode == 1 and message in proc.stderr and "Traceback" not in proc.stderr
