"""Invoicing's event ids derive from what happened; an id announced once never changes."""

from __future__ import annotations

from services.invoicing.adapters import invoice_events


def test_a_top_up_event_id_is_pinned() -> None:
    assert invoice_events.event_id("top_up.succeeded", "fund_0001") == (
        "91d13cc5a40a55ca874fee6569c3150f"
    )


def test_an_invoice_event_id_is_pinned() -> None:
    assert invoice_events.event_id("invoice.issued", "inv_1", 1) == (
        "cdc4f1cc943255b48f1d1631932c4e0b"
    )


def test_money_is_in_micros_of_its_currency() -> None:
    amount = invoice_events.money("EUR", 12_340_000)
    assert (amount.currency_code, amount.amount_micros) == ("EUR", 12_340_000)
