"""Unique users added are counted from the contacts' first days, which can move earlier.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_metering_contacts_first",
        "metering_contacts",
        ["account_id", "channel_id", "first_date"],
    )
    with op.batch_alter_table("metering_daily_usage") as batch_op:
        batch_op.drop_column("unique_users_added")


def downgrade() -> None:
    with op.batch_alter_table("metering_daily_usage") as batch_op:
        batch_op.add_column(
            sa.Column("unique_users_added", sa.BigInteger(), server_default="0", nullable=False)
        )
    op.drop_index("ix_metering_contacts_first", table_name="metering_contacts")
