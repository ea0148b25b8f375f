"""What every `billing` subcommand shares: its configuration, the databases it may open, how it
answers (text, or one JSON document with --json) and its exit code.

A subcommand is registered by a module's `register(subparsers)`; its parser sets
`run(args) -> Result` (or, for older commands, an exit code). `args.env` is the environment the
services read, with the file named by `--config` laid over it. Failures are raised, not printed:
`CommandError` (with its exit code), `ConfigError` (2), the services' `BillingError`
(INVALID_ARGUMENT 2, anything else 1) and a gRPC call's failure (`rpc_error`) all end as one
line on stderr, or as `{"error": {...}}` on stdout with --json.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from sqlalchemy.engine import Engine

from services.common import db
from services.common.config import ConfigError, Env, data_dir

EXIT_OK = 0
EXIT_DIFFERENCES = 1  # differences found, or what was asked for does not exist
EXIT_USAGE = 2  # bad arguments or configuration (a missing or unmigrated database included)
EXIT_UNAVAILABLE = 3  # could not finish: a service or file could not be reached or written

# Services with a database of their own; `billing migrate` goes through them in this order.
SERVICES = ("metering", "wallet", "invoicing", "gateway", "notifications")
CONFIG_VARIABLE = "BILLING_CONFIG"


class CommandError(Exception):
    """A subcommand cannot do what it was asked; the message is one line for a person."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.code = code or {
            EXIT_DIFFERENCES: "NOT_FOUND",
            EXIT_USAGE: "USAGE",
            EXIT_UNAVAILABLE: "UNAVAILABLE",
        }.get(exit_code, "FAILED")


def not_found(message: str) -> CommandError:
    return CommandError(message, EXIT_DIFFERENCES, "NOT_FOUND")


def rpc_error(error: grpc.RpcError) -> CommandError:
    """A service's refusal as the command's failure: INVALID_ARGUMENT 2, a service that could
    not be reached (or answer in time) 3, anything else (NOT_FOUND, PERMISSION_DENIED...) 1."""
    code = error.code() if isinstance(error, grpc.Call) else None
    detail = error.details() if isinstance(error, grpc.Call) else str(error)
    name = code.name if code else "UNKNOWN"
    message = f"{detail} ({name})"
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return CommandError(message, EXIT_USAGE, name)
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return CommandError(message, EXIT_UNAVAILABLE, name)
    return CommandError(message, EXIT_DIFFERENCES, name)


@dataclass
class Result:
    """A subcommand's answer: `data` is printed as JSON with --json, `lines` otherwise (when
    empty, the data as one JSON line). exit_code 1 says the answer found differences."""

    data: Mapping[str, Any]
    lines: Sequence[str] = field(default_factory=list)
    exit_code: int = EXIT_OK

    def render(self, as_json: bool) -> str:
        if as_json or not self.lines:
            return json.dumps(self.data, ensure_ascii=False, default=str)
        return "\n".join(self.lines)


def read_config_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines, as in an env file or a ConfigMap's data; # starts a comment."""
    try:
        text = path.read_text()
    except OSError as error:
        raise ConfigError("--config", f"cannot read {path}: {error.strerror}") from None
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        name, equals, value = line.partition("=")
        name = name.strip()
        if not equals or not name.replace("_", "").isalnum():
            raise ConfigError("--config", f"{path}:{number}: expected NAME=value")
        parts = shlex.split(value, comments=True) if value.strip() else [""]
        values[name] = parts[0] if len(parts) == 1 else " ".join(parts)
    return values


def environment(config_path: str | None) -> Env:
    """The process environment, with the named config file (or $BILLING_CONFIG) laid over it."""
    path = config_path or os.environ.get(CONFIG_VARIABLE, "").strip()
    if not path:
        return Env()
    return Env({**os.environ, **read_config_file(Path(path))})


@dataclass(frozen=True)
class DatabaseSetting:
    url: str
    source: str  # the variable the URL came from, or the default file it names


def database_setting(env: Env, service: str, *, shared_allowed: bool = True) -> DatabaseSetting:
    """<SERVICE>_DATABASE_URL; else DATABASE_URL (a service's own pod sets only that); else the
    SQLite file a local run uses. shared_allowed=False (commands over several services) refuses
    a bare DATABASE_URL: it names one service's database, never all of them."""
    own = f"{service.upper()}_DATABASE_URL"
    url = env.text(own, "")
    if url:
        return DatabaseSetting(url, own)
    shared = env.text(db.VARIABLE, "")
    if shared:
        if not shared_allowed:
            raise ConfigError(
                own, f"{db.VARIABLE} names one service's database; set {own} for {service}"
            )
        return DatabaseSetting(shared, db.VARIABLE)
    path = data_dir(env) / f"{service}.db"
    return DatabaseSetting(f"sqlite:///{path}", f"{own} (unset; default {path})")


def migrations_dir(service: str) -> Path | None:
    """The service's Alembic folder in this build, or None when the service is not in it."""
    try:
        spec = importlib.util.find_spec(f"services.{service}")
    except ModuleNotFoundError:
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "migrations"
    return folder if folder.is_dir() else None


def open_database(env: Env, service: str) -> Engine:
    """The service's database as its servers use it: it must exist and carry at least this
    release's migrations (`billing migrate` is the only command that creates or changes one)."""
    folder = migrations_dir(service)
    if folder is None:
        raise CommandError(f"{service} is not part of this build")
    setting = database_setting(env, service)
    require_database_file(setting)
    try:
        engine = db.create_engine(setting.url)
    except ConfigError as error:
        raise ConfigError(setting.source, str(error).partition(": ")[2]) from None
    state = db.schema_state(engine, folder)
    if state.behind:
        engine.dispose()
        raise ConfigError(
            setting.source, f"{state.describe()}: run `billing migrate {service}` first"
        )
    return engine


def service_env(env: Env, service: str) -> Env:
    """What a service's own wiring (its bootstrap) needs to serve a command: DATABASE_URL set
    to the service's database, checked as open_database checks it, and never migrated."""
    open_database(env, service).dispose()
    url = database_setting(env, service).url
    return env.overlaid({db.VARIABLE: url, db.MIGRATE_ON_START: "false"})


def require_database_file(setting: DatabaseSetting) -> None:
    """A SQLite database must already exist: opening one that does not would create it."""
    if not setting.url.startswith("sqlite:///"):
        return
    path = Path(setting.url.removeprefix("sqlite:///"))
    if str(path) and str(path) != ":memory:" and not path.exists():
        raise ConfigError(setting.source, f"no database at {path}")
