"""The baseline a team would build first: check-and-reserve in PostgreSQL under
SELECT ... FOR UPDATE, priced by the same cached pricing, served by the same gRPC runtime."""

from __future__ import annotations

import signal
import time
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from billing.common.v1 import money_pb2
from billing.wallet.v1 import (
    authorise_pb2,
    wallet_service_pb2,
    wallet_service_pb2_grpc,
)

import pricing
from services.common import config, db
from services.common.grpc_server import App, ServiceBinding, run
from services.wallet.adapters.profile_messages import (
    profile_bytes,
    profile_from_bytes,
    profile_message,
    profile_of,
)
from services.wallet.bootstrap import SERVICE_NAME
from services.wallet.entrypoints.access import RULES
from services.wallet.entrypoints.prices import PriceBreakdowns
from services.wallet.entrypoints.timings import DecisionTimings
from services.wallet.service import profiles
from services.wallet.service.quotes import Quoter, category_name, recipient_digits

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS bench_accounts (account_id text PRIMARY KEY, "
    "profile bytea NOT NULL, available bigint NOT NULL, held bigint NOT NULL)",
    "CREATE TABLE IF NOT EXISTS bench_reservations (reservation_id text PRIMARY KEY, "
    "account_id text NOT NULL, message_id text NOT NULL, amount bigint NOT NULL, "
    "expire_ms bigint NOT NULL, UNIQUE (account_id, message_id))",
    "CREATE TABLE IF NOT EXISTS bench_ledger (id bigserial PRIMARY KEY, "
    "transaction_id text NOT NULL, ledger_account text NOT NULL, debit bigint NOT NULL, "
    "credit bigint NOT NULL)",
)
HOLD_MS = 900_000


class BaselineServicer(wallet_service_pb2_grpc.WalletServiceServicer):
    def __init__(self, engine: sa.Engine, timings: DecisionTimings) -> None:
        self._engine = engine
        self._timings = timings
        self._quoter = Quoter(pricing.PricingEngine(pricing.default_catalog()), PriceBreakdowns())
        self._views: dict[str, object] = {}

    def CreateAccount(self, request, context):  # type: ignore[no-untyped-def]
        profile = profiles.normalise(profile_of(request.profile))
        with self._engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO bench_accounts VALUES (:id, :profile, 0, 0) ON CONFLICT DO NOTHING"
                ),
                {"id": profile.account_id, "profile": profile_bytes(profile)},
            )
        return wallet_service_pb2.CreateAccountResponse(account=profile_message(profile))

    def TopUp(self, request, context):  # type: ignore[no-untyped-def]
        with self._engine.begin() as connection:
            connection.execute(
                sa.text(
                    "UPDATE bench_accounts SET available = available + :amount "
                    "WHERE account_id = :id"
                ),
                {"id": request.account_id, "amount": request.amount.amount_micros},
            )
        return wallet_service_pb2.TopUpResponse()

    def AuthoriseSend(self, request, context):  # type: ignore[no-untyped-def]
        started = time.perf_counter_ns()
        try:
            return self._authorise(request, context)
        finally:
            self._timings.record("AuthoriseSend", time.perf_counter_ns() - started)

    def _authorise(self, request, context):  # type: ignore[no-untyped-def]
        category = category_name(request.category, request.is_template)
        digits = recipient_digits(request.recipient)
        now_ms = time.time_ns() // 1_000_000
        with self._engine.begin() as connection:
            replay = connection.execute(
                sa.text(
                    "SELECT reservation_id, amount FROM bench_reservations "
                    "WHERE account_id = :id AND message_id = :message"
                ),
                {"id": request.account_id, "message": request.message_id},
            ).first()
            if replay is not None:
                return authorise_pb2.AuthoriseSendResponse(
                    decision=authorise_pb2.DECISION_ALLOWED,
                    reservation_id=replay.reservation_id,
                    replayed=True,
                )
            account = connection.execute(
                sa.text(
                    "SELECT profile, available FROM bench_accounts WHERE account_id = :id "
                    "FOR UPDATE"
                ),
                {"id": request.account_id},
            ).first()
            if account is None:
                return authorise_pb2.AuthoriseSendResponse(
                    decision=authorise_pb2.DECISION_DENIED,
                    deny_reason=authorise_pb2.DENY_REASON_UNKNOWN_ACCOUNT,
                )
            view = self._views.get(request.account_id)
            if view is None:
                stored = profile_from_bytes(account.profile)
                view = self._views[request.account_id] = profiles.view_of(stored, 1)
            at = datetime.fromtimestamp(now_ms / 1000, UTC)
            candidates = self._quoter.candidates(view, digits, category, at)  # type: ignore[arg-type]
            price = int(candidates.args[0])
            if account.available < price:
                return authorise_pb2.AuthoriseSendResponse(
                    decision=authorise_pb2.DECISION_DENIED,
                    deny_reason=authorise_pb2.DENY_REASON_INSUFFICIENT_FUNDS,
                )
            reservation_id = uuid.uuid4().hex
            connection.execute(
                sa.text(
                    "UPDATE bench_accounts SET available = available - :price, "
                    "held = held + :price WHERE account_id = :id"
                ),
                {"id": request.account_id, "price": price},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO bench_reservations VALUES (:rid, :id, :message, :price, :expire)"
                ),
                {
                    "rid": reservation_id,
                    "id": request.account_id,
                    "message": request.message_id,
                    "price": price,
                    "expire": now_ms + HOLD_MS,
                },
            )
            connection.execute(
                sa.text(
                    "INSERT INTO bench_ledger (transaction_id, ledger_account, debit, credit) "
                    "VALUES (:t, :money, :price, 0), (:t, :held, 0, :price)"
                ),
                {
                    "t": reservation_id,
                    "money": f"customer:{request.account_id}:money",
                    "held": f"customer:{request.account_id}:held",
                    "price": price,
                },
            )
        answer = authorise_pb2.AuthoriseSendResponse(
            decision=authorise_pb2.DECISION_ALLOWED,
            reservation_id=reservation_id,
            balance_after=money_pb2.Money(
                currency_code="USD", amount_micros=account.available - price
            ),
        )
        answer.price.MergeFromString(bytes(candidates.args[1]))  # type: ignore[arg-type]
        return answer


def build(env: config.Env) -> App:
    engine = db.create_engine(config.database_url(env, "baseline"))
    with engine.begin() as connection:
        for statement in SCHEMA:
            connection.execute(sa.text(statement))
    timings = DecisionTimings(env.text("WALLET_TIMINGS_PATH", "baseline-timings.json"))
    signal.signal(signal.SIGUSR1, lambda _signum, _frame: timings.dump())
    servicer = BaselineServicer(engine, timings)  # type: ignore[abstract]
    binding = ServiceBinding(
        SERVICE_NAME,
        lambda server: wallet_service_pb2_grpc.add_WalletServiceServicer_to_server(
            servicer, server
        ),
        # The same callers as the wallet's own rules, so both pay the same check.
        RULES,
    )
    return App(bindings=[binding], on_close=[engine.dispose])


def serve() -> None:
    run("wallet", 50062, build)
