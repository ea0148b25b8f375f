"""Card payments through the payment port: provider ids stored before confirming, customers,
quotes and fundings of wallet balances, provider events acted on once.

Revision ID: 0003_payments_cards_funds
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_payments_cards_funds"
down_revision = "0002"
branch_labels = None
depends_on = None


def _created_at() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def upgrade() -> None:
    with op.batch_alter_table("invoicing_payments") as batch:
        batch.alter_column("invoice_id", existing_type=sa.String(64), nullable=True)
        batch.add_column(
            sa.Column("purpose", sa.String(16), nullable=False, server_default="invoice")
        )
        batch.add_column(sa.Column("provider", sa.String(16), nullable=False, server_default=""))
        batch.add_column(sa.Column("provider_payment_id", sa.String(200), nullable=True))
        batch.add_column(
            sa.Column("refunded_micros", sa.BigInteger, nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("disputed_micros", sa.BigInteger, nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column(
                "updated_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.func.now(),
            )
        )
        batch.create_unique_constraint(
            "uq_invoicing_payments_provider_payment_id", ["provider_payment_id"]
        )
        batch.create_index("ix_invoicing_payments_pending", ["status", "updated_at"])
    op.create_table(
        "invoicing_customers",
        sa.Column("account_id", sa.String(128), primary_key=True),
        sa.Column("provider", sa.String(16), primary_key=True),
        sa.Column("customer_ref", sa.String(200), nullable=False),
        _created_at(),
    )
    op.create_table(
        "invoicing_fund_quotes",
        sa.Column("quote_id", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("channel_id", sa.String(128), nullable=False),
        sa.Column("display_phone_number", sa.String(32), nullable=False),
        sa.Column("currency_code", sa.String(3), nullable=False),
        sa.Column("amount_micros", sa.BigInteger, nullable=False),
        sa.Column("fee_micros", sa.BigInteger, nullable=False),
        sa.Column("expire_at", sa.DateTime(timezone=True), nullable=False),
        _created_at(),
    )
    op.create_table(
        "invoicing_fundings",
        sa.Column("funding_id", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("quote_id", sa.String(64), nullable=True, unique=True),
        sa.Column("channel_id", sa.String(128), nullable=False),
        sa.Column("currency_code", sa.String(3), nullable=False),
        sa.Column("amount_micros", sa.BigInteger, nullable=False),
        sa.Column("fee_micros", sa.BigInteger, nullable=False),
        sa.Column("payment_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("failure_reason", sa.String(300), nullable=False),
        sa.Column("top_up_id", sa.String(64), nullable=True),
        sa.Column("receipt_invoice_id", sa.String(64), nullable=True),
        _created_at(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("account_id", "idempotency_key", name="uq_invoicing_fundings_key"),
        sa.Index("ix_invoicing_fundings_state", "state", "updated_at"),
    )
    op.create_table(
        "invoicing_provider_events",
        sa.Column("event_id", sa.String(200), primary_key=True),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        _created_at(),
    )


def downgrade() -> None:
    op.drop_table("invoicing_provider_events")
    op.drop_table("invoicing_fundings")
    op.drop_table("invoicing_fund_quotes")
    op.drop_table("invoicing_customers")
