"""Paid postpaid invoices settle the wallet: what was credited back (and taken back again) per
invoice; partner days taken back after a refund. Invoices issued before are left as they were:
nothing is credited for them.

Revision ID: 0006_payments_settlement
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_payments_settlement"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "invoicing_invoices",
        sa.Column("wallet_settled_time", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "invoicing_invoices",
        sa.Column("days_taken_back", sa.BigInteger(), nullable=False, server_default="0"),
    )
    invoices = sa.table(
        "invoicing_invoices",
        sa.column("kind", sa.String),
        sa.column("wallet_settled_time", sa.DateTime(timezone=True)),
    )
    op.execute(
        invoices.update()
        .where(invoices.c.kind == "notifications")
        .values(wallet_settled_time=sa.func.now())
    )
    op.create_index(
        "ix_invoicing_invoices_settle",
        "invoicing_invoices",
        ["kind", "status", "wallet_settled_time"],
    )
    op.create_table(
        "invoicing_wallet_settlements",
        sa.Column("movement_key", sa.String(200), nullable=False),
        sa.Column("invoice_id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("top_up_key", sa.String(200), nullable=False),
        sa.Column("cause", sa.String(200), nullable=False),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.Column("done_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("movement_key"),
    )
    op.create_index(
        "ix_invoicing_wallet_settlements_invoice",
        "invoicing_wallet_settlements",
        ["invoice_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_invoicing_wallet_settlements_invoice", "invoicing_wallet_settlements")
    op.drop_table("invoicing_wallet_settlements")
    op.drop_index("ix_invoicing_invoices_settle", "invoicing_invoices")
    op.drop_column("invoicing_invoices", "days_taken_back")
    op.drop_column("invoicing_invoices", "wallet_settled_time")
