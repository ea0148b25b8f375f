"""gRPC entrypoint of the wallet: translate requests, hand them to the use cases. Each area's
handlers are in their own module."""

from __future__ import annotations

from billing.wallet.v1 import wallet_service_pb2_grpc as pb_grpc

from services.wallet.entrypoints.account_handlers import AccountHandlers
from services.wallet.entrypoints.day_handlers import DayHandlers
from services.wallet.entrypoints.money_handlers import MoneyHandlers
from services.wallet.entrypoints.send_handlers import SendHandlers


class WalletServicer(
    SendHandlers,
    MoneyHandlers,
    DayHandlers,
    AccountHandlers,
    pb_grpc.WalletServiceServicer,
):
    """Every RPC of the contract, by area."""
