"""The invoicing service's tables (no other service reads them)."""

import sqlalchemy as sa

from services.common.audit import audit_table
from services.common.idempotency import idempotency_table
from services.common.outbox import outbox_table

metadata = sa.MetaData()

idempotency_keys = idempotency_table(metadata, "invoicing")
audit_entries = audit_table(metadata, "invoicing")

plans = sa.Table(
    "invoicing_plans",
    metadata,
    sa.Column("plan_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("currency_code", sa.String(3), nullable=False),
    sa.Column("monthly_fee_micros", sa.BigInteger, nullable=False),
    sa.Column("included_active_users", sa.BigInteger, nullable=False),
    sa.Column("price_per_extra_user_micros", sa.BigInteger, nullable=False),
    sa.Column("notification_fee_micros", sa.BigInteger, nullable=False),
    sa.Column("period_months", sa.Integer, nullable=False),
    sa.Column("discount_basis_points", sa.BigInteger, nullable=False),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column("prepaid_notifications", sa.Boolean, nullable=False, server_default=sa.false()),
)


def _created_at() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


subscriptions = sa.Table(
    "invoicing_subscriptions",
    metadata,
    sa.Column("subscription_id", sa.String(128), primary_key=True),
    sa.Column("account_id", sa.String(128), nullable=False, index=True),
    sa.Column("plan_id", sa.String(64), sa.ForeignKey("invoicing_plans.plan_id"), nullable=False),
    sa.Column("channel_id", sa.String(128), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    # The last day of service, once cancelled.
    sa.Column("end_date", sa.Date, nullable=True),
    sa.Column("cancel_time", sa.DateTime(timezone=True), nullable=True),
    # Whole cycles invoiced; the next cycle to bill has this index.
    sa.Column("cycles_billed", sa.Integer, nullable=False),
    _created_at(),
)

invoices = sa.Table(
    "invoicing_invoices",
    metadata,
    sa.Column("invoice_id", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    # What the invoice is for; one invoice per (account, kind, source).
    sa.Column("source_reference", sa.String(300), nullable=True),
    sa.Column("subscription_id", sa.String(128), nullable=True),
    sa.Column("currency_code", sa.String(3), nullable=False),
    sa.Column("period_start", sa.Date, nullable=True),
    sa.Column("period_end", sa.Date, nullable=True),
    sa.Column("issuer_id", sa.String(64), nullable=False),
    sa.Column("series", sa.String(8), nullable=False),
    sa.Column("number_year", sa.Integer, nullable=True),
    sa.Column("number_sequence", sa.BigInteger, nullable=True),
    sa.Column("number", sa.String(32), nullable=True),
    sa.Column("subtotal_micros", sa.BigInteger, nullable=False),
    sa.Column("tax_rate_basis_points", sa.BigInteger, nullable=False),
    sa.Column("tax_micros", sa.BigInteger, nullable=False),
    sa.Column("total_micros", sa.BigInteger, nullable=False),
    sa.Column("credits_applied_micros", sa.BigInteger, nullable=False),
    sa.Column("credited_micros", sa.BigInteger, nullable=False),
    sa.Column("paid_micros", sa.BigInteger, nullable=False),
    sa.Column("issue_time", sa.DateTime(timezone=True), nullable=True),
    sa.Column("due_time", sa.DateTime(timezone=True), nullable=True),
    sa.Column("paid_time", sa.DateTime(timezone=True), nullable=True),
    sa.Column("corrects_invoice_id", sa.String(64), nullable=True),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("days", sa.BigInteger, nullable=False),
    sa.Column("days_credited_time", sa.DateTime(timezone=True), nullable=True),
    sa.Column("payment_failure_reason", sa.String(300), nullable=False),
    # The payment being collected; set while a card charge is in flight.
    sa.Column("collecting_payment_id", sa.String(64), nullable=True),
    sa.Column("issuer", sa.Text, nullable=False),
    sa.Column("bill_to", sa.Text, nullable=False),
    _created_at(),
    # Why no tax, or under which rule (reverse charge, exempt with its reason).
    sa.Column("tax_note", sa.String(300), nullable=False, server_default=""),
    # A notifications invoice: when the wallet got back, as paid, what its postpaid balance had
    # accrued; NULL while that is owed (paid and not settled yet, or taken back by a refund).
    sa.Column("wallet_settled_time", sa.DateTime(timezone=True), nullable=True),
    # A partner-days invoice: days taken back out of the wallet's pool by refunds and disputes.
    sa.Column("days_taken_back", sa.BigInteger, nullable=False, server_default="0"),
    sa.UniqueConstraint("account_id", "kind", "source_reference", name="uq_invoicing_source"),
    sa.UniqueConstraint("issuer_id", "number", name="uq_invoicing_number"),
    sa.Index("ix_invoicing_invoices_account", "account_id", "created_at"),
    sa.Index("ix_invoicing_invoices_settle", "kind", "status", "wallet_settled_time"),
)

invoice_lines = sa.Table(
    "invoicing_invoice_lines",
    metadata,
    sa.Column(
        "invoice_id",
        sa.String(64),
        sa.ForeignKey("invoicing_invoices.invoice_id"),
        primary_key=True,
    ),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("description", sa.String(300), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("quantity_milli", sa.BigInteger, nullable=False),
    sa.Column("unit_price_micros", sa.BigInteger, nullable=False),
    sa.Column("amount_micros", sa.BigInteger, nullable=False),
    sa.Column("taxable", sa.Boolean, nullable=False),
)

number_sequences = sa.Table(
    "invoicing_number_sequences",
    metadata,
    sa.Column("issuer_id", sa.String(64), primary_key=True),
    sa.Column("series", sa.String(8), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("last_number", sa.BigInteger, nullable=False),
)

payment_methods = sa.Table(
    "invoicing_payment_methods",
    metadata,
    sa.Column("account_id", sa.String(128), primary_key=True),
    sa.Column("payment_method_id", sa.String(128), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("brand", sa.String(32), nullable=False),
    sa.Column("last4", sa.String(4), nullable=False),
    sa.Column("exp_month", sa.Integer, nullable=False),
    sa.Column("exp_year", sa.Integer, nullable=False),
    sa.Column("provider_token", sa.String(200), nullable=False),
    sa.Column("is_default", sa.Boolean, nullable=False),
    _created_at(),
)

# Every payment: a card charge (of an invoice, of added funds, of an auto-recharge) or a
# bank transfer. A card payment's provider id is stored before it is confirmed.
payments = sa.Table(
    "invoicing_payments",
    metadata,
    sa.Column("payment_id", sa.String(64), primary_key=True),
    # The invoice paid; for added funds, the receipt once issued.
    sa.Column("invoice_id", sa.String(64), nullable=True, index=True),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("currency_code", sa.String(3), nullable=False),
    sa.Column("amount_micros", sa.BigInteger, nullable=False),
    sa.Column("method", sa.String(16), nullable=False),
    sa.Column("payment_method_id", sa.String(128), nullable=False),
    sa.Column("reference", sa.String(200), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("failure_reason", sa.String(300), nullable=False),
    _created_at(),
    sa.Column("purpose", sa.String(16), nullable=False, server_default="invoice"),
    sa.Column("provider", sa.String(16), nullable=False, server_default=""),
    sa.Column("provider_payment_id", sa.String(200), nullable=True, unique=True),
    sa.Column("refunded_micros", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("disputed_micros", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Index("ix_invoicing_payments_pending", "status", "updated_at"),
)

# The payment provider's customer of each account (cards are saved on it).
customers = sa.Table(
    "invoicing_customers",
    metadata,
    sa.Column("account_id", sa.String(128), primary_key=True),
    sa.Column("provider", sa.String(16), primary_key=True),
    sa.Column("customer_ref", sa.String(200), nullable=False),
    _created_at(),
)

# A price for adding funds, shown before the customer confirms (amount, fee, total).
fund_quotes = sa.Table(
    "invoicing_fund_quotes",
    metadata,
    sa.Column("quote_id", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("channel_id", sa.String(128), nullable=False),
    sa.Column("display_phone_number", sa.String(32), nullable=False),
    sa.Column("currency_code", sa.String(3), nullable=False),
    sa.Column("amount_micros", sa.BigInteger, nullable=False),
    sa.Column("fee_micros", sa.BigInteger, nullable=False),
    sa.Column("expire_at", sa.DateTime(timezone=True), nullable=False),
    _created_at(),
)

# Money paid by card into a wallet balance: added funds (a confirmed quote) or an
# auto-recharge the wallet asked for. Charged, then credited, then receipted, once each.
fundings = sa.Table(
    "invoicing_fundings",
    metadata,
    sa.Column("funding_id", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("idempotency_key", sa.String(200), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("quote_id", sa.String(64), nullable=True, unique=True),
    sa.Column("channel_id", sa.String(128), nullable=False),
    sa.Column("currency_code", sa.String(3), nullable=False),
    sa.Column("amount_micros", sa.BigInteger, nullable=False),
    sa.Column("fee_micros", sa.BigInteger, nullable=False),
    sa.Column("payment_id", sa.String(64), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("failure_reason", sa.String(300), nullable=False),
    sa.Column("top_up_id", sa.String(64), nullable=True),
    sa.Column("receipt_invoice_id", sa.String(64), nullable=True),
    _created_at(),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("account_id", "idempotency_key", name="uq_invoicing_fundings_key"),
    sa.Index("ix_invoicing_fundings_state", "state", "updated_at"),
)

# Provider events already acted on (a webhook delivered twice is acted on once).
provider_events = sa.Table(
    "invoicing_provider_events",
    metadata,
    sa.Column("event_id", sa.String(200), primary_key=True),
    sa.Column("provider", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    _created_at(),
)

organizations = sa.Table(
    "invoicing_organizations",
    metadata,
    sa.Column("account_id", sa.String(128), primary_key=True),
    sa.Column("business_name", sa.String(200), nullable=False),
    sa.Column("address", sa.String(500), nullable=False),
    sa.Column("tax_id", sa.String(64), nullable=False),
    sa.Column("billing_email", sa.String(254), nullable=False),
    sa.Column("tax_rate_basis_points", sa.BigInteger, nullable=False),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column(
        "update_time", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    # A country and tax id the buyer asked for that would change the tax: an operator confirms.
    sa.Column("pending_country", sa.String(2), nullable=False, server_default=""),
    sa.Column("pending_tax_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("has_pending_change", sa.Boolean, nullable=False, server_default=sa.false()),
    # Set by operators: "" (by the issuer's rules), standard, reverse_charge, exempt.
    sa.Column("tax_treatment", sa.String(16), nullable=False, server_default=""),
    sa.Column("exempt_reason", sa.String(200), nullable=False, server_default=""),
)

# The price per channel-month each partner's days are invoiced at (set by operators).
partner_contracts = sa.Table(
    "invoicing_partner_contracts",
    metadata,
    sa.Column("account_id", sa.String(128), primary_key=True),
    sa.Column("currency_code", sa.String(3), nullable=False),
    sa.Column("price_per_channel_month_micros", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # The first day of the monthly schedule (billed in advance or by days used), once set.
    sa.Column("start_date", sa.Date, nullable=True),
    # Cycles of the schedule already billed (or passed, on request); the next has this index.
    sa.Column("cycles_billed", sa.Integer, nullable=False, server_default="0"),
)

# How a partner is billed, each change from the cycle it applies from (appended, never edited).
partner_billing_changes = sa.Table(
    "invoicing_partner_billing_changes",
    metadata,
    # Autoincrements on PostgreSQL (BIGSERIAL) and SQLite (ROWID) alike: the order they were set.
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("billing", sa.String(16), nullable=False),  # on_request | in_advance | days_used
    sa.Column("from_cycle", sa.Integer, nullable=False),
    _created_at(),
    sa.Index("ix_invoicing_partner_billing_changes_account", "account_id", "id"),
)

# The issuer's tax rules (billing.invoicing.v1.TaxConfiguration).
tax_configurations = sa.Table(
    "invoicing_tax_configurations",
    metadata,
    sa.Column("issuer_id", sa.String(64), primary_key=True),
    sa.Column("configuration", sa.LargeBinary, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# Events to publish (billing.invoicing.events), written with the change they announce.
# What a paid postpaid invoice gave the wallet back (kind "credit", a TopUp) and what refunds
# and disputes took back out again (kind "take_back", a ReverseTopUp of a credit), each written
# before the wallet is called and marked done once it answered; the key is the wallet's.
wallet_settlements = sa.Table(
    "invoicing_wallet_settlements",
    metadata,
    sa.Column("movement_key", sa.String(200), primary_key=True),
    sa.Column("invoice_id", sa.String(64), nullable=False),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    # The credit's key (a take-back names the credit it reverses).
    sa.Column("top_up_key", sa.String(200), nullable=False),
    # What caused it: the invoice's payment, or the refund or dispute.
    sa.Column("cause", sa.String(200), nullable=False),
    sa.Column("amount_micros", sa.BigInteger, nullable=False),
    sa.Column("done_time", sa.DateTime(timezone=True), nullable=True),
    _created_at(),
    sa.Index("ix_invoicing_wallet_settlements_invoice", "invoice_id", "created_at"),
)
outbox = outbox_table(metadata, "invoicing_outbox_batches")
