"""`feedback db upgrade|downgrade|check`: Alembic, driven by the same ini as the app."""
from __future__ import annotations

import contextlib
from pathlib import Path

import click
from alembic import command
from alembic.config import Config

from ..models import get_engine
from . import AppContext, cli, pass_app

# The checkout's own ini: its [alembic] section locates the migrations.
DEFAULT_INI = Path(__file__).resolve().parents[2] / "development.ini"


# The migrations this code needs: an ini copied elsewhere (/etc/feedback/production.ini) keeps
# `script_location = %(here)s/alembic`, which then names a directory that does not exist.
MIGRATIONS = DEFAULT_INI.parent / "alembic"


def alembic_config(app: AppContext) -> Config:
    app.settings  # fail early, with a clear message, on a missing ini
    cfg = Config(app.config_path)
    cfg.attributes["skip_logging"] = True
    try:
        location = cfg.get_main_option("script_location")
    except Exception:  # noqa: BLE001 - no [alembic] section: the checkout's migrations
        location = None
    if not location or not (Path(location) / "env.py").is_file():
        cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


@contextlib.contextmanager
def migration_connection(engine):
    """A connection in a transaction for Alembic. On SQLite, foreign keys are off meanwhile: a
    batch operation rebuilds a table by DROP TABLE + rename, and with them on, the drop deletes
    (ON DELETE CASCADE) or refuses the rows that point at it. They are checked before commit."""
    with engine.connect() as connection:
        raw = connection.connection.driver_connection if connection.dialect.name == "sqlite" else None
        if raw is not None:  # outside any transaction, where SQLite honours the pragma
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                yield connection
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() if raw else []
                if broken:
                    raise click.ClickException(f"迁移破坏了外键，已回滚 / the migration broke foreign keys "
                                               f"(rolled back): {broken[:5]}")
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


def upgrade(app: AppContext, revision: str = "heads") -> None:
    cfg = alembic_config(app)
    with migration_connection(app.engine) as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def upgrade_url(url: str, revision: str = "heads") -> None:
    """Migrate the database at `url` (tests and benchmarks make scratch databases with it)."""
    cfg = Config(str(DEFAULT_INI))  # only its [alembic] section is used
    cfg.attributes["skip_logging"] = True
    engine = get_engine({"sqlalchemy.url": url})
    try:
        with migration_connection(engine) as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()


@cli.group()
def db():
    """Database migrations."""


@db.command("upgrade")
@click.argument("revision", default="heads")
@pass_app
def upgrade_cmd(app, revision):
    """Apply migrations up to REVISION (default: the newest)."""
    upgrade(app, revision)
    click.echo(f"database at {revision}")


@db.command("downgrade")
@click.argument("revision")
@pass_app
def downgrade_cmd(app, revision):
    """Revert migrations down to REVISION (e.g. base)."""
    cfg = alembic_config(app)
    with migration_connection(app.engine) as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)
    click.echo(f"database at {revision}")


@db.command("check")
@pass_app
def check_cmd(app):
    """Fail when the models and the migrations differ."""
    cfg = alembic_config(app)
    with app.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.check(cfg)
    click.echo("models and migrations agree")
