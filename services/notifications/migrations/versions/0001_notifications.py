"""The notifications service: events, webhook endpoints, secrets, deliveries, attempts, emails
and the copy of the gateway's users.

Revision ID: 0001_notifications
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_notifications"
down_revision = None
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "notifications_events",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("occurred_ms", sa.BigInteger(), nullable=False),
        sa.Column("received_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index(
        "ix_notifications_events_account", "notifications_events", ["account_id", "received_ms"]
    )
    op.create_table(
        "notifications_endpoints",
        sa.Column("endpoint_id", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("event_types", sa.String(2000), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.String(300), nullable=False),
        sa.Column("failing_since_ms", sa.BigInteger(), nullable=True),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("account_id", "idempotency_key", name="uq_notifications_endpoints_key"),
    )
    op.create_index(
        "ix_notifications_endpoints_account", "notifications_endpoints", ["account_id", "deleted"]
    )
    op.create_table(
        "notifications_endpoint_secrets",
        sa.Column("secret_id", sa.String(64), primary_key=True),
        sa.Column("endpoint_id", sa.String(64), nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("expire_ms", sa.BigInteger(), nullable=True),
        sa.Column("rotation_key", sa.String(200), nullable=True),
    )
    op.create_index(
        "ix_notifications_endpoint_secrets_endpoint",
        "notifications_endpoint_secrets",
        ["endpoint_id"],
    )
    op.create_table(
        "notifications_deliveries",
        sa.Column("delivery_id", sa.String(64), primary_key=True),
        sa.Column("endpoint_id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_ms", sa.BigInteger(), nullable=True),
        sa.Column("give_up_ms", sa.BigInteger(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("endpoint_id", "event_id", name="uq_notifications_deliveries_event"),
    )
    op.create_index(
        "ix_notifications_deliveries_due", "notifications_deliveries", ["state", "next_attempt_ms"]
    )
    op.create_index(
        "ix_notifications_deliveries_endpoint",
        "notifications_deliveries",
        ["endpoint_id", "created_ms"],
    )
    op.create_table(
        "notifications_attempts",
        sa.Column("attempt_id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.String(64), nullable=False),
        sa.Column("attempted_ms", sa.BigInteger(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("latency_ms", sa.BigInteger(), nullable=False),
        sa.Column("response_excerpt", sa.String(500), nullable=False),
    )
    op.create_index(
        "ix_notifications_attempts_delivery",
        "notifications_attempts",
        ["delivery_id", "attempted_ms"],
    )
    op.create_table(
        "notifications_emails",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_ms", sa.BigInteger(), nullable=True),
        sa.Column("give_up_ms", sa.BigInteger(), nullable=False),
        sa.Column("sent_to", sa.Text(), nullable=False),
        sa.Column("problem", sa.String(300), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("invoice_id", sa.String(128), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index(
        "ix_notifications_emails_due", "notifications_emails", ["state", "next_attempt_ms"]
    )
    op.create_table(
        "notifications_users",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(128), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("billing_access", sa.Boolean(), nullable=False),
        sa.Column("billing_emails", sa.Boolean(), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_notifications_users_account", "notifications_users", ["account_id"])


def downgrade() -> None:
    for table in (
        "notifications_users",
        "notifications_emails",
        "notifications_attempts",
        "notifications_deliveries",
        "notifications_endpoint_secrets",
        "notifications_endpoints",
        "notifications_events",
    ):
        op.drop_table(table)
