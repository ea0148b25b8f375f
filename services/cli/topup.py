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
import json
import sys
from typing import Any

import grpc
from billing.common.v1 import money_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb
from billing.wallet.v1 import wallet_service_pb2_grpc as pb_grpc
from google.protobuf import json_format

from services.cli import access
from services.common.config import ConfigError, Env

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


def run(args: argparse.Namespace) -> int:
    if not args.reason.strip():
        return _fail("--reason must say why", 2)
    env = Env()
    request = pb.TopUpRequest(
        account_id=args.account,
        channel_id=args.channel,
        amount=money_pb2.Money(currency_code=args.currency.upper(), amount_micros=args.amount),
        idempotency_key=args.idempotency_key or f"transfer:{args.transfer_reference}"[:200],
        transfer_reference=args.transfer_reference,
        reason=args.reason,
    )
    try:
        channel = access.channel(env, env.text("WALLET_ADDRESS", "127.0.0.1:50052"))
        metadata = access.operator_metadata(env, args.reason)
    except ConfigError as error:
        return _fail(f"configuration error: {error}", 2)
    try:
        with channel:
            answer = pb_grpc.WalletServiceStub(channel).TopUp(
                request, timeout=DEADLINE_S, metadata=metadata
            )
    except grpc.RpcError as error:
        code = error.code() if isinstance(error, grpc.Call) else None
        detail = error.details() if isinstance(error, grpc.Call) else str(error)
        exit_code = 2 if code == grpc.StatusCode.INVALID_ARGUMENT else 1
        return _fail(f"{detail} ({code.name if code else 'error'})", exit_code)
    print(json.dumps(json_format.MessageToDict(answer.top_up, preserving_proto_field_name=True)))
    return 0


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


def _fail(message: str, code: int) -> int:
    print(f"billing top-up: error: {message}", file=sys.stderr)
    return code
