"""The wallet's audit log: append-only (the database refuses UPDATE and DELETE on it); and a
bank transfer credited once per account.

Revision ID: 0012_authority_audit
Revises: 0011_partner_channel_events
"""

import sqlalchemy as sa
from alembic import op

from services.common.audit import create_audit_table, drop_audit_table

revision = "0012_authority_audit"
down_revision = "0011_partner_channel_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_table(op, "wallet")
    op.create_index(
        "uq_wallet_top_ups_transfer",
        "wallet_top_ups",
        ["account_id", "payment_reference"],
        unique=True,
        sqlite_where=sa.text("source = 'bank_transfer'"),
        postgresql_where=sa.text("source = 'bank_transfer'"),
    )


def downgrade() -> None:
    op.drop_index("uq_wallet_top_ups_transfer", "wallet_top_ups")
    drop_audit_table(op, "wallet")
