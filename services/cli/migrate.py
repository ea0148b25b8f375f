"""`billing migrate [SERVICE ...]`: bring each service's database to this release's schema.

The one step that creates or changes a schema in a deployment (a Kubernetes init container
runs `billing migrate <service>` before each pod of a release starts; serving processes there
have DATABASE_MIGRATE_ON_START=false). With no service named, every service of this build, each
from <SERVICE>_DATABASE_URL (or the local SQLite file); naming one service also accepts
DATABASE_URL. Replicas migrating together take turns (a PostgreSQL advisory lock).
`--check` changes nothing: exit 1 when a database is behind.
"""

from __future__ import annotations

import argparse
from typing import Any

from services.cli import common
from services.common import db
from services.common.config import ConfigError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "migrate", help="bring every service's database (or the named ones) to this release"
    )
    parser.add_argument(
        "services",
        nargs="*",
        metavar="SERVICE",
        help=f"one or more of {', '.join(common.SERVICES)} (default: all in this build)",
    )
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a database is behind"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> common.Result:
    unknown = sorted(set(args.services) - set(common.SERVICES))
    if unknown:
        raise common.CommandError(
            f"unknown service {unknown[0]!r}: expected {', '.join(common.SERVICES)}"
        )
    named = list(dict.fromkeys(args.services))
    chosen = named or [s for s in common.SERVICES if common.migrations_dir(s) is not None]
    rows: list[dict[str, Any]] = []
    lines: list[str] = []
    behind = 0
    for service in chosen:
        folder = common.migrations_dir(service)
        if folder is None:
            raise common.CommandError(f"{service} is not part of this build")
        setting = common.database_setting(args.env, service, shared_allowed=len(chosen) == 1)
        if args.check:
            common.require_database_file(setting)
        try:
            engine = db.create_engine(setting.url)
        except ConfigError as error:
            raise ConfigError(setting.source, str(error).partition(": ")[2]) from None
        try:
            before = db.schema_state(engine, folder)
            if not args.check:
                db.migrate(engine, folder)
            after = db.schema_state(engine, folder)
        finally:
            engine.dispose()
        behind += after.behind
        rows.append(
            {
                "service": service,
                "database": engine.url.render_as_string(hide_password=True),
                "before": list(before.current),
                "after": list(after.current),
                "heads": list(after.heads),
                "up_to_date": not after.behind,
            }
        )
        lines.append(f"{service}: {_change(before, after, args.check)}")
    exit_code = common.EXIT_DIFFERENCES if behind else common.EXIT_OK
    return common.Result({"services": rows}, lines, exit_code)


def _change(before: db.SchemaState, after: db.SchemaState, check: bool) -> str:
    if check or before.current == after.current:
        return after.describe()
    was = ", ".join(before.current) or "empty"
    return f"migrated from {was} to {', '.join(after.current)}"
