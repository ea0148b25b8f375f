"""Entry point of the `billing` admin command: one subcommand per module."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Each module exposes register(subparsers); the parser it adds sets `run(args) -> int`.
COMMAND_MODULES = (
    "services.cli.quote",
    "services.cli.ledger",
    "services.cli.report",
    "services.cli.apikey",
    "services.cli.dead_letters",
    "services.cli.invoices",
)


class OneLineParser(argparse.ArgumentParser):
    """Argument errors end with exit 2 and a single line naming the problem."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="billing", description="Billing suite administration.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name == name:
                continue
            raise
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
