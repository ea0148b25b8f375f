"""The notifications service's own tables: events received, webhook endpoints and their
secrets, deliveries and their attempts, email sends, and its copy of the gateway's users."""

import sqlalchemy as sa

metadata = sa.MetaData()
RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# Every event received, once (consumers are idempotent by event id).
events = sa.Table(
    "notifications_events",
    metadata,
    sa.Column("event_id", sa.String(64), primary_key=True),
    # Empty for the operators' events (operations alerts).
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("event_type", sa.String(64), nullable=False),
    # The webhook payload's "data" (JSON text).
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("occurred_ms", sa.BigInteger, nullable=False),
    sa.Column("received_ms", sa.BigInteger, nullable=False),
    sa.Index("ix_notifications_events_account", "account_id", "received_ms"),
)

endpoints = sa.Table(
    "notifications_endpoints",
    metadata,
    sa.Column("endpoint_id", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("description", sa.String(500), nullable=False),
    # Comma-separated event types; empty: every type.
    sa.Column("event_types", sa.String(2000), nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("disabled_reason", sa.String(300), nullable=False),
    sa.Column("failing_since_ms", sa.BigInteger, nullable=True),
    sa.Column("idempotency_key", sa.String(200), nullable=True),
    sa.Column("deleted", sa.Boolean, nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("updated_ms", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("account_id", "idempotency_key", name="uq_notifications_endpoints_key"),
    sa.Index("ix_notifications_endpoints_account", "account_id", "deleted"),
)

# Signing secrets: the current one (expire_ms NULL) and, after a rotation, the previous one
# until its overlap ends.
endpoint_secrets = sa.Table(
    "notifications_endpoint_secrets",
    metadata,
    sa.Column("secret_id", sa.String(64), primary_key=True),
    sa.Column("endpoint_id", sa.String(64), nullable=False),
    sa.Column("secret", sa.String(200), nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("expire_ms", sa.BigInteger, nullable=True),
    # The rotation request that made it (its key answers the same secret again).
    sa.Column("rotation_key", sa.String(200), nullable=True),
    sa.Index("ix_notifications_endpoint_secrets_endpoint", "endpoint_id"),
)

deliveries = sa.Table(
    "notifications_deliveries",
    metadata,
    # The webhook-id of every attempt.
    sa.Column("delivery_id", sa.String(64), primary_key=True),
    sa.Column("endpoint_id", sa.String(64), nullable=False),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("event_id", sa.String(64), nullable=False),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    # When it may next be attempted (pending), or taken until (while an attempt is under way).
    sa.Column("next_attempt_ms", sa.BigInteger, nullable=True),
    # Retries stop after this instant (the event's first attempt + the retry period).
    sa.Column("give_up_ms", sa.BigInteger, nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("updated_ms", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("endpoint_id", "event_id", name="uq_notifications_deliveries_event"),
    sa.Index("ix_notifications_deliveries_due", "state", "next_attempt_ms"),
    sa.Index("ix_notifications_deliveries_endpoint", "endpoint_id", "created_ms"),
)

attempts = sa.Table(
    "notifications_attempts",
    metadata,
    sa.Column("attempt_id", RowId, primary_key=True, autoincrement=True),
    sa.Column("delivery_id", sa.String(64), nullable=False),
    sa.Column("attempted_ms", sa.BigInteger, nullable=False),
    sa.Column("status_code", sa.Integer, nullable=False),
    sa.Column("latency_ms", sa.BigInteger, nullable=False),
    sa.Column("response_excerpt", sa.String(500), nullable=False),
    sa.Index("ix_notifications_attempts_delivery", "delivery_id", "attempted_ms"),
)

# One email per event: its recipients are resolved when it is sent.
emails = sa.Table(
    "notifications_emails",
    metadata,
    sa.Column("event_id", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_ms", sa.BigInteger, nullable=True),
    sa.Column("give_up_ms", sa.BigInteger, nullable=False),
    # Comma-separated addresses already sent to (a retry skips them).
    sa.Column("sent_to", sa.Text, nullable=False),
    sa.Column("problem", sa.String(300), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    # The paragraphs, one per line.
    sa.Column("body", sa.Text, nullable=False),
    # invoice.issued: the invoice whose PDF is attached.
    sa.Column("invoice_id", sa.String(128), nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("updated_ms", sa.BigInteger, nullable=False),
    # Set: the one address this email goes to (a user's own notice), not the account's.
    sa.Column("to_address", sa.String(320), nullable=False, server_default=""),
    sa.Index("ix_notifications_emails_due", "state", "next_attempt_ms"),
)

# The gateway's users as its stream told them (newest version per membership).
users = sa.Table(
    "notifications_users",
    metadata,
    sa.Column("user_id", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.String(128), primary_key=True),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("billing_access", sa.Boolean, nullable=False),
    sa.Column("billing_emails", sa.Boolean, nullable=False),
    sa.Column("removed", sa.Boolean, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Index("ix_notifications_users_account", "account_id"),
)
