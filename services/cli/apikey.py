"""`billing apikey`, `billing user` and `billing operator`: the gateway's credentials.

They write the gateway's own SQL (GATEWAY_DATABASE_URL, or DATABASE_URL as in a gateway pod),
which must exist and be migrated, print one JSON object per call, and record each change in the
gateway's audit log as the operator running them (BILLING_OPERATOR, else the login name).
Secrets are shown once, at creation.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from services.cli import access, common
from services.common.config import Env
from services.gateway import bootstrap
from services.gateway.domain.access import Role, parse_role
from services.gateway.domain.records import Operator
from services.gateway.service.admin import Administration, key_summary

ROLES = [role.value for role in Role]
MIN_PASSWORD_LENGTH = 8


def register(subparsers: Any) -> None:
    apikey = subparsers.add_parser("apikey", help="create, revoke and list gateway API keys")
    actions = apikey.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="a new key; prints key_id and api_key once")
    owner = create.add_mutually_exclusive_group(required=True)
    owner.add_argument("--account", help="the account the key acts for")
    owner.add_argument(
        "--operator", action="store_true", help="a named key for the provider's operators"
    )
    # Kept for scripts written before operators had names: an operator key called "platform".
    owner.add_argument("--platform", action="store_true", help=argparse.SUPPRESS)
    create.add_argument("--role", choices=ROLES, help="required with --account")
    create.add_argument("--name", default="", help="what the key is for (required: --operator)")
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
    unlock = user_actions.add_parser("unlock", help="end a sign-in lock (forget the failures)")
    unlock.add_argument("--email", required=True)
    unlock.set_defaults(run=_unlock)

    operator = subparsers.add_parser("operator", help="the provider's operators (named people)")
    operator_actions = operator.add_subparsers(dest="action", required=True)
    add_operator = operator_actions.add_parser(
        "add", help="make a user (new or not) an operator; prints a password for a new one"
    )
    add_operator.add_argument("--email", required=True)
    add_operator.add_argument("--name", default="", help="the person's name")
    add_operator.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add_operator.set_defaults(run=_add_operator)
    remove = operator_actions.add_parser("remove", help="an operator no longer (tokens stop)")
    remove.add_argument("--email", required=True)
    remove.set_defaults(run=_remove_operator)
    operators = operator_actions.add_parser("list", help="operators, active and removed")
    operators.set_defaults(run=_list_operators)


def _administration(env: Env) -> Administration:
    engine = common.open_database(env, "gateway")
    return bootstrap.administration(engine, access.actor(env))


def _create(args: argparse.Namespace) -> common.Result:
    if args.account and args.role is None:
        raise common.CommandError("--role is required with --account")
    operator = args.operator or args.platform
    if operator and (args.role or args.billing_access):
        raise common.CommandError("an --operator key has no --role or --billing-access")
    if args.operator and not args.name.strip():
        raise common.CommandError("--name is required with --operator (who or what uses the key)")
    name = args.name or ("platform" if args.platform else "")
    role = parse_role(args.role) if args.role else None
    created = _administration(args.env).create_api_key(
        args.account or "", role, name, args.billing_access
    )
    return common.Result({**key_summary(created.key), "api_key": created.api_key})


def _revoke(args: argparse.Namespace) -> common.Result:
    return common.Result(key_summary(_administration(args.env).revoke_api_key(args.key_id)))


def _list(args: argparse.Namespace) -> common.Result:
    keys = _administration(args.env).list_api_keys(args.account)
    return common.Result({"keys": [key_summary(k) for k in keys]})


def _password(args: argparse.Namespace) -> str:
    """The password from stdin when asked (at least MIN_PASSWORD_LENGTH characters)."""
    if not args.password_stdin:
        return ""
    password = sys.stdin.readline().rstrip("\n")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise common.CommandError(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters"
        )
    return password


def _add_user(args: argparse.Namespace) -> common.Result:
    password = _password(args)
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


def _unlock(args: argparse.Namespace) -> common.Result:
    _administration(args.env).unlock_sign_in(args.email)
    return common.Result({"email": args.email.strip().lower(), "unlocked": True})


def _add_operator(args: argparse.Namespace) -> common.Result:
    password = _password(args)
    operator, handed_over = _administration(args.env).add_operator(args.email, args.name, password)
    answer = _operator(operator)
    if handed_over:
        answer["password"] = handed_over
    return common.Result(answer)


def _remove_operator(args: argparse.Namespace) -> common.Result:
    return common.Result(_operator(_administration(args.env).remove_operator(args.email)))


def _list_operators(args: argparse.Namespace) -> common.Result:
    operators = _administration(args.env).list_operators()
    return common.Result({"operators": [_operator(o) for o in operators]})


def _operator(operator: Operator) -> dict[str, Any]:
    return {
        "user_id": operator.user_id,
        "email": operator.email,
        "name": operator.name,
        "active": operator.active,
    }
