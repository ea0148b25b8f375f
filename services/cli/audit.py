"""`billing audit [--account X] [--limit N] [--page-token T]`: the audit log, newest first.

It merges the gateway's own log (its SQL: GATEWAY_DATABASE_URL, or DATABASE_URL as in a gateway
pod) with the wallet's and invoicing's (ListAuditEntries at WALLET_ADDRESS and
INVOICING_ADDRESS, as the operator running it), and prints
{"entries": [...], "next_page_token": "..."}.
"""

from __future__ import annotations

import argparse
from typing import Any

from billing.invoicing.v1 import invoicing_service_pb2 as invoicing_pb
from billing.invoicing.v1 import invoicing_service_pb2_grpc as invoicing_grpc
from billing.wallet.v1 import wallet_service_pb2 as wallet_pb
from billing.wallet.v1 import wallet_service_pb2_grpc as wallet_grpc

from services.cli import access, common
from services.common.audit import AuditLog, entry_json, merge
from services.common.config import Env
from services.gateway.adapters import tables

DEADLINE_S = 30.0
MAX_LIMIT = 1000


def register(subparsers: Any) -> None:
    audit = subparsers.add_parser("audit", help="the audit log of every service, newest first")
    audit.add_argument("--account", default="", help="only this account's entries")
    audit.add_argument("--limit", type=int, default=50, help=f"entries (1-{MAX_LIMIT})")
    audit.add_argument("--page-token", default="", help="next_page_token of the last page")
    audit.set_defaults(run=run)


def run(args: argparse.Namespace) -> common.Result:
    if not 0 < args.limit <= MAX_LIMIT:
        raise common.CommandError(f"--limit must be 1 to {MAX_LIMIT}")
    pages = [_gateway_page(args.env, args), *_service_pages(args.env, args)]
    entries, token = merge(pages, args.limit)
    return common.Result({"entries": [entry_json(e) for e in entries], "next_page_token": token})


def _gateway_page(env: Env, args: argparse.Namespace) -> tuple[list[Any], str]:
    engine = common.open_database(env, "gateway")
    try:
        log = AuditLog(engine, tables.audit_entries, "gateway")
        return log.list_messages(args.account, args.limit, args.page_token)
    finally:
        engine.dispose()


def _service_pages(env: Env, args: argparse.Namespace) -> list[tuple[list[Any], str]]:
    wallet_address = env.text("WALLET_ADDRESS", "127.0.0.1:50052")
    invoicing_address = env.text("INVOICING_ADDRESS", "127.0.0.1:50053")
    pages: list[tuple[list[Any], str]] = []
    with access.channel(env, wallet_address) as channel:
        wallet = wallet_grpc.WalletServiceStub(channel).ListAuditEntries(
            wallet_pb.ListAuditEntriesRequest(
                account_id=args.account, page_size=args.limit, page_token=args.page_token
            ),
            timeout=DEADLINE_S,
        )
        pages.append((list(wallet.entries), wallet.next_page_token))
    with access.channel(env, invoicing_address) as channel:
        invoicing = invoicing_grpc.InvoicingServiceStub(channel).ListAuditEntries(
            invoicing_pb.ListAuditEntriesRequest(
                account_id=args.account, page_size=args.limit, page_token=args.page_token
            ),
            timeout=DEADLINE_S,
        )
        pages.append((list(invoicing.entries), invoicing.next_page_token))
    return pages
