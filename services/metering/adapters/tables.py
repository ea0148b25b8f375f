"""The metering service's tables (no other service reads them).

Times are POSIX microseconds (UTC) in BigInteger columns; local dates are 'YYYY-MM-DD' and
months 'YYYY-MM' in the account's time zone, fixed when the event is recorded.
"""

import sqlalchemy as sa

from services.common.idempotency import idempotency_table
from services.common.outbox import outbox_table

metadata = sa.MetaData()

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ID = sa.String(128)

idempotency_keys = idempotency_table(metadata, "metering")

# Accounts as the wallet last described them (stream billing.wallet.accounts).
accounts = sa.Table(
    "metering_accounts",
    metadata,
    sa.Column("account_id", ID, primary_key=True),
    sa.Column("currency_code", sa.String(3), nullable=False),
    sa.Column("time_zone", sa.String(64), nullable=False),
    sa.Column("portfolio_id", ID, nullable=False),
    sa.Column("profile", sa.LargeBinary, nullable=False),
    sa.Column("update_us", sa.BigInteger, nullable=False),
    sa.Column("event_id", sa.String(200), nullable=False),
)

# Events of other services already applied, by stream and event id.
consumed_events = sa.Table(
    "metering_consumed_events",
    metadata,
    sa.Column("stream", sa.String(100), primary_key=True),
    sa.Column("event_id", sa.String(200), primary_key=True),
)

