"""A billing cycle against the real metering service: its active users and charges, invoiced.

The account is opened in the real wallet, which announces it to metering (billing.wallet.accounts);
metering records the message events as the provider reports them, and the wallet settles their
charges (tests/invoicing/backends.py).
"""

from __future__ import annotations

import datetime as dt

from billing.common.v1 import category_pb2
from billing.invoicing.v1 import invoice_pb2
from billing.metering.v1 import events_pb2
from billing.metering.v1 import metering_service_pb2 as metering_pb
from google.protobuf import timestamp_pb2

from tests.invoicing.conftest import Invoicing
from tests.invoicing.helpers import TIMEOUT_S, create_plan, run_cycle, subscribe


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


def test_a_cycle_invoices_what_metering_counted(invoicing: Invoicing) -> None:
    metering, stub = invoicing.backends.metering, invoicing.stub
    acme = invoicing.account("acme", time_zone="Asia/Kolkata", business_country="IN")
    contacts = ["+14155550101", "+14155550102", "+14155550103"]
    events = [
        delivered_template(acme, f"m-{n}", contact, "2026-03-15T08:00:00+00:00")
        for n, contact in enumerate(contacts)
    ]
    # 9 April 20:00 UTC is 10 April in Kolkata: the next cycle's, not this one's.
    events.append(delivered_template(acme, "m-late", "+14155550199", "2026-04-09T20:00:00+00:00"))
    answer = metering.RecordEvents(
        metering_pb.RecordEventsRequest(events=events), timeout=TIMEOUT_S
    )
    assert answer.accepted_count == 4
    invoicing.backends.settle()  # the wallet settles what metering charged
    usage = metering.GetDailyUsage(
        metering_pb.GetDailyUsageRequest(
            account_id=acme, from_date="2026-03-10", to_date="2026-04-09"
        ),
        timeout=TIMEOUT_S,
    )
    charged = sum(day.charges.amount_micros for day in usage.days)
    assert usage.active_users == 3 and charged > 0

    create_plan(stub, included_active_users=1)
    subscribe(stub, acme, "2026-03-10")
    issued = {i.kind: i for i in run_cycle(stub, "2026-04-10").invoices}
    subscription = issued[invoice_pb2.INVOICE_KIND_SUBSCRIPTION]
    users = next(line for line in subscription.lines if line.kind == "active_users")
    assert users.quantity_milli == 2_000  # 3 active, 1 included
    notifications = issued[invoice_pb2.INVOICE_KIND_NOTIFICATIONS]
    assert notifications.lines[0].amount.amount_micros == charged
    assert notifications.lines[0].quantity_milli == 3_000
