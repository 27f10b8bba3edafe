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


def test_an_ini_copied_elsewhere_still_finds_the_migrations(tmp_path):
    """`script_location = %(here)s/alembic` names a directory that is not beside a copied ini."""
    import os
    import subprocess
    import sys

    from .test_import_cli import REPO

    ini = tmp_path / "etc" / "production.ini"
    ini.parent.mkdir()
    ini.write_text((REPO / "development.ini").read_text(encoding="utf-8"), encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'copied.sqlite'}"
    env = dict(os.environ, FEEDBACK_DB_URL=db_url)
    run = [sys.executable, "-m", "feedback.cli", "--config", str(ini)]
    up = subprocess.run([*run, "db", "upgrade"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert up.returncode == 0, up.stderr
    listed = subprocess.run([*run, "import", "batches"], capture_output=True, text=True, env=env, cwd=tmp_path,
                            timeout=120)
    assert listed.returncode == 0, listed.stderr
