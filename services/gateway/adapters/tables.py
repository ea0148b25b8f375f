"""The gateway's own tables: users, their memberships (role per account) and API keys."""

import sqlalchemy as sa

from services.common.outbox import outbox_table

metadata = sa.MetaData()

users = sa.Table(
    "gateway_users",
    metadata,
    sa.Column("user_id", sa.String(64), primary_key=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(300), nullable=False),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)

memberships = sa.Table(
    "gateway_memberships",
    metadata,
    sa.Column("user_id", sa.String(64), sa.ForeignKey("gateway_users.user_id"), primary_key=True),
    sa.Column("account_id", sa.String(128), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("billing_access", sa.Boolean, nullable=False),
    sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Index("gateway_memberships_account", "account_id"),
)

api_keys = sa.Table(
    "gateway_api_keys",
    metadata,
    sa.Column("key_id", sa.String(40), primary_key=True),
    # Empty for platform keys.
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

# Whether a user wants the account's billing emails (the notifications service sends them).
notification_optins = sa.Table(
    "gateway_notification_optins",
    metadata,
    sa.Column("user_id", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.String(128), primary_key=True),
    sa.Column("billing_emails", sa.Boolean, nullable=False),
    sa.Column("updated_ms", sa.BigInteger, nullable=False),
)

# Users' access changes to publish (billing.gateway.users), written with what they announce.
outbox = outbox_table(metadata, "gateway_outbox_batches")
