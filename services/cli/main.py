"""Entry point of the `billing` admin command: one subcommand per module.

Exit codes, the same for every subcommand: 0 done; 1 differences found or not found;
2 usage or configuration (a database that does not exist or lacks migrations included);
3 could not finish (a service unreachable, a file not written).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence

import grpc

from services.cli import common
from services.common.config import ConfigError
from services.common.errors import BillingError, InvalidArgument

# Each module exposes register(subparsers); the parser it adds sets `run(args)`, returning a
# common.Result (or an exit code).
COMMAND_MODULES = (
    "services.cli.quote",
    "services.cli.ledger",
    "services.cli.report",
    "services.cli.apikey",
    "services.cli.audit",
    "services.cli.credentials",
    "services.cli.topup",
    "services.cli.migrate",
    "services.cli.dead_letters",
    "services.cli.invoices",
)


class OneLineParser(argparse.ArgumentParser):
    """Argument errors end with exit 2 and a single line naming the problem."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(common.EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="billing", description="Billing suite administration.")
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="KEY=VALUE settings laid over the environment (default: $BILLING_CONFIG)",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name == name:
                continue
            raise
        module.register(commands)
    _add_json_flags(commands)
    return parser


def _add_json_flags(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """--json on every subcommand, also on those registered without it."""
    for parser in commands.choices.values():
        nested = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        for action in nested:
            _add_json_flags(action)
        if not nested and "--json" not in parser._option_string_actions:
            parser.add_argument("--json", action="store_true", help="answer with one JSON document")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    as_json = bool(getattr(args, "json", False))
    try:
        args.env = common.environment(args.config)
        outcome = args.run(args)
    except common.CommandError as error:
        return _fail(error.message, error.exit_code, error.code, as_json)
    except grpc.RpcError as error:
        failure = common.rpc_error(error)
        return _fail(failure.message, failure.exit_code, failure.code, as_json)
    except ConfigError as error:
        return _fail(f"configuration error: {error}", common.EXIT_USAGE, "CONFIGURATION", as_json)
    except InvalidArgument as error:
        return _fail(error.message, common.EXIT_USAGE, error.code.name, as_json)
    except BillingError as error:
        return _fail(error.message, common.EXIT_DIFFERENCES, error.code.name, as_json)
    if isinstance(outcome, int):
        return outcome
    print(outcome.render(as_json))
    return outcome.exit_code


def _fail(message: str, exit_code: int, code: str, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"error": {"code": code, "message": message, "exit_code": exit_code}}))
    print(f"billing: error: {message}", file=sys.stderr)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
