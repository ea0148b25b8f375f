"""The wallet service's tables (no other service reads them). Times are epoch milliseconds."""

import sqlalchemy as sa

from services.common.audit import audit_table
from services.common.idempotency import idempotency_table
from services.common.outbox import outbox_table

metadata = sa.MetaData()

# An id column that autoincrements on PostgreSQL (BIGSERIAL) and SQLite (ROWID) alike.
AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

idempotency_keys = idempotency_table(metadata, "wallet")
audit_entries = audit_table(metadata, "wallet")

accounts = sa.Table(
    "wallet_accounts",
    metadata,
    sa.Column("account_id", sa.String(128), primary_key=True),
    sa.Column("currency_code", sa.String(3), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("funding_mode", sa.String(16), nullable=False),
    sa.Column("balance_scope", sa.String(16), nullable=False),
    sa.Column("overdraft_limit_micros", sa.BigInteger, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    # The whole AccountProfile as published (billing.wallet.v1.AccountProfile).
    sa.Column("profile", sa.LargeBinary, nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("updated_ms", sa.BigInteger, nullable=False),
    # The display name folded to lower case: operators search by its start.
    sa.Column("search_name", sa.String(200), nullable=False, server_default=""),
    sa.Index(
        "ix_wallet_accounts_search_name",
        "search_name",
        "account_id",
        postgresql_ops={"search_name": "varchar_pattern_ops"},
    ),
    sa.Index(
        "ix_wallet_accounts_id_prefix",
        "account_id",
        postgresql_ops={"account_id": "varchar_pattern_ops"},
    ),
)

# Events to publish (account changes, balance alerts), written with the change they announce.
outbox = outbox_table(metadata, "wallet_outbox_batches")

# Each balance alert once per crossing (its event id names the crossing).
balance_alerts = sa.Table(
    "wallet_balance_alerts",
    metadata,
    sa.Column("event_id", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("channel_id", sa.String(128), nullable=False),
    sa.Column("currency_code", sa.String(3), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("available_micros", sa.BigInteger, nullable=False),
    sa.Column("crossing_ms", sa.BigInteger, nullable=False),
    sa.Index("ix_wallet_balance_alerts_account", "account_id", "crossing_ms"),
)

top_ups = sa.Table(
    "wallet_top_ups",
    metadata,
    sa.Column("top_up_id", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("channel_id", sa.String(128), nullable=False),
    sa.Column("currency_code", sa.String(3), nullable=False),
    sa.Column("amount_micros", sa.BigInteger, nullable=False),
    sa.Column("fee_micros", sa.BigInteger, nullable=False),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("idempotency_key", sa.String(200), nullable=False),
    sa.Column("payment_reference", sa.String(200), nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("applied_ms", sa.BigInteger, nullable=True),
    sa.UniqueConstraint("account_id", "idempotency_key", name="uq_wallet_top_ups_key"),
    sa.Index("ix_wallet_top_ups_account_time", "account_id", "created_ms"),
    # A bank transfer is credited once, whatever idempotency key each attempt used.
    sa.Index(
        "uq_wallet_top_ups_transfer",
        "account_id",
        "payment_reference",
        unique=True,
        sqlite_where=sa.text("source = 'bank_transfer'"),
        postgresql_where=sa.text("source = 'bank_transfer'"),
    ),
)

ledger_entries = sa.Table(
    "wallet_ledger_entries",
    metadata,
    sa.Column("id", AutoId, primary_key=True, autoincrement=True),
    sa.Column("entry_id", sa.String(300), nullable=False, unique=True),
    sa.Column("transaction_id", sa.String(300), nullable=False, index=True),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("ledger_account", sa.String(300), nullable=False, index=True),
    sa.Column("debit_micros", sa.BigInteger, nullable=False),
    sa.Column("credit_micros", sa.BigInteger, nullable=False),
    sa.Column("currency_code", sa.String(3), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("reference", sa.String(200), nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Index("ix_wallet_ledger_entries_account", "account_id", "id"),
)

reservations = sa.Table(
    "wallet_reservations",
    metadata,
    sa.Column("reservation_id", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.String(128), nullable=False, index=True),
    sa.Column("channel_id", sa.String(128), nullable=False),
    sa.Column("message_id", sa.String(128), nullable=False),
    sa.Column("currency_code", sa.String(3), nullable=False),
    sa.Column("amount_micros", sa.BigInteger, nullable=False),
    sa.Column("committed_micros", sa.BigInteger, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("expire_ms", sa.BigInteger, nullable=False),
    # Of amount_micros, the part drawn from credits for messages (the rest is money).
    sa.Column("credit_micros", sa.BigInteger, nullable=False, server_default="0"),
)

credits = sa.Table(
    "wallet_credits",
    metadata,
    sa.Column("credit_id", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("currency_code", sa.String(3), nullable=False),
    sa.Column("granted_micros", sa.BigInteger, nullable=False),
    sa.Column("expire_ms", sa.BigInteger, nullable=False),
    sa.Column("priority", sa.Integer, nullable=False),
    # What it may pay for, comma-separated: "messages,notifications_invoice".
    sa.Column("applies_to", sa.String(200), nullable=False),
    sa.Column("reason", sa.String(200), nullable=False),
    sa.Column("idempotency_key", sa.String(200), nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    # Set once what was left at the expiry has been written off.
    sa.Column("written_off_ms", sa.BigInteger, nullable=True),
    # Credits for messages: when the grant reached the hot balance (as the projector saw it).
    sa.Column("applied_ms", sa.BigInteger, nullable=True),
    sa.UniqueConstraint("account_id", "idempotency_key", name="uq_wallet_credits_key"),
    sa.Index("ix_wallet_credits_account", "account_id", "priority", "expire_ms"),
    sa.Index("ix_wallet_credits_expiry", "written_off_ms", "expire_ms"),
)

credit_redemptions = sa.Table(
    "wallet_credit_redemptions",
    metadata,
    sa.Column("redemption_id", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.String(128), nullable=False, index=True),
    sa.Column("credit_id", sa.String(64), nullable=False),
    sa.Column("invoice_id", sa.String(128), nullable=False),
    sa.Column("currency_code", sa.String(3), nullable=False),
    sa.Column("amount_micros", sa.BigInteger, nullable=False),
    sa.Column("idempotency_key", sa.String(200), nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
)

channels = sa.Table(
    "wallet_channels",
    metadata,
    sa.Column("account_id", sa.String(128), primary_key=True),
    sa.Column("channel_id", sa.String(128), primary_key=True),
    sa.Column("display_phone_number", sa.String(32), nullable=False),
    # The last day the channel may send, YYYY-MM-DD in the account's time zone.
    sa.Column("paid_through", sa.String(10), nullable=True),
    sa.Column("deleted", sa.Boolean, nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("updated_ms", sa.BigInteger, nullable=False),
)

# Every registration and deletion of a channel, appended (never edited): the periods each
# channel was live, from which partners are billed by channel-days.
channel_events = sa.Table(
    "wallet_channel_events",
    metadata,
    sa.Column("id", AutoId, primary_key=True, autoincrement=True),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("channel_id", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # registered | deleted
    # The day it happened in the account's time zone, as days since 1970-01-01.
    sa.Column("epoch_day", sa.Integer, nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Index("ix_wallet_channel_events_account", "account_id", "channel_id", "id"),
)

# Days in and out of an account's pool; the pool is their sum (never edited).
day_movements = sa.Table(
    "wallet_day_movements",
    metadata,
    sa.Column("id", AutoId, primary_key=True, autoincrement=True),
    sa.Column("movement_id", sa.String(300), nullable=False, unique=True),
    sa.Column("account_id", sa.String(128), nullable=False, index=True),
    sa.Column("channel_id", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("days", sa.BigInteger, nullable=False),
    sa.Column("reference", sa.String(200), nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
)

auto_recharges = sa.Table(
    "wallet_auto_recharges",
    metadata,
    sa.Column("account_id", sa.String(128), primary_key=True),
    sa.Column("channel_id", sa.String(128), primary_key=True),
    sa.Column("currency_code", sa.String(3), nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("threshold_micros", sa.BigInteger, nullable=False),
    sa.Column("amount_micros", sa.BigInteger, nullable=False),
    sa.Column("cool_off_seconds", sa.BigInteger, nullable=False),
    sa.Column("max_per_month", sa.Integer, nullable=False),
    sa.Column("updated_ms", sa.BigInteger, nullable=False),
)

# One row per crossing below an auto-recharge threshold that was acted on (never two).
recharges = sa.Table(
    "wallet_recharges",
    metadata,
    sa.Column("recharge_id", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("channel_id", sa.String(128), nullable=False),
    sa.Column("currency_code", sa.String(3), nullable=False),
    # When the balance was first seen below the threshold (epoch ms): names the crossing.
    sa.Column("crossing_ms", sa.BigInteger, nullable=False),
    sa.Column("amount_micros", sa.BigInteger, nullable=False),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("top_up_id", sa.String(64), nullable=True),
    sa.Column("problem", sa.String(200), nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("updated_ms", sa.BigInteger, nullable=False),
    sa.Column("fee_micros", sa.BigInteger, nullable=False, server_default="0"),
    # Charges asked of invoicing for this crossing so far.
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    # A held or declined recharge is tried again from this instant (epoch ms).
    sa.Column("next_attempt_ms", sa.BigInteger, nullable=True),
    sa.UniqueConstraint(
        "account_id", "channel_id", "currency_code", "crossing_ms", name="uq_wallet_recharges"
    ),
    sa.Index("ix_wallet_recharges_due", "state", "next_attempt_ms"),
)

# Refunded or disputed money taken back out of the balance a top-up funded.
recharge_attempts = sa.Table(
    "wallet_recharge_attempts",
    metadata,
    # The card payment's and the top-up's key: names the attempt in invoicing's answers.
    sa.Column("idempotency_key", sa.String(200), primary_key=True),
    sa.Column("recharge_id", sa.String(64), nullable=False, index=True),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("problem", sa.String(200), nullable=False),
    sa.Column("payment_reference", sa.String(200), nullable=False),
    sa.Column("top_up_id", sa.String(64), nullable=True),
    sa.Column("requested_ms", sa.BigInteger, nullable=False),
    sa.Column("updated_ms", sa.BigInteger, nullable=False),
)
top_up_reversals = sa.Table(
    "wallet_top_up_reversals",
    metadata,
    sa.Column("reversal_id", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("channel_id", sa.String(128), nullable=False),
    sa.Column("currency_code", sa.String(3), nullable=False),
    sa.Column("top_up_id", sa.String(64), nullable=False, index=True),
    sa.Column("amount_micros", sa.BigInteger, nullable=False),
    sa.Column("fee_micros", sa.BigInteger, nullable=False),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("idempotency_key", sa.String(200), nullable=False),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("applied_ms", sa.BigInteger, nullable=True),
    sa.UniqueConstraint("account_id", "idempotency_key", name="uq_wallet_reversals_key"),
)

# Each message charge metering published, recorded before it touches Redis (once per message):
# recorded -> applied (to the hot balance) -> posted (its ledger entries are in SQL).
charges = sa.Table(
    "wallet_charges",
    metadata,
    sa.Column("account_id", sa.String(128), primary_key=True),
    sa.Column("message_id", sa.String(128), primary_key=True),
    sa.Column("event_id", sa.String(300), nullable=False),
    sa.Column("channel_id", sa.String(128), nullable=False),
    # The reservation that paid (as given, or found when applied); "" for none.
    sa.Column("reservation_id", sa.String(64), nullable=False),
    sa.Column("currency_code", sa.String(3), nullable=False),
    # Metering's price for the message; 0 for one it does not charge (failed, free).
    sa.Column("amount_micros", sa.BigInteger, nullable=False),
    # When the message was delivered (or failed): the charge's date in reports.
    sa.Column("occur_ms", sa.BigInteger, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("updated_ms", sa.BigInteger, nullable=False),
    # When it reached the hot balance (the settlement's lag is this less the delivery).
    sa.Column("applied_ms", sa.BigInteger, nullable=True),
    sa.Index("ix_wallet_charges_state", "state", "updated_ms"),
    sa.Index("ix_wallet_charges_account_time", "account_id", "occur_ms"),
)

# Each account's funding terms by the day they take effect (the account's time zone); a row
# for a later day is a scheduled switch, applied to the profile when its day comes.
funding_modes = sa.Table(
    "wallet_funding_modes",
    metadata,
    sa.Column("account_id", sa.String(128), primary_key=True),
    sa.Column("effective_date", sa.String(10), primary_key=True),
    sa.Column("funding_mode", sa.String(16), nullable=False),
    sa.Column("limit_micros", sa.BigInteger, nullable=False),
    sa.Column("applied", sa.Boolean, nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Index("ix_wallet_funding_modes_pending", "applied", "effective_date"),
)
