"""Added funds' events (top_up.*) occur when the service clock says."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa
from billing.common.v1 import outbox_pb2
from billing.invoicing.v1 import events_pb2

from services.common import db
from services.invoicing.adapters import invoice_events, tables
from tests.invoicing.conftest import Invoicing
from tests.invoicing.helpers import add_card
from tests.invoicing.test_add_funds_retries import add, quote


def top_up_events_of(database_url: str, funding_id: str) -> list[events_pb2.TopUpEvent]:
    engine = db.create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.select(tables.outbox.c.events)).scalars().all()
    finally:
        engine.dispose()
    found = [
        events_pb2.TopUpEvent.FromString(item.event)
        for row in rows
        for item in outbox_pb2.OutboxBatch.FromString(row).events
        if item.type == events_pb2.TopUpEvent.DESCRIPTOR.full_name
    ]
    return [event for event in found if event.funding_id == funding_id]


def test_top_up_events_occur_when_the_service_clock_says(
    start_invoicing: Callable[..., Invoicing], database_url: str
) -> None:
    added_at = dt.datetime(2026, 5, 4, 9, 30, 1, 125_000, tzinfo=dt.UTC)
    invoicing = start_invoicing(clock=lambda: added_at)
    acme = invoicing.account("acme")
    add_card(invoicing.stub, acme, "card-1")
    funding = add(invoicing, acme, quote(invoicing, acme, 25_000_000), "run-1").funding

    (event,) = top_up_events_of(database_url, funding.funding_id)
    assert event.type == "top_up.succeeded"
    assert event.occur_time.ToDatetime(dt.UTC) == added_at
    assert event.event_id == invoice_events.event_id("top_up.succeeded", funding.funding_id)
