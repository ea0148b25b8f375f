"""`billing reconcile` and `billing rebuild --account X`: the wallet's Redis against its ledger.

Both read DATABASE_URL, REDIS_URL, REDIS_CLUSTER and WALLET_PARTITIONS like the service.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import dataclass

from services.cli import charges
from services.common.config import ConfigError, Env
from services.wallet.bootstrap import Wallet, assemble
from services.wallet.service.projection import Projector
from services.wallet.service.reconcile import Reconciler
from services.wallet.service.recovery import Recovery


@dataclass
class _Ledger:
    wallet: Wallet
    projector: Projector
    reconciler: Reconciler
    recovery: Recovery

    @classmethod
    def from_env(cls, env: Env) -> _Ledger:
        wallet = assemble(env)  # the same wiring (and schema) as the service's
        return cls(
            wallet,
            wallet.projector,
            Reconciler(wallet.engine, wallet.hot, wallet.partitioner, wallet.accounts),
            wallet.recovery,
        )


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    reconcile = commands.add_parser(
        "reconcile",
        help="compare every wallet account's Redis state with the SQL ledger; with --charges, "
        "metering's charges with the wallet's revenue and the invoices",
    )
    reconcile.add_argument(
        "--charges", action="store_true", help="metering = wallet = invoiced, over --from/--to"
    )
    reconcile.add_argument("--from", dest="from_date", type=_date, help="YYYY-MM-DD")
    reconcile.add_argument("--to", dest="to_date", type=_date, help="YYYY-MM-DD")
    reconcile.add_argument("--account", default="", help="one account only")
    reconcile.add_argument("--json", action="store_true", help="one JSON document")
    reconcile.set_defaults(run=run_reconcile)
    rebuild = commands.add_parser("rebuild", help="restore one account's Redis state from SQL")
    rebuild.add_argument("--account", required=True, help="the wallet account id")
    rebuild.set_defaults(run=run_rebuild)


def run_reconcile(args: argparse.Namespace) -> int:
    if args.charges and (args.from_date is None or args.to_date is None):
        print("billing reconcile: --charges needs --from and --to", file=sys.stderr)
        return 2
    if args.charges and args.to_date < args.from_date:
        print("billing reconcile: --to must not be before --from", file=sys.stderr)
        return 2
    try:
        ledger = _Ledger.from_env(Env())
    except ConfigError as error:
        print(f"billing reconcile: {error}", file=sys.stderr)
        return 2
    projected = ledger.projector.drain()
    if args.charges:
        try:
            return charges.run(args, ledger.wallet)
        except LookupError as error:
            print(f"billing reconcile: {error.args[0]}", file=sys.stderr)
            return 1
    if projected:
        print(f"projected {projected} ledger entries that were not yet in SQL")
    accounts, differences = ledger.reconciler.all_differences()
    for difference in differences:
        print(difference)
    if differences:
        touched = len({d.account_id for d in differences})
        print(f"{len(differences)} differences in {touched} of {accounts} accounts")
        return 1
    print(f"{accounts} accounts reconciled: Redis matches the ledger")
    return 0


def run_rebuild(args: argparse.Namespace) -> int:
    try:
        ledger = _Ledger.from_env(Env())
    except ConfigError as error:
        print(f"billing rebuild: {error}", file=sys.stderr)
        return 2
    try:
        snapshot = ledger.recovery.rebuild_account(args.account)
    except LookupError as error:
        print(f"billing rebuild: {error.args[0]}", file=sys.stderr)
        return 2
    for (channel, currency), (available, held) in sorted(snapshot.balances.items()):
        where = f" channel {channel}" if channel else ""
        print(f"{args.account} {currency}{where}: available {available}, held {held}")
    print(f"rebuilt {args.account} from the ledger")
    return 0


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text[:20]!r}") from None
