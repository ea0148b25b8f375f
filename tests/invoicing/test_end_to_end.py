"""A billing cycle against the real metering service: its active users and charges, invoiced.

Metering runs in this process on the same SQL engine kind and a real redis-server; the account
reaches it the way the wallet announces accounts (billing.wallet.accounts). The wallet port
stays in memory until wallet answers RedeemCredits and AddDays.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis
from billing.common.v1 import category_pb2
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2_grpc as pb_grpc
from billing.metering.v1 import events_pb2
from billing.metering.v1 import metering_service_pb2 as metering_pb
from billing.metering.v1 import metering_service_pb2_grpc as metering_grpc
from billing.wallet.v1 import account_pb2
from google.protobuf import timestamp_pb2

from services.common.config import Env
from services.common.grpc_server import App
from services.invoicing import bootstrap as invoicing_bootstrap
from services.invoicing.adapters.payment_providers import FakePaymentProvider
from services.metering import bootstrap as metering_bootstrap
from tests.harness.credentials import trusted_channel
from tests.harness.postgres import PostgresCluster
from tests.harness.services import InProcessService
from tests.invoicing.fakes import FakeWallet
from tests.invoicing.helpers import TIMEOUT_S, create_plan, run_cycle, subscribe

ACCOUNTS_STREAM = "billing.wallet.accounts"


def stamp(text: str) -> timestamp_pb2.Timestamp:
    result = timestamp_pb2.Timestamp()
    result.FromDatetime(dt.datetime.fromisoformat(text).astimezone(dt.UTC))
    return result


def delivered_template(
    account_id: str, message_id: str, contact: str, at: str
) -> events_pb2.MessageEvent:
    return events_pb2.MessageEvent(
        account_id=account_id,
        channel_id="ch-1",
        contact=contact,
        occur_time=stamp(at),
        status=events_pb2.OutboundStatus(
            message_id=message_id,
            status=events_pb2.MESSAGE_STATUS_DELIVERED,
            is_template=True,
            category=category_pb2.CATEGORY_MARKETING,
            pricing=events_pb2.Pricing(
                billable=True,
                pricing_model=category_pb2.PRICING_MODEL_PER_MESSAGE,
                type=category_pb2.PRICING_TYPE_REGULAR,
                category=category_pb2.CATEGORY_MARKETING,
            ),
        ),
    )


@dataclass
class Suite:
    metering: metering_grpc.MeteringServiceStub
    invoicing: pb_grpc.InvoicingServiceStub
    wired_metering: metering_bootstrap.Metering
    redis: redis.Redis


def own_database(request: pytest.FixtureRequest, database_url: str) -> str:
    """Invoicing's own database beside metering's: services share no tables."""
    if database_url.startswith("sqlite"):
        return database_url.replace("test.db", "invoicing.db")
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.create_database()


@pytest.fixture
def suite(request: pytest.FixtureRequest, database_url: str, redis_url: str) -> Iterator[Suite]:
    wired: list[metering_bootstrap.Metering] = []

    def build_metering(env: Env) -> App:
        wired.append(metering_bootstrap.wire(env))
        return wired[0].app

    metering_env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "METERING_WORKERS_ENABLED": "false",
        "METERING_CONSUMER_NAME": "invoicing-e2e",
    }
    metering = InProcessService("metering", build_metering, metering_env).start()
    wallet = FakeWallet()
    invoicing_env = {
        "DATABASE_URL": own_database(request, database_url),
        "INVOICING_SCHEDULER_ENABLED": "false",
        "METERING_ADDRESS": metering.address,
    }

    def build_invoicing(env: Env) -> App:
        return invoicing_bootstrap.wire(
            env, wallet=wallet, payment_provider=FakePaymentProvider()
        ).app

    invoicing = InProcessService("invoicing", build_invoicing, invoicing_env).start()
    channels = [trusted_channel(s.address) for s in (metering, invoicing)]
    client = redis.Redis.from_url(redis_url)
    try:
        yield Suite(
            metering_grpc.MeteringServiceStub(channels[0]),
            pb_grpc.InvoicingServiceStub(channels[1]),
            wired[0],
            client,
        )
    finally:
        for channel in channels:
            channel.close()
        invoicing.stop()
        metering.stop()
        client.close()


def test_a_cycle_invoices_what_metering_counted(suite: Suite) -> None:
    metering, invoicing, client = suite.metering, suite.invoicing, suite.redis
    profile = account_pb2.AccountProfile(
        account_id="acme", currency_code="USD", time_zone="Asia/Kolkata", business_country="IN"
    )
    changed = account_pb2.AccountChanged(event_id="acme-1", profile=profile)
    client.xadd(
        ACCOUNTS_STREAM,
        {"event": changed.SerializeToString(), "type": changed.DESCRIPTOR.full_name},
    )
    suite.wired_metering.accounts_consumer.drain()
    contacts = ["+14155550101", "+14155550102", "+14155550103"]
    events = [
        delivered_template("acme", f"m-{n}", contact, "2026-03-15T08:00:00+00:00")
        for n, contact in enumerate(contacts)
    ]
    # 9 April 20:00 UTC is 10 April in Kolkata: the next cycle's, not this one's.
    events.append(delivered_template("acme", "m-late", "+14155550199", "2026-04-09T20:00:00+00:00"))
    answer = metering.RecordEvents(
        metering_pb.RecordEventsRequest(events=events), timeout=TIMEOUT_S
    )
    assert answer.accepted_count == 4
    usage = metering.GetDailyUsage(
        metering_pb.GetDailyUsageRequest(
            account_id="acme", from_date="2026-03-10", to_date="2026-04-09"
        ),
        timeout=TIMEOUT_S,
    )
    charged = sum(day.charges.amount_micros for day in usage.days)
    assert usage.active_users == 3 and charged > 0

    create_plan(invoicing, included_active_users=1)
    subscribe(invoicing, "acme", "2026-03-10")
    issued = {i.kind: i for i in run_cycle(invoicing, "2026-04-10").invoices}
    subscription = issued[invoice_pb2.INVOICE_KIND_SUBSCRIPTION]
    users = next(line for line in subscription.lines if line.kind == "active_users")
    assert users.quantity_milli == 2_000  # 3 active, 1 included
    notifications = issued[invoice_pb2.INVOICE_KIND_NOTIFICATIONS]
    assert notifications.lines[0].amount.amount_micros == charged
    assert notifications.lines[0].quantity_milli == 3_000
