"""Credits for messages in the send path: when a grant reached the hot balance, and the part
of each reservation drawn from credits.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("wallet_credits", sa.Column("applied_ms", sa.BigInteger, nullable=True))
    op.add_column(
        "wallet_reservations",
        sa.Column("credit_micros", sa.BigInteger, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    with op.batch_alter_table("wallet_reservations") as table:
        table.drop_column("credit_micros")
    with op.batch_alter_table("wallet_credits") as table:
        table.drop_column("applied_ms")
