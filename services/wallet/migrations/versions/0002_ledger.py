"""Accounts, outbox, top-ups, the double-entry ledger and reservations.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "wallet_accounts",
        sa.Column("account_id", sa.String(128), primary_key=True),
        sa.Column("currency_code", sa.String(3), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("funding_mode", sa.String(16), nullable=False),
        sa.Column("balance_scope", sa.String(16), nullable=False),
        sa.Column("overdraft_limit_micros", sa.BigInteger, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("profile", sa.LargeBinary, nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("updated_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "wallet_outbox",
        sa.Column("id", AutoId, primary_key=True, autoincrement=True),
        sa.Column("stream", sa.String(100), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("event_id", sa.String(128), nullable=False, unique=True),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("published_ms", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_wallet_outbox_published_ms", "wallet_outbox", ["published_ms"])
    op.create_table(
        "wallet_top_ups",
        sa.Column("top_up_id", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("channel_id", sa.String(128), nullable=False),
        sa.Column("currency_code", sa.String(3), nullable=False),
        sa.Column("amount_micros", sa.BigInteger, nullable=False),
        sa.Column("fee_micros", sa.BigInteger, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("payment_reference", sa.String(200), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("applied_ms", sa.BigInteger, nullable=True),
        sa.UniqueConstraint("account_id", "idempotency_key", name="uq_wallet_top_ups_key"),
    )
    op.create_index("ix_wallet_top_ups_state", "wallet_top_ups", ["state"])
    op.create_table(
        "wallet_ledger_entries",
        sa.Column("id", AutoId, primary_key=True, autoincrement=True),
        sa.Column("entry_id", sa.String(300), nullable=False, unique=True),
        sa.Column("transaction_id", sa.String(300), nullable=False),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("ledger_account", sa.String(300), nullable=False),
        sa.Column("debit_micros", sa.BigInteger, nullable=False),
        sa.Column("credit_micros", sa.BigInteger, nullable=False),
        sa.Column("currency_code", sa.String(3), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_wallet_ledger_entries_transaction_id", "wallet_ledger_entries", ["transaction_id"]
    )
    op.create_index(
        "ix_wallet_ledger_entries_ledger_account", "wallet_ledger_entries", ["ledger_account"]
    )
    op.create_index(
        "ix_wallet_ledger_entries_account", "wallet_ledger_entries", ["account_id", "id"]
    )
    op.create_table(
        "wallet_reservations",
        sa.Column("reservation_id", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("channel_id", sa.String(128), nullable=False),
        sa.Column("message_id", sa.String(128), nullable=False),
        sa.Column("currency_code", sa.String(3), nullable=False),
        sa.Column("amount_micros", sa.BigInteger, nullable=False),
        sa.Column("committed_micros", sa.BigInteger, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("expire_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_wallet_reservations_account_id", "wallet_reservations", ["account_id"])


def downgrade() -> None:
    for table in (
        "wallet_reservations",
        "wallet_ledger_entries",
        "wallet_top_ups",
        "wallet_outbox",
        "wallet_accounts",
    ):
        op.drop_table(table)
