"""How partners are billed: the contract's monthly schedule (start date, cycles billed) and
each change of billing from the cycle it applies from.

Revision ID: 0007_partner_billing
Revises: 0006_payments_settlement
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_partner_billing"
down_revision = "0006_payments_settlement"
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("invoicing_partner_contracts") as batch:
        batch.add_column(sa.Column("start_date", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("cycles_billed", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_table(
        "invoicing_partner_billing_changes",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("billing", sa.String(16), nullable=False),
        sa.Column("from_cycle", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index(
        "ix_invoicing_partner_billing_changes_account",
        "invoicing_partner_billing_changes",
        ["account_id", "id"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_invoicing_partner_billing_changes_account", "invoicing_partner_billing_changes"
    )
    op.drop_table("invoicing_partner_billing_changes")
    with op.batch_alter_table("invoicing_partner_contracts") as batch:
        batch.drop_column("cycles_billed")
        batch.drop_column("start_date")
