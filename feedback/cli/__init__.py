"""The `feedback` command. Every subcommand reads development.ini unless --config names another
ini; FEEDBACK_DB_URL, when set, overrides the database URL."""
from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import click
from pyramid.paster import get_appsettings, setup_logging
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import ArgumentError, DBAPIError

from ..models import get_engine, get_session_factory

DEFAULT_CONFIG = "development.ini"


class AppContext:
    """What every subcommand needs: the ini path, its settings and a session factory."""

    def __init__(self, config_path: str):
        self.config_path = str(Path(config_path).resolve())
        self._settings = None
        self._session_factory = None
        self._engine = None

    @property
    def settings(self) -> dict:
        if self._settings is None:
            if not os.path.exists(self.config_path):
                raise click.ClickException(f"配置文件不存在 / config file not found: {self.config_path}")
            self._settings = dict(get_appsettings(self.config_path, name="main"))
        return self._settings

    @property
    def engine(self):
        if self._engine is None:
            self._engine = get_engine(self.settings)
        return self._engine

    @property
    def session_factory(self):
        if self._session_factory is None:
            self._session_factory = get_session_factory(self.engine)
        return self._session_factory

    @contextlib.contextmanager
    def session(self):
        """One transaction: committed on success, rolled back on error."""
        session = self.session_factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def schema_exists(self) -> bool | None:
        """Whether the migrations have run on this database (a failed query on a database
        without them is a setup step left out, not a bug); None when it cannot be reached."""
        try:
            return sa_inspect(self.engine).has_table("alembic_version")
        except DBAPIError:
            return None


pass_app = click.make_pass_decorator(AppContext)


def setup_error(app, exc: BaseException) -> click.ClickException | None:
    """An error of the setup, not of the code, as one line saying what to fix (None for any other
    error): a database the migrations never ran on or that cannot be reached, a bad database URL
    or ini file, a path that cannot be written, an unknown migration revision."""
    from alembic.util.exc import CommandError  # noqa: PLC0415
    from plaster.exceptions import PlasterError  # noqa: PLC0415

    if isinstance(exc, DBAPIError):
        state = app.schema_exists() if isinstance(app, AppContext) else True
        if state is None:
            return click.ClickException(f"无法连接数据库 / cannot reach the database: "
                                        f"{str(exc.orig).strip().splitlines()[0][:300]}")
        if state is False:
            return click.ClickException("数据库尚未初始化 / the database is not set up: run `feedback db upgrade` "
                                        "(`feedback run` does it too)")
        return None
    if isinstance(exc, ArgumentError):  # FEEDBACK_DB_URL or sqlalchemy.url is no database URL
        return click.ClickException(f"数据库地址无效 / bad database URL: {exc}")
    if isinstance(exc, PlasterError):
        return click.ClickException(f"配置文件无法读取 / cannot read the config file: {exc}")
    if isinstance(exc, CommandError):
        return click.ClickException(f"迁移失败 / migration: {exc}")
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        return click.ClickException(f"操作失败 / failed: {exc.strerror or exc}{where}")
    return None


class FeedbackGroup(click.Group):
    """Errors of the setup, not of the code, as one line saying what to fix (``setup_error``)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            error = setup_error(ctx.obj, exc)
            if error is None:
                raise
            raise error from exc


@click.group(cls=FeedbackGroup)
@click.option("--config", "config_path", default=DEFAULT_CONFIG, show_default=True,
              envvar="FEEDBACK_CONFIG", help="The ini file to read.")
@click.pass_context
def cli(ctx, config_path):
    """Feedback Loop: reviews and after-sales tickets in, root-cause tasks out."""
    ctx.obj = AppContext(config_path)
    if os.path.exists(config_path):
        with contextlib.suppress(Exception):
            setup_logging(config_path)


def _register():
    from . import db  # noqa: F401  (each module adds its commands to `cli`)
    for name in ("imports", "run", "demo", "users", "workers", "exports", "replies", "ledger"):
        with contextlib.suppress(ModuleNotFoundError):
            __import__(f"{__name__}.{name}")


def main(argv=None):
    _register()
    return cli.main(args=argv, prog_name="feedback")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
