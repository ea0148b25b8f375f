"""`billing apikey`, `billing user` and `billing operator`: the gateway's credentials.

They write the gateway's own SQL (DATABASE_URL, as the gateway reads it), print one JSON object
per call, and record each change in the gateway's audit log as the operator running them
(BILLING_OPERATOR, else the login name). Secrets are shown once, at creation.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from services.cli import access
from services.common.config import ConfigError, Env
from services.common.errors import BillingError, InvalidArgument
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


def _administration() -> Administration:
    from services.common.audit import AuditLog
    from services.gateway.adapters import tables
    from services.gateway.bootstrap import open_store

    env = Env()
    engine, store = open_store(env)
    audit = AuditLog(engine, tables.audit_entries, "gateway")
    return Administration(store, audit, access.actor(env))


def _create(args: argparse.Namespace) -> int:
    if args.account and args.role is None:
        return _fail("--role is required with --account", 2)
    operator = args.operator or args.platform
    if operator and (args.role or args.billing_access):
        return _fail("an --operator key has no --role or --billing-access", 2)
    if args.operator and not args.name.strip():
        return _fail("--name is required with --operator (who or what uses the key)", 2)
    name = args.name or ("platform" if args.platform else "")

    def act() -> dict[str, Any]:
        role = parse_role(args.role) if args.role else None
        created = _administration().create_api_key(
            args.account or "", role, name, args.billing_access
        )
        return {**key_summary(created.key), "api_key": created.api_key}

    return _run(act)


def _revoke(args: argparse.Namespace) -> int:
    return _run(lambda: key_summary(_administration().revoke_api_key(args.key_id)))


def _list(args: argparse.Namespace) -> int:
    def act() -> dict[str, Any]:
        keys = _administration().list_api_keys(args.account)
        return {"keys": [key_summary(k) for k in keys]}

    return _run(act)


def _password(args: argparse.Namespace) -> str | None:
    """The password from stdin when asked; None when it is too short."""
    if not args.password_stdin:
        return ""
    password = sys.stdin.readline().rstrip("\n")
    return password if len(password) >= MIN_PASSWORD_LENGTH else None


def _add_user(args: argparse.Namespace) -> int:
    password = _password(args)
    if password is None:
        return _fail(f"the password must have at least {MIN_PASSWORD_LENGTH} characters", 2)

    def act() -> dict[str, Any]:
        membership, handed_over = _administration().add_user(
            args.email, password, args.account, parse_role(args.role), args.billing_access
        )
        answer = {
            "user_id": membership.user_id,
            "email": membership.email,
            "account_id": membership.account_id,
            "role": membership.role.value,
            "billing_access": membership.billing_access,
        }
        if handed_over:
            answer["password"] = handed_over
        return answer

    return _run(act)


def _unlock(args: argparse.Namespace) -> int:
    def act() -> dict[str, Any]:
        _administration().unlock_sign_in(args.email)
        return {"email": args.email.strip().lower(), "unlocked": True}

    return _run(act)


def _add_operator(args: argparse.Namespace) -> int:
    password = _password(args)
    if password is None:
        return _fail(f"the password must have at least {MIN_PASSWORD_LENGTH} characters", 2)

    def act() -> dict[str, Any]:
        operator, handed_over = _administration().add_operator(args.email, args.name, password)
        answer = _operator(operator)
        if handed_over:
            answer["password"] = handed_over
        return answer

    return _run(act)


def _remove_operator(args: argparse.Namespace) -> int:
    return _run(lambda: _operator(_administration().remove_operator(args.email)))


def _list_operators(_args: argparse.Namespace) -> int:
    return _run(lambda: {"operators": [_operator(o) for o in _administration().list_operators()]})


def _operator(operator: Operator) -> dict[str, Any]:
    return {
        "user_id": operator.user_id,
        "email": operator.email,
        "name": operator.name,
        "active": operator.active,
    }


def _run(act: Any) -> int:
    try:
        answer = act()
    except ConfigError as error:
        return _fail(f"configuration error: {error}", 2)
    except InvalidArgument as error:
        return _fail(error.message, 2)
    except BillingError as error:
        return _fail(error.message, 1)
    print(json.dumps(answer))
    return 0


def _fail(message: str, code: int) -> int:
    print(f"billing: error: {message}", file=sys.stderr)
    return code
