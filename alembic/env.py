"""Alembic environment: reads the app's ini, honours FEEDBACK_DB_URL, batch mode on SQLite."""
from alembic import context
from pyramid.paster import get_appsettings, setup_logging

from feedback.models import Base, get_engine
from feedback.models.ledger import TEXT_GRAMS_INDEXES

config = context.config
if config.config_file_name and not config.attributes.get("skip_logging"):
    setup_logging(config.config_file_name)

target_metadata = Base.metadata


def _engine():
    connection = config.attributes.get("connection")
    if connection is not None:
        return connection
    settings = get_appsettings(config.config_file_name, name="main")
    return get_engine(settings)


def run_migrations_offline():
    settings = get_appsettings(config.config_file_name, name="main")
    from feedback.models import database_url

    context.configure(url=database_url(settings), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    engine_or_conn = _engine()
    if hasattr(engine_or_conn, "connect"):
        with engine_or_conn.connect() as connection:
            _run(connection)
        engine_or_conn.dispose()
    else:
        _run(engine_or_conn)


def _run(connection):
    def include_object(obj, name, type_, reflected, compare_to):
        """PostgreSQL's text search indexes exist in the migrations only (see TEXT_GRAMS_INDEXES)."""
        return not (type_ == "index" and name in TEXT_GRAMS_INDEXES)

    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
