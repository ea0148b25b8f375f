"""`billing reconcile --charges --from D --to D [--account X] [--json]`: per account, what
metering charged for messages delivered over the dates (the account's time zone), the wallet's
message revenue for them, and, for postpaid days, what the notifications invoices of the cycles
inside the range billed. Each difference is printed (--json: one document); exit 1 if any (or
if the ledger's debits and credits disagree, or the account is not found), 2 on bad arguments
or configuration.

Reads the wallet's database like `billing reconcile`; asks metering (METERING_ADDRESS) and
invoicing (INVOICING_ADDRESS) over gRPC.
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import asdict, dataclass, field

import grpc
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as inv
from billing.invoicing.v1 import invoicing_service_pb2_grpc as inv_grpc
from billing.metering.v1 import metering_service_pb2 as met
from billing.metering.v1 import metering_service_pb2_grpc as met_grpc

from services.cli import access, common
from services.common.config import Env
from services.wallet.adapters.ledger_sql import check_invariants
from services.wallet.adapters.revenue_sql import revenue_work
from services.wallet.bootstrap import Wallet
from services.wallet.domain.accounts import AccountView
from services.wallet.service.commands.accounts import FundingPeriodsQuery
from services.wallet.service.revenue import message_revenue

CHARGE_LINES = "notifications"
PAGE = 1000


@dataclass
class AccountCharges:
    account_id: str
    currency: str
    metering_micros: int
    wallet_micros: int
    invoiced_micros: int = 0  # postpaid cycles inside the range
    metering_invoiced_days_micros: int = 0  # metering over those cycles' postpaid days
    differences: list[str] = field(default_factory=list)


def reconcile(
    wallet: Wallet, env: Env, start: dt.date, end: dt.date, account_id: str = ""
) -> tuple[list[AccountCharges], list[str]]:
    """Per account, the three sides; and the ledger's own problems (debits = credits)."""
    views = wallet.accounts.all_views()
    if account_id:
        views = [view for view in views if view.account_id == account_id]
        if not views:
            raise LookupError(f"account {account_id!r} not found")
    metering = access.channel(env, env.text("METERING_ADDRESS", "127.0.0.1:50051"))
    invoicing = access.channel(env, env.text("INVOICING_ADDRESS", "127.0.0.1:50053"))
    try:
        met_stub = met_grpc.MeteringServiceStub(metering)
        inv_stub = inv_grpc.InvoicingServiceStub(invoicing)
        found = [_account(wallet, met_stub, inv_stub, view, start, end) for view in views]
    finally:
        metering.close()
        invoicing.close()
    floors = {view.account_id: view.floor_micros for view in wallet.accounts.all_views()}
    return found, check_invariants(wallet.engine, floors).problems


def _account(
    wallet: Wallet,
    metering: met_grpc.MeteringServiceStub,
    invoicing: inv_grpc.InvoicingServiceStub,
    view: AccountView,
    start: dt.date,
    end: dt.date,
) -> AccountCharges:
    charged = _metering_total(metering, view.account_id, start, end)
    revenue = message_revenue(
        revenue_work(wallet.engine), view.account_id, view.time_zone, start, end
    )
    found = AccountCharges(view.account_id, view.currency, charged, revenue.revenue_micros)
    if charged != revenue.revenue_micros:
        found.differences.append(
            f"metering charged {charged} but the wallet's message revenue is "
            f"{revenue.revenue_micros}"
            + (
                f" ({revenue.unexplained_micros} of it with no charge)"
                if revenue.unexplained_micros
                else ""
            )
        )
    for invoice in _notifications_invoices(invoicing, view.account_id, start, end):
        first = dt.date.fromisoformat(invoice.period_start_date)
        last = dt.date.fromisoformat(invoice.period_end_date)
        billed = sum(
            line.amount.amount_micros for line in invoice.lines if line.kind == CHARGE_LINES
        )
        periods = wallet.accounts.funding_periods(
            FundingPeriodsQuery(view.account_id, first.isoformat(), last.isoformat())
        )
        expected = sum(
            _metering_total(metering, view.account_id, period.start, period.end)
            for period in periods.covering
            if period.mode == "postpaid"
        )
        found.invoiced_micros += billed
        found.metering_invoiced_days_micros += expected
        if billed != expected:
            found.differences.append(
                f"invoice {invoice.number or invoice.invoice_id} ({first}..{last}) billed "
                f"{billed} for charges metering counts {expected} on its postpaid days"
            )
    return found


def _metering_total(
    stub: met_grpc.MeteringServiceStub, account_id: str, start: dt.date, end: dt.date
) -> int:
    request = met.SummariseChargesRequest(
        account_id=account_id, from_date=start.isoformat(), to_date=end.isoformat()
    )
    try:
        answer = stub.SummariseCharges(request, timeout=30)
    except grpc.RpcError as error:
        if error.code() == grpc.StatusCode.NOT_FOUND:
            return 0  # metering never heard of the account: it charged nothing
        raise
    return int(answer.total.amount_micros)


def _notifications_invoices(
    stub: inv_grpc.InvoicingServiceStub, account_id: str, start: dt.date, end: dt.date
) -> list[invoice_pb2.Invoice]:
    """Issued notifications invoices whose whole cycle lies inside [start, end]."""
    found: list[invoice_pb2.Invoice] = []
    token = ""
    while True:
        request = inv.ListInvoicesRequest(
            account_id=account_id,
            kind=invoice_pb2.INVOICE_KIND_NOTIFICATIONS,
            page_size=PAGE,
            page_token=token,
        )
        try:
            answer = stub.ListInvoices(request, timeout=30)
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return found
            raise
        for invoice in answer.invoices:
            if invoice.status == invoice_pb2.INVOICE_STATUS_DRAFT or not invoice.period_start_date:
                continue
            first = dt.date.fromisoformat(invoice.period_start_date)
            last = dt.date.fromisoformat(invoice.period_end_date)
            if start <= first and last <= end:
                found.append(invoice)
        token = answer.next_page_token
        if not token:
            return found


def result(
    accounts: list[AccountCharges], problems: list[str], start: dt.date, end: dt.date
) -> common.Result:
    differing = [a for a in accounts if a.differences]
    lines = []
    for account in accounts:
        lines.append(
            f"{account.account_id} {account.currency} {start}..{end}: metering "
            f"{account.metering_micros}, wallet {account.wallet_micros}, invoiced "
            f"{account.invoiced_micros} (metering on invoiced postpaid days "
            f"{account.metering_invoiced_days_micros})"
        )
        lines += [f"  difference: {difference}" for difference in account.differences]
    lines += [f"ledger: {problem}" for problem in problems]
    verdict = "agree" if not differing and not problems else "DISAGREE"
    lines.append(f"{len(accounts)} accounts: metering, wallet and invoices {verdict}")
    data = {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "accounts": [asdict(a) for a in accounts],
        "ledger_problems": problems,
        "ok": not differing and not problems,
    }
    exit_code = common.EXIT_DIFFERENCES if differing or problems else common.EXIT_OK
    return common.Result(data, lines, exit_code)


def run(args: argparse.Namespace, wallet: Wallet) -> common.Result:
    start, end = args.from_date, args.to_date
    try:
        accounts, problems = reconcile(wallet, args.env, start, end, args.account)
    except LookupError as error:
        raise common.not_found(str(error.args[0])) from None
    return result(accounts, problems, start, end)
