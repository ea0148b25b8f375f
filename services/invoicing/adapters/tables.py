"""The invoicing service's tables (no other service reads them)."""

import sqlalchemy as sa

from services.common.idempotency import idempotency_table

metadata = sa.MetaData()

idempotency_keys = idempotency_table(metadata, "invoicing")

plans = sa.Table(
    "invoicing_plans",
    metadata,
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
