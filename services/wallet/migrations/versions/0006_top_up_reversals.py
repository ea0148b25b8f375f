"""Refunded or disputed top-ups taken back out of balances; auto-recharges asked of invoicing
by event, with their fee, attempts and when the next one is due.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wallet_top_up_reversals",
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
    with op.batch_alter_table("wallet_recharges") as batch:
        batch.add_column(sa.Column("fee_micros", sa.BigInteger, nullable=False, server_default="0"))
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_attempt_ms", sa.BigInteger, nullable=True))
        batch.create_index("ix_wallet_recharges_due", ["state", "next_attempt_ms"])


def downgrade() -> None:
    with op.batch_alter_table("wallet_recharges") as batch:
        batch.drop_index("ix_wallet_recharges_due")
        batch.drop_column("next_attempt_ms")
        batch.drop_column("attempts")
        batch.drop_column("fee_micros")
    op.drop_table("wallet_top_up_reversals")
