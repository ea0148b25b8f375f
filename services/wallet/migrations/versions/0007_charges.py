"""Each message charge metering published, recorded before it reaches the hot balance.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wallet_charges",
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("message_id", sa.String(128), nullable=False),
        sa.Column("event_id", sa.String(300), nullable=False),
        sa.Column("channel_id", sa.String(128), nullable=False),
        sa.Column("reservation_id", sa.String(64), nullable=False),
        sa.Column("currency_code", sa.String(3), nullable=False),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.Column("occur_ms", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "message_id"),
    )
    op.create_index("ix_wallet_charges_state", "wallet_charges", ["state", "updated_ms"])
    op.create_index("ix_wallet_charges_account_time", "wallet_charges", ["account_id", "occur_ms"])


def downgrade() -> None:
    op.drop_index("ix_wallet_charges_account_time", "wallet_charges")
    op.drop_index("ix_wallet_charges_state", "wallet_charges")
    op.drop_table("wallet_charges")
