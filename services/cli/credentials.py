"""`billing credentials show|env|generate`: service credentials.

`show CALLER` prints a caller's token from the data folder `make up` keeps them in
(BILLING_DATA_DIR/credentials.json), e.g. the one messaging clients present as gRPC metadata
`authorization: Bearer <token>`. `env PROCESS` prints what one process of a local run needs, as
shell exports (made on first use). `generate` prints a fresh set for a deployment (tokens per
caller, BILLING_CALLERS and BILLING_PRINCIPAL_KEY) as JSON, to put in its secret store.
"""

from __future__ import annotations

import argparse
import secrets
import shlex
from typing import Any

from services.cli import common
from services.common import local_credentials, service_auth
from services.common.config import data_dir


def register(subparsers: Any) -> None:
    credentials = subparsers.add_parser("credentials", help="service credentials for gRPC")
    actions = credentials.add_subparsers(dest="action", required=True)
    show = actions.add_parser("show", help="a caller's token, from the local data folder")
    show.add_argument(
        "caller", help=f"one of {', '.join(service_auth.STANDARD_CALLERS)}", metavar="CALLER"
    )
    show.set_defaults(run=_show)
    env = actions.add_parser("env", help="a local process's credentials, as shell exports")
    env.add_argument("process", help="metering, wallet, invoicing, gateway or cli")
    env.set_defaults(run=_env)
    generate = actions.add_parser("generate", help="a fresh set for a deployment, as JSON")
    generate.add_argument(
        "--caller",
        action="append",
        default=[],
        help="callers to make tokens for (default: the standard ones); repeat for more",
    )
    generate.set_defaults(run=_generate)


def _show(args: argparse.Namespace) -> common.Result:
    folder = data_dir(args.env)
    found = local_credentials.load(folder)
    if found is None:
        raise common.CommandError(
            f"no {local_credentials.path(folder)}: run `make up` once (or set BILLING_DATA_DIR "
            "to its data folder)"
        )
    token = found.tokens.get(args.caller)
    if token is None:
        raise common.CommandError(f"no caller {args.caller!r}")
    return common.Result(
        {
            "caller": args.caller,
            "token": token,
            "metadata": {service_auth.AUTHORIZATION: f"{service_auth.BEARER}{token}"},
        }
    )


def _env(args: argparse.Namespace) -> common.Result:
    found = local_credentials.load_or_create(data_dir(args.env))
    exports = found.env_for(args.process)
    lines = [f"export {name}={shlex.quote(value)}" for name, value in sorted(exports.items())]
    return common.Result(dict(sorted(exports.items())), lines)


def _generate(args: argparse.Namespace) -> common.Result:
    callers = args.caller or list(service_auth.STANDARD_CALLERS)
    try:
        tokens = {caller: service_auth.new_token(caller) for caller in callers}
    except ValueError as error:
        raise common.CommandError(str(error)) from None
    return common.Result(
        {
            "tokens": tokens,
            service_auth.CALLERS_VARIABLE: service_auth.callers_text(tokens),
            service_auth.PRINCIPAL_KEY_VARIABLE: secrets.token_urlsafe(32),
        }
    )
