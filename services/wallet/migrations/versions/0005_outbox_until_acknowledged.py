"""The outbox keeps one row per transaction (its events packed) until every group reading
its streams has acknowledged it; balance alerts are recorded once per crossing.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from billing.common.v1 import outbox_pb2

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    batches = op.create_table(
        "wallet_outbox_batches",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("events", sa.LargeBinary(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("published", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "wallet_balance_alerts",
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("channel_id", sa.String(128), nullable=False),
        sa.Column("currency_code", sa.String(3), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("available_micros", sa.BigInteger(), nullable=False),
        sa.Column("crossing_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index(
        "ix_wallet_balance_alerts_account",
        "wallet_balance_alerts",
        ["account_id", "crossing_ms"],
    )
    old = sa.table(
        "wallet_outbox",
        sa.column("id", sa.BigInteger),
        sa.column("stream", sa.String),
        sa.column("event_type", sa.String),
        sa.column("event_id", sa.String),
        sa.column("payload", sa.LargeBinary),
        sa.column("created_ms", sa.BigInteger),
        sa.column("published_ms", sa.BigInteger),
    )
    bind = op.get_bind()
    waiting = bind.execute(
        sa.select(old).where(old.c.published_ms.is_(None)).order_by(old.c.id)
    ).all()
    for row in waiting:
        event = outbox_pb2.OutboxEvent(
            stream=row.stream, event_id=row.event_id, type=row.event_type, event=row.payload
        )
        packed = outbox_pb2.OutboxBatch(events=[event]).SerializeToString()
        bind.execute(sa.insert(batches).values(events=packed, created_ms=row.created_ms))
    op.drop_table("wallet_outbox")


def downgrade() -> None:
    op.create_table(
        "wallet_outbox",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("stream", sa.String(100), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("event_id", sa.String(128), nullable=False, unique=True),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("published_ms", sa.BigInteger(), nullable=True, index=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.drop_index("ix_wallet_balance_alerts_account", "wallet_balance_alerts")
    op.drop_table("wallet_balance_alerts")
    op.drop_table("wallet_outbox_batches")
