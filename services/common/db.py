"""SQL engines from DATABASE_URL, and each service's own Alembic history."""

from __future__ import annotations

import zlib
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from services.common.config import ConfigError

VARIABLE = "DATABASE_URL"


def create_engine(url: str) -> Engine:
    """An engine that has answered one query, or a ConfigError naming DATABASE_URL."""
    try:
        parsed = sa.make_url(url)
    except ArgumentError:
        raise ConfigError(VARIABLE, f"not a database URL: {url!r}") from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    options: dict[str, object] = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        options["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        options.update(pool_size=10, max_overflow=20, pool_timeout=10)
    try:
        engine = sa.create_engine(parsed, **options)
    except (NoSuchModuleError, ArgumentError) as error:
        raise ConfigError(VARIABLE, f"unsupported database: {error}") from None
    except ImportError as error:
        raise ConfigError(VARIABLE, f"no driver installed: {error.name}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise ConfigError(VARIABLE, f"cannot connect: {reason}") from None
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def migrate(engine: Engine, migrations_dir: Path) -> None:
    """Bring the service's schema to its latest revision; replicas starting together take turns."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            lock_id = zlib.crc32(str(migrations_dir.parent.name).encode())
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
