"""Every charge asked of invoicing for an auto-recharge, by its idempotency key.

Revision ID: 0010_payments_recharge_attempts
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_payments_recharge_attempts"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wallet_recharge_attempts",
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("recharge_id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("problem", sa.String(200), nullable=False),
        sa.Column("payment_reference", sa.String(200), nullable=False),
        sa.Column("top_up_id", sa.String(64), nullable=True),
        sa.Column("requested_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key"),
    )
    op.create_index(
        "ix_wallet_recharge_attempts_recharge_id", "wallet_recharge_attempts", ["recharge_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_wallet_recharge_attempts_recharge_id", "wallet_recharge_attempts")
    op.drop_table("wallet_recharge_attempts")
