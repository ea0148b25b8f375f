"""When each charge reached the hot balance: the settlement's lag.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("wallet_charges", sa.Column("applied_ms", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("wallet_charges") as table:
        table.drop_column("applied_ms")
