"""Migrations go up and down on both backends, and the models agree with them (`alembic check`)."""
from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from feedback.models import Base, get_engine
from tests.conftest import REPO_ROOT


def _config(connection) -> Config:
    cfg = Config(str(REPO_ROOT / "development.ini"))
    cfg.attributes["skip_logging"] = True
    cfg.attributes["connection"] = connection
    return cfg


def _tables(engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def test_one_head_and_dated_file_names():
    script = ScriptDirectory.from_config(Config(str(REPO_ROOT / "development.ini")))
    assert len(script.get_heads()) == 1
    for rev in script.walk_revisions():
        name = rev.path.rsplit("/", 1)[-1]
        assert name[:8].isdigit() and f"_{rev.revision}_" in name, name


def test_models_match_migrations(fresh_db_url):
    engine = get_engine({"sqlalchemy.url": fresh_db_url})
    with engine.begin() as connection:
        command.check(_config(connection))  # raises when autogenerate would find a difference
    assert _tables(engine) == set(Base.metadata.tables)
    engine.dispose()


def test_down_to_base_and_up_again(fresh_db_url):
    engine = get_engine({"sqlalchemy.url": fresh_db_url})
    with engine.begin() as connection:
        command.downgrade(_config(connection), "base")
    assert _tables(engine) == set()
    with engine.begin() as connection:
        command.upgrade(_config(connection), "heads")
    assert _tables(engine) == set(Base.metadata.tables)
    engine.dispose()


def test_down_two_steps_and_up_on_a_populated_database_keeps_every_row(fresh_db_url):
    """The downgrade of c41f0e8b7a2d rebuilds ledger_entries on SQLite (batch mode): with foreign
    keys on, the DROP TABLE would cascade-delete the entries' categories or be refused. The newest
    migration rewrites the search copies: with the 追评 going up, without it going down."""
    from sqlalchemy.orm import Session

    from feedback.cli.db import migration_connection
    from tests.functional import web_factories as wf

    engine = get_engine({"sqlalchemy.url": fresh_db_url})
    with Session(engine) as session:
        entry = wf.complaint(session, "压坏了还发霉", categories=["logistics", "freshness"])
        from feedback.models import Review

        session.get(Review, entry.review_id).followup_text = "追评：吃了拉肚子"
        wf.task(session, "qc", entries=[entry])
        session.commit()
        entry_id = entry.id
    counts = {}
    for table in ("ledger_entries", "ledger_categories", "task_evidence"):
        with engine.connect() as c:
            counts[table] = c.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar()
    assert all(counts.values())
    with migration_connection(engine) as connection:
        command.downgrade(_config(connection), "5e1a9d3c7b20-1")
    with engine.connect() as c:
        assert c.exec_driver_sql(f"SELECT search_text FROM ledger_entries WHERE id = {entry_id}").scalar() \
            == "压坏了还发霉"
    with migration_connection(engine) as connection:
        command.downgrade(_config(connection), "c41f0e8b7a2d-1")
    with migration_connection(engine) as connection:
        command.upgrade(_config(connection), "heads")
    for table, n in counts.items():
        with engine.connect() as c:
            assert c.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar() == n, table
    with engine.connect() as c:
        assert c.exec_driver_sql(f"SELECT search_text FROM ledger_entries WHERE id = {entry_id}").scalar() \
            == "压坏了还发霉\n追评：吃了拉肚子"
    engine.dispose()
