"""Durable message counters per volume-tier and plan key, filled from the settled messages.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BACKFILL = """
INSERT INTO metering_counters (counter_key, message_count)
SELECT {column}, COUNT(*) FROM metering_messages WHERE {column} IS NOT NULL GROUP BY {column}
"""


def upgrade() -> None:
    op.create_table(
        "metering_counters",
        sa.Column("counter_key", sa.String(length=300), nullable=False),
        sa.Column("message_count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("counter_key"),
    )
    for column in ("tier_key", "plan_key"):
        op.execute(BACKFILL.format(column=column))


def downgrade() -> None:
    op.drop_table("metering_counters")
