"""Emails to one given address (a user told their sign-in is locked) instead of the
account's billing contacts.

Revision ID: 0002_payments_sign_in_emails
Revises: 0001_notifications
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_payments_sign_in_emails"
down_revision = "0001_notifications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications_emails") as batch:
        batch.add_column(sa.Column("to_address", sa.String(320), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("notifications_emails") as batch:
        batch.drop_column("to_address")
