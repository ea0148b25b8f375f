"""An outbox row stays until every group reading its streams has acknowledged it: when it was
written, and where it was published.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("metering_outbox_batches") as table:
        table.add_column(sa.Column("created_ms", sa.BigInteger, nullable=False, server_default="0"))
        table.add_column(sa.Column("published", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("metering_outbox_batches") as table:
        table.drop_column("published")
        table.drop_column("created_ms")
