"""Every registration and deletion of a channel, appended with its day in the account's time
zone (partners are billed by channel-days); existing channels from their rows.

Revision ID: 0011_partner_channel_events
Revises: 0010_payments_recharge_attempts
"""

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from alembic import op
from billing.wallet.v1 import account_pb2

revision = "0011_partner_channel_events"
down_revision = "0010_payments_recharge_attempts"
branch_labels = None
depends_on = None

AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
EPOCH = dt.date(1970, 1, 1)


def upgrade() -> None:
    events = op.create_table(
        "wallet_channel_events",
        sa.Column("id", AutoId, primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("channel_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("epoch_day", sa.Integer(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index(
        "ix_wallet_channel_events_account",
        "wallet_channel_events",
        ["account_id", "channel_id", "id"],
    )
    # What is known of channels registered before: each was registered when its row was
    # made, and a deleted one was deleted when its row last changed.
    accounts = sa.table(
        "wallet_accounts", sa.column("account_id", sa.String), sa.column("profile", sa.LargeBinary)
    )
    channels = sa.table(
        "wallet_channels",
        sa.column("account_id", sa.String),
        sa.column("channel_id", sa.String),
        sa.column("deleted", sa.Boolean),
        sa.column("created_ms", sa.BigInteger),
        sa.column("updated_ms", sa.BigInteger),
    )
    bind = op.get_bind()
    zones = {row.account_id: _zone(row.profile) for row in bind.execute(sa.select(accounts)).all()}
    rows = []
    for row in bind.execute(
        sa.select(channels).order_by(channels.c.account_id, channels.c.channel_id)
    ).all():
        zone = zones.get(row.account_id, ZoneInfo("UTC"))
        rows.append(_event(row, "registered", row.created_ms, zone))
        if row.deleted:
            rows.append(_event(row, "deleted", row.updated_ms, zone))
    if rows:
        bind.execute(sa.insert(events), rows)


def _zone(profile: bytes) -> dt.tzinfo:
    try:
        return ZoneInfo(account_pb2.AccountProfile.FromString(profile).time_zone or "UTC")
    except (ValueError, ZoneInfoNotFoundError):
        return ZoneInfo("UTC")


def _event(row: sa.Row, kind: str, at_ms: int, zone: dt.tzinfo) -> dict[str, object]:  # type: ignore[type-arg]
    day = dt.datetime.fromtimestamp(at_ms / 1000, zone).date()
    return {
        "account_id": row.account_id,
        "channel_id": row.channel_id,
        "kind": kind,
        "epoch_day": (day - EPOCH).days,
        "created_ms": at_ms,
    }


def downgrade() -> None:
    op.drop_index("ix_wallet_channel_events_account", "wallet_channel_events")
    op.drop_table("wallet_channel_events")
