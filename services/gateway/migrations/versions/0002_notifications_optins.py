"""Users' opt-ins to billing emails, and the outbox of users' access changes.

Revision ID: 0002_notifications_optins
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_notifications_optins"
down_revision = "0001"
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "gateway_notification_optins",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(128), primary_key=True),
        sa.Column("billing_emails", sa.Boolean(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "gateway_outbox_batches",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("events", sa.LargeBinary(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("published", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("gateway_outbox_batches")
    op.drop_table("gateway_notification_optins")
