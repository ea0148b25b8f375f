"""Plans and idempotency keys.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invoicing_idempotency_keys",
        sa.Column("scope", sa.String(100), primary_key=True),
        sa.Column("idempotency_key", sa.String(200), primary_key=True),
        sa.Column("request_sha256", sa.String(64), nullable=False),
        sa.Column("response", sa.LargeBinary, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_table(
        "invoicing_plans",
        sa.Column("plan_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("currency_code", sa.String(3), nullable=False),
        sa.Column("monthly_fee_micros", sa.BigInteger, nullable=False),
        sa.Column("included_active_users", sa.BigInteger, nullable=False),
        sa.Column("price_per_extra_user_micros", sa.BigInteger, nullable=False),
        sa.Column("notification_fee_micros", sa.BigInteger, nullable=False),
        sa.Column("period_months", sa.Integer, nullable=False),
        sa.Column("discount_basis_points", sa.BigInteger, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )


def downgrade() -> None:
    op.drop_table("invoicing_plans")
    op.drop_table("invoicing_idempotency_keys")
