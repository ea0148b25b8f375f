"""One messy month per funding mode, through the services' gRPC interfaces on real Redis and
SQL: duplicates, read before delivered, failures, a delivery after its hold was given back,
a send never authorised, a recategorised template, and Redis losing its data half way. Then
`billing reconcile --charges` proves, to the micro: metering's charges = the wallet's message
revenue = what the postpaid account's notifications invoice bills."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from billing.common.v1 import category_pb2
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2_grpc as invoicing_grpc
from billing.metering.v1 import events_pb2
from billing.metering.v1 import metering_service_pb2 as metering_pb
from billing.metering.v1 import metering_service_pb2_grpc as metering_grpc
from billing.wallet.v1 import account_pb2, authorise_pb2
from google.protobuf import timestamp_pb2

from services.cli.main import main as billing
from services.common.config import Env
from services.invoicing import bootstrap as invoicing_bootstrap
from services.invoicing.adapters.payment_providers import FakePaymentProvider
from services.metering import bootstrap as metering_bootstrap
from tests.harness.credentials import credentials, trusted_channel
from tests.harness.services import InProcessService
from tests.invoicing.helpers import create_plan, run_cycle, subscribe
from tests.metering.helpers import status
from tests.wallet.conftest import DEADLINE_S, WalletUnderTest, _serve, wallet_env
from tests.wallet.test_with_invoicing import other_database

CHANNEL = "chan-1"


@dataclass
class Suite:
    wallet: WalletUnderTest
    metering: metering_grpc.MeteringServiceStub
    wired_metering: metering_bootstrap.Metering
    invoicing: invoicing_grpc.InvoicingServiceStub
    env: dict[str, str]

    def settle(self) -> None:
        """Metering's outbox to its streams, the wallet's charges loop, then projection."""
        for _ in range(20):
            moved = self.wired_metering.relay.drain()
            self.wired_metering.relay.settle()
            applied = 0
            while done := self.wallet.wallet.loops["charges"].step():
                applied += done
            projected = self.wallet.wallet.projector.drain()
            if not (moved or applied or projected):
                return

    def announce(self) -> None:
        while self.wallet.wallet.outbox.step():
            pass
        self.wired_metering.accounts_consumer.drain()

    def record(self, *events: events_pb2.MessageEvent) -> None:
        answer = self.metering.RecordEvents(
            metering_pb.RecordEventsRequest(events=events), timeout=DEADLINE_S
        )
        assert answer.rejected_count == 0, answer.results


@pytest.fixture(params=["single", "cluster"])
def suite(
    request: pytest.FixtureRequest, database_url: str, redis_url: str, tmp_path: Any
) -> Iterator[Suite]:
    url, extra = redis_url, {}
    if request.param == "cluster":
        url, extra = request.getfixturevalue("cluster_url"), {"REDIS_CLUSTER": "true"}
    env = wallet_env(database_url, url, **extra)
    serving = _serve(env)
    wallet = next(serving)
    wired: list[metering_bootstrap.Metering] = []

    def build_metering(metering_env: Env) -> Any:
        wired.append(metering_bootstrap.wire(metering_env))
        return wired[0].app

    metering = InProcessService(
        "metering",
        build_metering,
        {
            "DATABASE_URL": other_database(request, database_url, "metering"),
            "REDIS_URL": url,
            "METERING_WORKERS_ENABLED": "false",
            "METERING_CONSUMER_NAME": "charged-once",
            **extra,
        },
    ).start()
    invoicing = InProcessService(
        "invoicing",
        lambda invoicing_env: (
            invoicing_bootstrap.wire(invoicing_env, payment_provider=FakePaymentProvider()).app
        ),
        {
            "DATABASE_URL": other_database(request, database_url, "invoicing"),
            "INVOICING_SCHEDULER_ENABLED": "false",
            "METERING_ADDRESS": metering.address,
            "WALLET_ADDRESS": wallet.service.address,
        },
    ).start()
    channels = [trusted_channel(s.address) for s in (metering, invoicing)]
    cli_env = {
        **env,
        **credentials().env("cli"),
        "METERING_ADDRESS": metering.address,
        "INVOICING_ADDRESS": invoicing.address,
    }
    try:
        yield Suite(
            wallet,
            metering_grpc.MeteringServiceStub(channels[0]),
            wired[0],
            invoicing_grpc.InvoicingServiceStub(channels[1]),
            cli_env,
        )
    finally:
        for channel in channels:
            channel.close()
        invoicing.stop()
        metering.stop()
        next(serving, None)


def last_month() -> tuple[dt.date, dt.date]:
    first_of_this = dt.datetime.now(dt.UTC).date().replace(day=1)
    end = first_of_this - dt.timedelta(days=1)
    return end.replace(day=1), end


def at(day: dt.date, hour: int) -> str:
    return dt.datetime.combine(day, dt.time(hour), dt.UTC).isoformat()


def stamp(text: str) -> timestamp_pb2.Timestamp:
    found = timestamp_pb2.Timestamp()
    found.FromDatetime(dt.datetime.fromisoformat(text))
    return found


def send(
    suite: Suite,
    account: str,
    message: str,
    when: str,
    category: int = category_pb2.CATEGORY_MARKETING,
) -> authorise_pb2.AuthoriseSendResponse:
    answer = suite.wallet.authorise(
        account, message, recipient=contact(message), category=category, send_time=stamp(when)
    )
    assert answer.decision == authorise_pb2.DECISION_ALLOWED, answer
    return answer


def contact(message: str) -> str:
    return f"+1212555{abs(hash(message)) % 10_000:04d}"


def event(
    account: str, message: str, state: str, when: str, **given: Any
) -> events_pb2.MessageEvent:
    return status(account, message, state, when, contact=contact(message), channel=CHANNEL, **given)


def messy_first_half(suite: Suite, account: str, day: dt.date) -> None:
    send(suite, account, "m1", at(day, 9))
    suite.record(event(account, "m1", "delivered", at(day, 9)))
    suite.record(event(account, "m1", "delivered", at(day, 9)))  # reported twice
    send(suite, account, "m2", at(day, 10))  # read reported before delivered
    suite.record(
        event(account, "m2", "read", at(day, 10)), event(account, "m2", "delivered", at(day, 10))
    )
    send(suite, account, "m3", at(day, 11))
    suite.record(event(account, "m3", "failed", at(day, 11)))
    released = send(suite, account, "m4", at(day, 12))  # given back, as after its hold
    suite.wallet.stub.ReleaseReservation(
        authorise_pb2.ReleaseReservationRequest(
            account_id=account, reservation_id=released.reservation_id
        ),
        timeout=DEADLINE_S,
    )
    suite.record(event(account, "m4", "delivered", at(day, 12)))
    suite.record(event(account, "m5", "delivered", at(day, 13)))  # never authorised
    send(suite, account, "m6", at(day, 14), category_pb2.CATEGORY_UTILITY)
    suite.record(  # Meta charged the utility template as marketing
        event(account, "m6", "delivered", at(day, 14), pricing=(True, "regular", "marketing"))
    )
    send(suite, account, "m7", at(day, 15))  # delivered only after Redis lost its data
    suite.settle()


def messy_second_half(suite: Suite, account: str, day: dt.date) -> None:
    suite.record(event(account, "m7", "delivered", at(day, 9)))
    suite.record(event(account, "m1", "delivered", at(day, 9)))  # reported once more
    send(suite, account, "m8", at(day, 10))
    suite.record(event(account, "m8", "delivered", at(day, 10)))
    suite.settle()


def lose_redis(suite: Suite) -> None:
    client: Any = suite.wallet.wallet.redis
    nodes = client.get_nodes() if hasattr(client, "get_nodes") else [None]
    for node in nodes:
        (node.redis_connection if node is not None else client).flushall()
    suite.wallet.wallet.recovery.step()
    suite.wired_metering.relay.settle()  # publishes again what the wallet had not read


def test_one_messy_month_per_funding_mode_agrees_to_the_micro(
    suite: Suite, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    start, end = last_month()
    prepaid = suite.wallet.create_account("prepaid-acct")
    suite.wallet.top_up(prepaid, 1_000_000)
    postpaid = suite.wallet.create_account(
        "postpaid-acct",
        funding_mode=account_pb2.FUNDING_MODE_POSTPAID,
        credit_limit_micros=10_000_000,
    )
    suite.announce()
    for account in (prepaid, postpaid):
        messy_first_half(suite, account, start + dt.timedelta(days=4))
    lose_redis(suite)
    for account in (prepaid, postpaid):
        messy_second_half(suite, account, start + dt.timedelta(days=20))

    create_plan(suite.invoicing)
    for account in (prepaid, postpaid):
        subscribe(suite.invoicing, account, start.isoformat())
    today = dt.datetime.now(dt.UTC).date().isoformat()
    issued = list(run_cycle(suite.invoicing, today).invoices)
    notifications = [i for i in issued if i.kind == invoice_pb2.INVOICE_KIND_NOTIFICATIONS]
    assert [i.account_id for i in notifications] == [postpaid]  # the prepaid wallet paid
    statements = [i for i in issued if i.kind == invoice_pb2.INVOICE_KIND_STATEMENT]
    assert [i.account_id for i in statements] == [prepaid]  # what its balance paid for
    assert sum(line.amount.amount_micros for line in statements[0].lines) == 7 * 25_000

    for name, value in suite.env.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    code = billing(
        ["reconcile", "--charges", "--from", start.isoformat(), "--to", end.isoformat(), "--json"]
    )
    found = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0, found
    by_account = {a["account_id"]: a for a in found["accounts"]}
    for account in (prepaid, postpaid):
        sides = by_account[account]
        # m1, m2, m4, m5, m6 (as marketing), m7, m8: seven charged messages; m3 failed.
        assert sides["metering_micros"] == sides["wallet_micros"] > 0
        assert sides["metering_micros"] == 7 * 25_000, sides
    assert by_account[postpaid]["invoiced_micros"] == by_account[postpaid]["metering_micros"]
    assert by_account[prepaid]["invoiced_micros"] == 0
    assert found["ledger_problems"] == []
    suite.wallet.check()
