"""`billing dead-letters list|replay`: stream entries set aside after their retries ran out.

Reads REDIS_URL and REDIS_CLUSTER like the services.
"""

from __future__ import annotations

import argparse
import json
import sys

from services.common import dead_letters, redis_client
from services.common.config import ConfigError, Env, redis_url


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "dead-letters", help="list or replay stream entries set aside after failed retries"
    )
    actions = parser.add_subparsers(dest="action", required=True, parser_class=type(parser))
    listing = actions.add_parser("list", help="list dead letters (all streams, or one)")
    listing.add_argument("--stream", default="", help="the original stream's name")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(run=run_list)
    again = actions.add_parser("replay", help="put dead letters back on their stream")
    again.add_argument("--stream", default="", help="only this stream's dead letters")
    again.add_argument("--id", default="", help="only this dead letter (its id in the listing)")
    again.set_defaults(run=run_replay)


def _client() -> redis_client.RedisClient:
    env = Env()
    return redis_client.connect(redis_url(env), cluster=env.flag("REDIS_CLUSTER", False))


def run_list(args: argparse.Namespace) -> int:
    try:
        client = _client()
    except ConfigError as error:
        print(f"billing dead-letters: {error}", file=sys.stderr)
        return 2
    letters = dead_letters.listed(client, args.stream)
    for letter in letters:
        row = {
            "id": letter.dead_id,
            "stream": letter.stream,
            "group": letter.group,
            "entry_id": letter.entry_id,
            "attempts": letter.attempts,
            "error": letter.error,
        }
        if args.json:
            print(json.dumps(row))
        else:
            print(
                f"{letter.dead_id} {letter.stream} (group {letter.group}, entry "
                f"{letter.entry_id}, {letter.attempts} attempts): {letter.error}"
            )
    if not args.json:
        print(f"{len(letters)} dead letters")
    return 0


def run_replay(args: argparse.Namespace) -> int:
    try:
        client = _client()
    except ConfigError as error:
        print(f"billing dead-letters: {error}", file=sys.stderr)
        return 2
    letters = dead_letters.listed(client, args.stream)
    if args.id:
        letters = [letter for letter in letters if letter.dead_id == args.id]
        if not letters:
            print(f"billing dead-letters: no dead letter {args.id!r}", file=sys.stderr)
            return 1
    for letter in letters:
        new_id = dead_letters.replay(client, letter)
        print(f"{letter.dead_id} back on {letter.stream} as {new_id}")
    print(f"{len(letters)} replayed")
    return 0
