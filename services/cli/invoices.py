"""`billing invoices run [--account X] [--as-of D]`: close the billing cycles that have ended
and issue their invoices now (invoicing's RunBillingCycle at INVOICING_ADDRESS). Exit 0 when
every due cycle was billed, 1 when some could not be (each printed), 2 on bad arguments,
3 when invoicing cannot be reached."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

import grpc
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from billing.invoicing.v1 import invoicing_service_pb2_grpc as pb_grpc

from services.cli import access, common

DEADLINE_S = 600.0


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    invoices = commands.add_parser("invoices", help="billing cycles and invoices")
    actions = invoices.add_subparsers(dest="action", required=True, parser_class=type(invoices))
    run = actions.add_parser("run", help="bill every cycle that has ended, now")
    run.add_argument("--account", default="", help="only this account")
    run.add_argument(
        "--as-of", default="", help="bill cycles whose billing date is on or before this day"
    )
    run.add_argument("--json", action="store_true", help="one JSON document")
    run.add_argument(
        "--reason",
        default="closing the billing cycles that have ended",
        help="why, for the audit log",
    )
    run.set_defaults(run=run_cycles)


def run_cycles(args: argparse.Namespace) -> int:
    as_of = args.as_of or dt.datetime.now(dt.UTC).date().isoformat()
    address = args.env.text("INVOICING_ADDRESS", "127.0.0.1:50053")
    request = pb.RunBillingCycleRequest(as_of_date=as_of, account_id=args.account)
    channel = access.channel(args.env, address, args.reason)
    try:
        answer = pb_grpc.InvoicingServiceStub(channel).RunBillingCycle(request, timeout=DEADLINE_S)
    except grpc.RpcError as error:
        code = error.code()
        print(f"billing invoices run: {code.name}: {error.details()}", file=sys.stderr)
        if code == grpc.StatusCode.INVALID_ARGUMENT:
            return common.EXIT_USAGE
        return common.EXIT_UNAVAILABLE if code == grpc.StatusCode.UNAVAILABLE else 1
    finally:
        channel.close()
    if args.json:
        print(
            json.dumps(
                {
                    "issued": answer.issued_count,
                    "invoices": [i.number for i in answer.invoices],
                    "failures": [
                        {
                            "account_id": f.account_id,
                            "cycle": f.cycle_start_date,
                            "reason": f.reason,
                        }
                        for f in answer.failures
                    ],
                }
            )
        )
    else:
        for invoice in answer.invoices:
            print(f"issued {invoice.number} {invoice.account_id} {invoice.period_start_date}")
        for failure in answer.failures:
            where = f"{failure.account_id} cycle {failure.cycle_start_date}"
            print(f"not billed: {where}: {failure.reason}")
        print(f"{answer.issued_count} invoices issued, {len(answer.failures)} cycles not billed")
    return 1 if answer.failures else 0
