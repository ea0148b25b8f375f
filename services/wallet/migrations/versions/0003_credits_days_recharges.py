"""Credits and their redemptions, channels and days, auto-recharge rules and recharges.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "wallet_credits",
        sa.Column("credit_id", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("currency_code", sa.String(3), nullable=False),
        sa.Column("granted_micros", sa.BigInteger, nullable=False),
        sa.Column("expire_ms", sa.BigInteger, nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("applies_to", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("written_off_ms", sa.BigInteger, nullable=True),
        sa.UniqueConstraint("account_id", "idempotency_key", name="uq_wallet_credits_key"),
    )
    op.create_index(
        "ix_wallet_credits_account", "wallet_credits", ["account_id", "priority", "expire_ms"]
    )
    op.create_index("ix_wallet_credits_expiry", "wallet_credits", ["written_off_ms", "expire_ms"])
    op.create_table(
        "wallet_credit_redemptions",
        sa.Column("redemption_id", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("credit_id", sa.String(64), nullable=False),
        sa.Column("invoice_id", sa.String(128), nullable=False),
        sa.Column("currency_code", sa.String(3), nullable=False),
        sa.Column("amount_micros", sa.BigInteger, nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_wallet_credit_redemptions_account_id", "wallet_credit_redemptions", ["account_id"]
    )
    op.create_table(
        "wallet_channels",
        sa.Column("account_id", sa.String(128), primary_key=True),
        sa.Column("channel_id", sa.String(128), primary_key=True),
        sa.Column("display_phone_number", sa.String(32), nullable=False),
        sa.Column("paid_through", sa.String(10), nullable=True),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("updated_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "wallet_day_movements",
        sa.Column("id", AutoId, primary_key=True, autoincrement=True),
        sa.Column("movement_id", sa.String(300), nullable=False, unique=True),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("channel_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("days", sa.BigInteger, nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_wallet_day_movements_account_id", "wallet_day_movements", ["account_id"])
    op.create_table(
        "wallet_auto_recharges",
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
    op.create_table(
        "wallet_recharges",
        sa.Column("recharge_id", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("channel_id", sa.String(128), nullable=False),
        sa.Column("currency_code", sa.String(3), nullable=False),
        sa.Column("crossing_ms", sa.BigInteger, nullable=False),
        sa.Column("amount_micros", sa.BigInteger, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("top_up_id", sa.String(64), nullable=True),
        sa.Column("problem", sa.String(200), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("updated_ms", sa.BigInteger, nullable=False),
        sa.UniqueConstraint(
            "account_id", "channel_id", "currency_code", "crossing_ms", name="uq_wallet_recharges"
        ),
    )
    op.create_index("ix_wallet_recharges_state", "wallet_recharges", ["state"])


def downgrade() -> None:
    for table in (
        "wallet_recharges",
        "wallet_auto_recharges",
        "wallet_day_movements",
        "wallet_channels",
        "wallet_credit_redemptions",
        "wallet_credits",
    ):
        op.drop_table(table)
