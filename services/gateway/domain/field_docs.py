"""What the OpenAPI document says of fields the contracts leave uncommented, and examples.

A field's own comment in the proto always wins; these cover names that mean one thing
everywhere (the conventions every request shares).
"""

from __future__ import annotations

GLOSSARY: dict[str, str] = {
    "account_id": "The business account's id.",
    "channel_id": "The phone number (channel) id; empty for the whole account.",
    "idempotency_key": (
        "A client-chosen key: a retry with the same key answers the first result "
        "(the Idempotency-Key header fills it)."
    ),
    "page_size": "At most this many items; 0 means the default (50); at most 1000.",
    "page_token": "The next_page_token of the previous page; empty for the first page.",
    "next_page_token": "Pass as page_token for the next page; empty on the last page.",
    "from_date": "First day of the range (YYYY-MM-DD), inclusive.",
    "to_date": "Last day of the range (YYYY-MM-DD), inclusive.",
    "currency_code": "ISO 4217 currency code, e.g. USD.",
    "amount_micros": "Amount in micros of the currency's major unit: 1 USD = 1000000.",
    "create_time": "When it was created (RFC 3339).",
    "update_time": "When it last changed (RFC 3339).",
    "invoice_id": "The invoice's id.",
    "subscription_id": "The subscription's id.",
    "plan_id": "The plan's id.",
    "payment_method_id": "The payment method's id.",
    "payment_id": "The payment's id.",
    "credit_id": "The credit grant's id.",
    "top_up_id": "The top-up's id.",
    "entry_id": "The ledger entry's id.",
    "transaction_id": "The ledger transaction the entry belongs to.",
    "reservation_id": "The reservation's id.",
    "message_id": "The sender's id for the message.",
    "event_id": "The event's id (consumers apply each once).",
    "batch_id": "The campaign's id.",
    "recipient": "The recipient's number in E.164, e.g. +919812345678.",
    "category": "The message's pricing category.",
    "status": "The current status.",
    "kind": "What kind it is.",
    "reason": "Why, in words.",
    "name": "A name to show.",
    "display_name": "The name shown for it.",
    "description": "What it is, in words.",
    "reference": "An outside reference (payment, transfer, invoice).",
    "month": "A calendar month, YYYY-MM.",
    "date": "A calendar day, YYYY-MM-DD, in the account's time zone.",
    "as_of_date": "The day the figures are computed for (YYYY-MM-DD).",
    "days": "A number of whole days.",
    "pool_days": "Days bought and not yet allocated to a channel.",
    "display_phone_number": "The phone number as shown, e.g. +91 98123 45678.",
}

EXAMPLES: dict[str, object] = {
    "account_id": "acme",
    "channel_id": "ch_main",
    "plan_id": "growth-monthly",
    "invoice_id": "inv_3f2a9c",
    "currency_code": "USD",
    "amount_micros": "25000000",
    "from_date": "2026-03-01",
    "to_date": "2026-03-31",
    "as_of_date": "2026-03-15",
    "month": "2026-03",
    "from_month": "2026-01",
    "to_month": "2026-06",
    "recipient": "+919812345678",
    "email": "owner@example.com",
    "billing_email": "billing@example.com",
    "time_zone": "Asia/Kolkata",
    "market": "India",
    "page_size": 50,
    "idempotency_key": "4f1c2b7e-5a0d-4e43-9a55-6c1f1b0e2d11",
}
