"""Settled messages by delivery time, for charge summaries over a range of dates.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_metering_messages_settled", "metering_messages", ["account_id", "settle_us"]
    )


def downgrade() -> None:
    op.drop_index("ix_metering_messages_settled", "metering_messages")
