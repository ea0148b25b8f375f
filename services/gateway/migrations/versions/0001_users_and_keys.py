"""Users, memberships and API keys.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gateway_users",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_table(
        "gateway_memberships",
        sa.Column(
            "user_id", sa.String(64), sa.ForeignKey("gateway_users.user_id"), primary_key=True
        ),
        sa.Column("account_id", sa.String(128), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("billing_access", sa.Boolean, nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("gateway_memberships_account", "gateway_memberships", ["account_id"])
    op.create_table(
        "gateway_api_keys",
        sa.Column("key_id", sa.String(40), primary_key=True),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("platform", sa.Boolean, nullable=False),
        sa.Column("role", sa.String(16), nullable=True),
        sa.Column("billing_access", sa.Boolean, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("gateway_api_keys")
    op.drop_index("gateway_memberships_account", "gateway_memberships")
    op.drop_table("gateway_memberships")
    op.drop_table("gateway_users")