# The system of record: every status and inbound message, once per (message, status).
events = sa.Table(
    "metering_events",
    metadata,
    sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
    sa.Column("account_id", ID, nullable=False),
    sa.Column("message_id", sa.String(256), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("event_id", sa.String(256), nullable=False),
    sa.Column("channel_id", ID, nullable=False),
    sa.Column("contact", sa.String(32), nullable=False),
    sa.Column("occur_us", sa.BigInteger, nullable=False),
    sa.Column("local_date", sa.String(10), nullable=False),
    sa.Column("is_template", sa.Boolean, nullable=False),
    sa.Column("referral", sa.Boolean, nullable=False),
    sa.Column("chat_id", sa.String(128), nullable=False),
    sa.Column("session_id", sa.String(128), nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False),
    sa.UniqueConstraint("account_id", "message_id", "status", name="uq_metering_events_status"),
    sa.Index("ix_metering_events_time", "account_id", "occur_us"),
    sa.Index(
        "ix_metering_events_inbound",
        "account_id",
        "channel_id",
        "contact",
        "occur_us",
        postgresql_where=sa.text("status = 'inbound'"),
        sqlite_where=sa.text("status = 'inbound'"),
    ),
)

# One row per message the business sent: what is known of it and how it was settled.
messages = sa.Table(
    "metering_messages",
    metadata,
    sa.Column("account_id", ID, primary_key=True),
    sa.Column("message_id", sa.String(256), primary_key=True),
    sa.Column("channel_id", ID, nullable=False),
    sa.Column("contact", sa.String(32), nullable=False),
    sa.Column("first_us", sa.BigInteger, nullable=False),
    sa.Column("chat_id", sa.String(128), nullable=False, server_default=""),
    sa.Column("session_id", sa.String(128), nullable=False, server_default=""),
    sa.Column("is_template", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("category", sa.String(32), nullable=False, server_default=""),
    sa.Column("reservation_id", sa.String(128), nullable=False, server_default=""),
    sa.Column("meta_pricing", sa.String(96), nullable=False, server_default=""),
    sa.Column("notified", sa.Boolean, nullable=False, server_default=sa.false()),
    # Settlement: "commit" or "release", once.
    sa.Column("action", sa.String(8), nullable=False, server_default=""),
    sa.Column("settle_us", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("market", sa.String(64), nullable=False, server_default=""),
    sa.Column("charged_category", sa.String(32), nullable=False, server_default=""),
    sa.Column("pricing_model", sa.String(16), nullable=False, server_default=""),
    sa.Column("billable", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("price_micros", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("meta_cost_micros", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("tier", sa.Integer, nullable=False, server_default="0"),
    # Volume-tier counting: the counter key and this message's 0-based place in it.
    sa.Column("tier_key", sa.String(300), nullable=True),
    sa.Column("tier_position", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("plan_key", sa.String(160), nullable=True),
    sa.Index("ix_metering_messages_first", "account_id", "first_us"),
    sa.Index("ix_metering_messages_settled", "account_id", "settle_us"),
    sa.Index("ix_metering_messages_tier_key", "tier_key"),
    sa.Index("ix_metering_messages_plan_key", "plan_key"),
)

# Messages counted so far per volume-tier key (portfolio, market, category, month) and per plan
# key (account, month). A batch adds its count and takes the places before it, in the
# transaction that stores the messages, so a batch that does not commit counts nothing.
counters = sa.Table(
    "metering_counters",
    metadata,
    sa.Column("counter_key", sa.String(300), primary_key=True),
    sa.Column("message_count", sa.BigInteger, nullable=False),
)

# Conversations (conversation-based pricing): one per id, opened at delivery.
conversations = sa.Table(
    "metering_conversations",
    metadata,
    sa.Column("account_id", ID, primary_key=True),
    sa.Column("conversation_id", sa.String(256), primary_key=True),
    sa.Column("channel_id", ID, nullable=False),
    sa.Column("contact", sa.String(32), nullable=False),
    sa.Column("category", sa.String(32), nullable=False),
    sa.Column("open_us", sa.BigInteger, nullable=False),
    sa.Column("expire_us", sa.BigInteger, nullable=False),
    sa.Column("billable", sa.Boolean, nullable=False),
    sa.Column("message_id", sa.String(256), nullable=False),
    sa.Column("local_date", sa.String(10), nullable=False),
    sa.Index(
        "ix_metering_conversations_contact", "account_id", "channel_id", "contact", "expire_us"
    ),
)

# The first day each contact was active, per phone number and (channel_id '') per account:
# the earliest local date of a delivered message either way, however late it was reported.
# Unique users added on a day are the contacts whose first day it is.
contacts = sa.Table(
    "metering_contacts",
    metadata,
    sa.Column("account_id", ID, primary_key=True),
    sa.Column("channel_id", ID, primary_key=True),
    sa.Column("contact", sa.String(32), primary_key=True),
    sa.Column("first_date", sa.String(10), nullable=False),
    sa.Index("ix_metering_contacts_first", "account_id", "channel_id", "first_date"),
)

# Active users: per (account, phone number or '' for all, month, contact) a mask of the days
# (bit 0 = the 1st) with a delivered message either way. Exact distinct counts over any range.
# On PostgreSQL, migration 0003 adds the key INCLUDE (days_mask) so counts read the index only.
active_months = sa.Table(
    "metering_active_months",
    metadata,
    sa.Column("account_id", ID, primary_key=True),
    sa.Column("channel_id", ID, primary_key=True),
    sa.Column("month", sa.String(7), primary_key=True),
    sa.Column("contact", sa.String(32), primary_key=True),
    sa.Column("days_mask", sa.BigInteger, nullable=False),
)

# Daily counters per phone number and category, kept at ingestion.
daily_usage = sa.Table(
    "metering_daily_usage",
    metadata,
    sa.Column("account_id", ID, primary_key=True),
    sa.Column("channel_id", ID, primary_key=True),
    sa.Column("local_date", sa.String(10), primary_key=True),
    sa.Column("category", sa.String(32), primary_key=True),
    sa.Column("notifications_sent", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("paid_messages", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("free_messages", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("paid_conversations", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("free_conversations", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("charges_micros", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("meta_cost_micros", sa.BigInteger, nullable=False, server_default="0"),
)

COUNTER_COLUMNS = (
    "notifications_sent",
    "paid_messages",
    "free_messages",
    "paid_conversations",
    "free_conversations",
    "charges_micros",
    "meta_cost_micros",
)

# Events to publish, written in the transaction of the facts they announce: one row per batch,
# its events packed in a billing.common.v1.OutboxBatch.
outbox = outbox_table(metadata, "metering_outbox_batches")
