"""`billing dead-letters list|replay`: stream entries set aside after their retries ran out.

Reads REDIS_URL and REDIS_CLUSTER like the services.
"""

from __future__ import annotations

import argparse
from typing import Any

from services.cli import common
from services.common import dead_letters, redis_client
from services.common.config import Env, redis_url


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "dead-letters", help="list or replay stream entries set aside after failed retries"
    )
    actions = parser.add_subparsers(dest="action", required=True, parser_class=type(parser))
    listing = actions.add_parser("list", help="list dead letters (all streams, or one)")
    listing.add_argument("--stream", default="", help="the original stream's name")
    listing.set_defaults(run=run_list)
    again = actions.add_parser("replay", help="put dead letters back on their stream")
    again.add_argument("--stream", default="", help="only this stream's dead letters")
    again.add_argument("--id", default="", help="only this dead letter (its id in the listing)")
    again.set_defaults(run=run_replay)


def _client(env: Env) -> redis_client.RedisClient:
    return redis_client.connect(redis_url(env), cluster=env.flag("REDIS_CLUSTER", False))


def run_list(args: argparse.Namespace) -> common.Result:
    letters = dead_letters.listed(_client(args.env), args.stream)
    rows: list[dict[str, Any]] = [
        {
            "id": letter.dead_id,
            "stream": letter.stream,
            "group": letter.group,
            "entry_id": letter.entry_id,
            "attempts": letter.attempts,
            "error": letter.error,
        }
        for letter in letters
    ]
    lines = [
        f"{row['id']} {row['stream']} (group {row['group']}, entry {row['entry_id']}, "
        f"{row['attempts']} attempts): {row['error']}"
        for row in rows
    ]
    lines.append(f"{len(letters)} dead letters")
    return common.Result({"dead_letters": rows}, lines)


def run_replay(args: argparse.Namespace) -> common.Result:
    client = _client(args.env)
    letters = dead_letters.listed(client, args.stream)
    if args.id:
        letters = [letter for letter in letters if letter.dead_id == args.id]
        if not letters:
            raise common.not_found(f"no dead letter {args.id!r}")
    replayed = []
    for letter in letters:
        new_id = dead_letters.replay(client, letter)
        replayed.append({"id": letter.dead_id, "stream": letter.stream, "entry_id": new_id})
    lines = [f"{r['id']} back on {r['stream']} as {r['entry_id']}" for r in replayed]
    lines.append(f"{len(replayed)} replayed")
    return common.Result({"replayed": replayed}, lines)
