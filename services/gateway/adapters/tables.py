"""The gateway's own tables: users, their memberships (role per account), operators, API keys,
sign-in failures and locks, and the gateway's audit log."""

import sqlalchemy as sa

from services.common.audit import audit_table
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
    # Empty for operators' keys.
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("operator", sa.Boolean, nullable=False),
    sa.Column("role", sa.String(16), nullable=True),
    sa.Column("billing_access", sa.Boolean, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("secret_sha256", sa.String(64), nullable=False),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)

operators = sa.Table(
    "gateway_operators",
    metadata,
    sa.Column("user_id", sa.String(64), sa.ForeignKey("gateway_users.user_id"), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
)

# Failed sign-ins in a row per subject: "user:<email>" or "address:<ip>".
sign_in_failures = sa.Table(
    "gateway_sign_in_failures",
    metadata,
    sa.Column("subject", sa.String(400), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failure_s", sa.Float, nullable=False),
    sa.Column("locked_until_s", sa.Float, nullable=False),
)

# Each time sign-in was locked: for the notifications service to tell the user.
sign_in_locks = sa.Table(
    "gateway_sign_in_locks",
    metadata,
    sa.Column("lock_id", sa.String(32), primary_key=True),
    sa.Column("subject", sa.String(400), nullable=False),
    sa.Column("user_id", sa.String(64), nullable=True),
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("locked_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("locked_until", sa.DateTime(timezone=True), nullable=False),
    # Set when the lock's notice to the user was published (with the lock, once).
    sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("gateway_sign_in_locks_unnotified", "notified_at", "locked_at"),
)

audit_entries = audit_table(metadata, "gateway")

# Whether a user wants the account's billing emails (the notifications service sends them).
notification_optins = sa.Table(
    "gateway_notification_optins",
    metadata,
    sa.Column("user_id", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.String(128), primary_key=True),
    sa.Column("billing_emails", sa.Boolean, nullable=False),
    sa.Column("updated_ms", sa.BigInteger, nullable=False),
)

# Events to publish (users' access on billing.gateway.users, sign-in locks on
# billing.gateway.sign-ins), written with what they announce.
outbox = outbox_table(metadata, "gateway_outbox_batches")
