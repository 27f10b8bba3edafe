"""One fixture set for the whole suite.

Database tests run on both backends: SQLite (the embedded default) and the real PostgreSQL on
127.0.0.1:5432. Migrations run once per backend and session; each test gets a session inside a
SAVEPOINT that is rolled back afterwards. Tests that need real commits (concurrency, workers)
use `fresh_db_url`, a migrated database of their own.
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from feedback.cli.db import upgrade_url
from feedback.models import get_engine

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
PG_ADMIN_URL = os.environ.get("FEEDBACK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI") == "true"
BACKENDS = [b for b in os.environ.get("FEEDBACK_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]


def _unavailable(what: str, why: str):
    """In CI every service must be there: fail. On a laptop without it: skip, saying why."""
    if IN_CI:
        pytest.fail(f"{what} is required in CI: {why}")
    pytest.skip(f"{what} not reachable: {why}")


migrate = upgrade_url  # feedback.cli.db: the one migration helper


def _pg_admin():
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001
        engine.dispose()
        _unavailable("PostgreSQL", str(exc).splitlines()[0])
    return engine


def _pg_url(dbname: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + dbname


class _Backend:
    """A migrated template database per backend; fresh copies are cheap to make."""

    def __init__(self, name: str, tmpdir: Path):
        self.name = name
        self.tmpdir = tmpdir
        self.created: list[str] = []
        suffix = f'{os.getpid()}_{os.environ.get("PYTEST_XDIST_WORKER", "main")}'
        if name == "sqlite":
            self.template = tmpdir / "template.sqlite"
            self.url = f"sqlite:///{self.template}"
            migrate(self.url)
        else:
            self.admin = _pg_admin()
            self.template_name = f"fl_test_tmpl_{suffix}"
            with self.admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.template_name}" WITH (FORCE)'))
                conn.execute(sa.text(f'CREATE DATABASE "{self.template_name}"'))
            self.url = _pg_url(self.template_name)
            migrate(self.url)

    def fresh_url(self) -> str:
        if self.name == "sqlite":
            path = self.tmpdir / f"fresh-{uuid.uuid4().hex[:8]}.sqlite"
            shutil.copy(self.template, path)
            return f"sqlite:///{path}"
        name = f"fl_test_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template_name}"'))
        self.created.append(name)
        return _pg_url(name)

    def close(self):
        if self.name != "sqlite":
            with self.admin.connect() as conn:
                for name in self.created + [self.template_name]:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            self.admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request, tmp_path_factory):
    b = _Backend(request.param, tmp_path_factory.mktemp(request.param))
    yield b
    b.close()


@pytest.fixture(scope="session")
def engine(backend):
    # The template itself serves the savepoint tests: nothing is ever committed to it...
    # ...except by tests that use fresh_db_url, which get copies made before they write.
    eng = get_engine({"sqlalchemy.url": backend.url})
    yield eng
    eng.dispose()


@pytest.fixture
def dbsession(engine):
    """A session whose work is rolled back after the test (commit() only releases a savepoint)."""
    connection = engine.connect()
    trans = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        trans.rollback()
        connection.close()


@pytest.fixture
def fresh_db_url(backend, engine):
    """A migrated database of this test's own, for tests that commit for real."""
    # Pooled connections of earlier savepoint tests to the template block CREATE DATABASE ... TEMPLATE.
    engine.dispose()
    return backend.fresh_url()


@pytest.fixture
def app_settings(backend):
    return {
        "sqlalchemy.url": backend.url,
        "feedback.secret": "test-secret-" + "x" * 32,
        "feedback.secure_cookies": "false",
        "feedback.broker": "stub",
        "nlp.model": "lexicon",
        "pyramid.reload_templates": "false",
    }


@pytest.fixture
def app(app_settings):
    from feedback import main

    return main({}, **app_settings)


@pytest.fixture
def testapp(app, dbsession):
    """WebTest app sharing the test's session, so the test sees what views wrote and vice versa."""
    import webtest

    return webtest.TestApp(app, extra_environ={"app.dbsession": dbsession, "HTTP_HOST": "localhost"})


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the repo; tests that need it skip where it is absent."""
    if not SHARED_DATA.exists():
        pytest.skip("../shared/data is not here (research data, only on the developers' machines and CI)")
    return SHARED_DATA
