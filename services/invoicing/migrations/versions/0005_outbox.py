"""An outbox: invoicing's events, written with the change they announce.

Revision ID: 0005
Revises: 0004_payments_contracts_tax
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004_payments_contracts_tax"
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "invoicing_outbox_batches",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("events", sa.LargeBinary(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("published", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("invoicing_outbox_batches")
