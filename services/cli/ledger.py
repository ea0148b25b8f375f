"""`billing reconcile` and `billing rebuild --account X`: the wallet's Redis against its ledger.

Both read the wallet's database (WALLET_DATABASE_URL, or DATABASE_URL as in a wallet pod),
REDIS_URL, REDIS_CLUSTER and WALLET_PARTITIONS like the service, and refuse a database that
`billing migrate wallet` has not brought up to date.
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import asdict, dataclass

from services.cli import charges, common
from services.common.config import Env
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
        # The service's own wiring, on its database as it stands (never migrated here).
        wallet = assemble(common.service_env(env, "wallet"))
        return cls(
            wallet,
            wallet.projector,
            Reconciler(wallet.works, wallet.hot, wallet.partitioner, wallet.accounts),
            wallet.recovery,
        )


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    reconcile = commands.add_parser(
        "reconcile",
        help="compare every wallet account's Redis state with the SQL ledger; with --charges, "
        "metering's charges with the wallet's revenue and the invoices (exit 1 on any difference)",
    )
    reconcile.add_argument(
        "--charges", action="store_true", help="metering = wallet = invoiced, over --from/--to"
    )
    reconcile.add_argument("--from", dest="from_date", type=_date, help="YYYY-MM-DD")
    reconcile.add_argument("--to", dest="to_date", type=_date, help="YYYY-MM-DD")
    reconcile.add_argument("--account", default="", help="one account only")
    reconcile.set_defaults(run=run_reconcile)
    rebuild = commands.add_parser("rebuild", help="restore one account's Redis state from SQL")
    rebuild.add_argument("--account", required=True, help="the wallet account id")
    rebuild.set_defaults(run=run_rebuild)


def run_reconcile(args: argparse.Namespace) -> common.Result:
    if args.charges and (args.from_date is None or args.to_date is None):
        raise common.CommandError("--charges needs --from and --to")
    if args.charges and args.to_date < args.from_date:
        raise common.CommandError("--to must not be before --from")
    ledger = _Ledger.from_env(args.env)
    projected = ledger.projector.drain()
    if args.charges:
        return charges.run(args, ledger.wallet)
    accounts, differences = ledger.reconciler.all_differences()
    lines = []
    if projected:
        lines.append(f"projected {projected} ledger entries that were not yet in SQL")
    lines += [str(difference) for difference in differences]
    touched = len({d.account_id for d in differences})
    if differences:
        lines.append(f"{len(differences)} differences in {touched} of {accounts} accounts")
    else:
        lines.append(f"{accounts} accounts reconciled: Redis matches the ledger")
    data = {
        "accounts": accounts,
        "accounts_with_differences": touched,
        "projected_entries": projected,
        "differences": [asdict(difference) for difference in differences],
    }
    exit_code = common.EXIT_DIFFERENCES if differences else common.EXIT_OK
    return common.Result(data, lines, exit_code)


def run_rebuild(args: argparse.Namespace) -> common.Result:
    ledger = _Ledger.from_env(args.env)
    try:
        snapshot = ledger.recovery.rebuild_account(args.account)
    except LookupError as error:
        raise common.not_found(str(error.args[0])) from None
    lines = []
    rows = []
    for (channel, currency), (available, held) in sorted(snapshot.balances.items()):
        where = f" channel {channel}" if channel else ""
        lines.append(f"{args.account} {currency}{where}: available {available}, held {held}")
        rows.append(
            {
                "channel_id": channel,
                "currency": currency,
                "available_micros": available,
                "held_micros": held,
            }
        )
    lines.append(f"rebuilt {args.account} from the ledger")
    return common.Result({"account_id": args.account, "balances": rows}, lines)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text[:20]!r}") from None
