"""Operators (named people and keys instead of one platform key), sign-in throttling and
locks, and the gateway's audit log.

Revision ID: 0003_authority_operators
Revises: 0002_notifications_optins
"""

import sqlalchemy as sa
from alembic import op

from services.common.audit import create_audit_table, drop_audit_table

revision = "0003_authority_operators"
down_revision = "0002_notifications_optins"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("gateway_api_keys") as batch:
        batch.alter_column("platform", new_column_name="operator")
    op.create_table(
        "gateway_operators",
        sa.Column(
            "user_id", sa.String(64), sa.ForeignKey("gateway_users.user_id"), primary_key=True
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column(
            "added_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "gateway_sign_in_failures",
        sa.Column("subject", sa.String(400), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure_s", sa.Float, nullable=False),
        sa.Column("locked_until_s", sa.Float, nullable=False),
    )
    op.create_table(
        "gateway_sign_in_locks",
        sa.Column("lock_id", sa.String(32), primary_key=True),
        sa.Column("subject", sa.String(400), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "gateway_sign_in_locks_unnotified", "gateway_sign_in_locks", ["notified_at", "locked_at"]
    )
    create_audit_table(op, "gateway")


def downgrade() -> None:
    drop_audit_table(op, "gateway")
    op.drop_index("gateway_sign_in_locks_unnotified", "gateway_sign_in_locks")
    op.drop_table("gateway_sign_in_locks")
    op.drop_table("gateway_sign_in_failures")
    op.drop_table("gateway_operators")
    with op.batch_alter_table("gateway_api_keys") as batch:
        batch.alter_column("operator", new_column_name="platform")
