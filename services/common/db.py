"""SQL engines from DATABASE_URL, and each service's own Alembic history."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from services.common.config import ConfigError, Env

VARIABLE = "DATABASE_URL"
MIGRATE_ON_START = "DATABASE_MIGRATE_ON_START"


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


def answers(engine: Engine, timeout_s: float) -> bool:
    """Whether the database answers a trivial query now (readiness checks)."""
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                milliseconds = max(1, int(timeout_s * 1000))
                connection.execute(sa.text(f"SET LOCAL statement_timeout = {milliseconds}"))
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return False
    return True


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def prepare(engine: Engine, migrations_dir: Path, env: Env) -> None:
    """At a service's start: migrate (the default), or with DATABASE_MIGRATE_ON_START=false
    only check that `billing migrate` has brought the schema at least to this code's revision."""
    if env.flag(MIGRATE_ON_START, True):
        migrate(engine, migrations_dir)
        return
    state = schema_state(engine, migrations_dir)
    if state.behind:
        service = migrations_dir.parent.name
        raise ConfigError(VARIABLE, f"{state.describe()}: run `billing migrate {service}` first")


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands against the revisions this code knows."""

    current: tuple[str, ...]  # the revisions recorded in the database; () when never migrated
    heads: tuple[str, ...]  # the latest revisions this code ships
    known: bool  # every recorded revision is one this code knows (False: a newer release ran)

    @property
    def missing(self) -> bool:
        return not self.current

    @property
    def up_to_date(self) -> bool:
        return set(self.current) == set(self.heads)

    @property
    def behind(self) -> bool:
        """Older than this code needs; a newer schema (unknown revisions) is not behind."""
        return self.missing or (self.known and not self.up_to_date)

    def describe(self) -> str:
        if self.missing:
            return "the database has no migrations"
        if not self.known:
            return f"the database is at {', '.join(self.current)}, newer than this release"
        if self.up_to_date:
            return f"the database is at {', '.join(self.current)}, the latest revision"
        return (
            f"the database is at {', '.join(self.current)}, "
            f"this release needs {', '.join(self.heads)}"
        )


def schema_state(engine: Engine, migrations_dir: Path) -> SchemaState:
    """Read the service's Alembic version table (alembic_version_<service>) without changing it."""
    script = ScriptDirectory.from_config(_config(migrations_dir))
    heads = tuple(sorted(script.get_heads()))
    version_table = f"alembic_version_{migrations_dir.parent.name}"
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": version_table})
        current = tuple(sorted(context.get_current_heads()))
    known = all(_known(script, revision) for revision in current)
    return SchemaState(current=current, heads=heads, known=known)


def _known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except Exception:  # alembic raises its own CommandError/ResolutionError kinds
        return False


def _config(migrations_dir: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    return config


def migrate(engine: Engine, migrations_dir: Path) -> None:
    """Bring the service's schema to its latest revision; replicas starting together take turns."""
    config = _config(migrations_dir)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            lock_id = zlib.crc32(str(migrations_dir.parent.name).encode())
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
