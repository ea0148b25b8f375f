"""Partner contract prices set by operators; the issuer's tax rules, each account's tax
treatment and its buyer changes waiting for an operator; the tax note printed on invoices.

Revision ID: 0004_payments_contracts_tax
Revises: 0003_payments_cards_funds
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_payments_contracts_tax"
down_revision = "0003_payments_cards_funds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invoicing_partner_contracts",
        sa.Column("account_id", sa.String(128), primary_key=True),
        sa.Column("currency_code", sa.String(3), nullable=False),
        sa.Column("price_per_channel_month_micros", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "invoicing_tax_configurations",
        sa.Column("issuer_id", sa.String(64), primary_key=True),
        sa.Column("configuration", sa.LargeBinary, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("invoicing_organizations") as batch:
        batch.add_column(
            sa.Column("pending_country", sa.String(2), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("pending_tax_id", sa.String(64), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("has_pending_change", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("tax_treatment", sa.String(16), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("exempt_reason", sa.String(200), nullable=False, server_default="")
        )
    op.add_column(
        "invoicing_invoices",
        sa.Column("tax_note", sa.String(300), nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_column("invoicing_invoices", "tax_note")
    with op.batch_alter_table("invoicing_organizations") as batch:
        for column in (
            "exempt_reason",
            "tax_treatment",
            "has_pending_change",
            "pending_tax_id",
            "pending_country",
        ):
            batch.drop_column(column)
    op.drop_table("invoicing_tax_configurations")
    op.drop_table("invoicing_partner_contracts")
