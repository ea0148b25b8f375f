"""`billing top-up`: an operator credits money received without a card (a bank transfer).

    billing top-up --account acme --amount 500.00 --currency USD \\
        --transfer-reference BANK-2026-0042 --reason "wire received 4 March"

It calls the wallet's TopUp (WALLET_ADDRESS) as the operator running it, with the transfer's
reference and the reason (both required, both in the audit log). The idempotency key defaults
to the transfer's reference, and the wallet credits one transfer once per account.
"""

from __future__ import annotations

import argparse
import decimal
from typing import Any

from billing.common.v1 import money_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb
from billing.wallet.v1 import wallet_service_pb2_grpc as pb_grpc
from google.protobuf import json_format

from services.cli import access, common

DEADLINE_S = 30.0
MICROS = decimal.Decimal(1_000_000)


def register(subparsers: Any) -> None:
    top_up = subparsers.add_parser(
        "top-up", help="credit a bank transfer received (an operator's act, audited)"
    )
    top_up.add_argument("--account", required=True)
    top_up.add_argument("--amount", required=True, type=_micros, help="e.g. 500.00 (major units)")
    top_up.add_argument("--currency", required=True, help="ISO 4217, e.g. USD")
    top_up.add_argument("--transfer-reference", required=True, help="the bank's reference")
    top_up.add_argument("--reason", required=True, help="why, for the audit log")
    top_up.add_argument("--channel", default="", help="for accounts funded per phone number")
    top_up.add_argument("--idempotency-key", default="", help="default: the transfer reference")
    top_up.set_defaults(run=run)


def run(args: argparse.Namespace) -> common.Result:
    if not args.reason.strip():
        raise common.CommandError("--reason must say why")
    request = pb.TopUpRequest(
        account_id=args.account,
        channel_id=args.channel,
        amount=money_pb2.Money(currency_code=args.currency.upper(), amount_micros=args.amount),
        idempotency_key=args.idempotency_key or f"transfer:{args.transfer_reference}"[:200],
        transfer_reference=args.transfer_reference,
        reason=args.reason,
    )
    address = args.env.text("WALLET_ADDRESS", "127.0.0.1:50052")
    with access.channel(args.env, address, args.reason) as channel:
        answer = pb_grpc.WalletServiceStub(channel).TopUp(request, timeout=DEADLINE_S)
    return common.Result(json_format.MessageToDict(answer.top_up, preserving_proto_field_name=True))


def _micros(text: str) -> int:
    """A decimal amount of the major unit, exactly, in micros."""
    try:
        amount = decimal.Decimal(text.strip())
    except decimal.InvalidOperation:
        raise argparse.ArgumentTypeError(f"expected an amount like 500.00, got {text!r}") from None
    micros = amount * MICROS
    if not amount.is_finite() or micros != micros.to_integral_value() or amount <= 0:
        raise argparse.ArgumentTypeError("a positive amount with at most 6 decimals")
    return int(micros)
