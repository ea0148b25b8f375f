"""`billing apikey create|revoke|list` and `billing user add`: the gateway's credentials.

They write the gateway's own SQL (GATEWAY_DATABASE_URL, or DATABASE_URL as in a gateway pod),
which must exist and be migrated, and print one JSON object per call. Secrets are shown once,
at creation.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from services.cli import common
from services.common.config import Env
from services.gateway.adapters.store import Store
from services.gateway.domain.access import Role, parse_role
from services.gateway.domain.records import ApiKey
from services.gateway.service.admin import Administration

ROLES = [role.value for role in Role]


def register(subparsers: Any) -> None:
    apikey = subparsers.add_parser("apikey", help="create, revoke and list gateway API keys")
    actions = apikey.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="a new key; prints key_id and api_key once")
    owner = create.add_mutually_exclusive_group(required=True)
    owner.add_argument("--account", help="the account the key acts for")
    owner.add_argument("--platform", action="store_true", help="a key for the provider's staff")
    create.add_argument("--role", choices=ROLES, help="required with --account")
    create.add_argument("--name", default="", help="what the key is for")
    create.add_argument(
        "--billing-access", action="store_true", help="let an admin or agent key use billing"
    )
    create.set_defaults(run=_create)
    revoke = actions.add_parser("revoke", help="revoke a key at once")
    revoke.add_argument("key_id")
    revoke.set_defaults(run=_revoke)
    listing = actions.add_parser("list", help="keys (never their secrets)")
    listing.add_argument("--account", default=None)
    listing.set_defaults(run=_list)

    user = subparsers.add_parser("user", help="UI users and their role per account")
    user_actions = user.add_subparsers(dest="action", required=True)
    add = user_actions.add_parser("add", help="create a user if new and give them a role")
    add.add_argument("--email", required=True)
    add.add_argument("--account", required=True)
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--billing-access", action="store_true")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add.set_defaults(run=_add_user)


def _administration(env: Env) -> Administration:
    return Administration(Store(common.open_database(env, "gateway")))


def _create(args: argparse.Namespace) -> common.Result:
    if args.account and args.role is None:
        raise common.CommandError("--role is required with --account")
    if args.platform and (args.role or args.billing_access):
        raise common.CommandError("a --platform key has no --role or --billing-access")
    role = parse_role(args.role) if args.role else None
    created = _administration(args.env).create_api_key(
        args.account or "", role, args.name, args.billing_access
    )
    return common.Result({**_key(created.key), "api_key": created.api_key})


def _revoke(args: argparse.Namespace) -> common.Result:
    return common.Result(_key(_administration(args.env).revoke_api_key(args.key_id)))


def _list(args: argparse.Namespace) -> common.Result:
    keys = _administration(args.env).list_api_keys(args.account)
    return common.Result({"keys": [_key(k) for k in keys]})


def _add_user(args: argparse.Namespace) -> common.Result:
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else ""
    if args.password_stdin and len(password) < 8:
        raise common.CommandError("the password must have at least 8 characters")
    membership, handed_over = _administration(args.env).add_user(
        args.email, password, args.account, parse_role(args.role), args.billing_access
    )
    answer: dict[str, Any] = {
        "user_id": membership.user_id,
        "email": membership.email,
        "account_id": membership.account_id,
        "role": membership.role.value,
        "billing_access": membership.billing_access,
    }
    if handed_over:
        answer["password"] = handed_over
    return common.Result(answer)


def _key(key: ApiKey) -> dict[str, Any]:
    return {
        "key_id": key.key_id,
        "account_id": key.account_id,
        "platform": key.platform,
        "role": key.role.value if key.role else "",
        "billing_access": key.billing_access,
        "name": key.name,
        "revoked": key.revoked,
    }
