"""The outbox holds one row per batch (its events packed), no longer one row per event.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from billing.common.v1 import outbox_pb2

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Rows still waiting in the old outbox, moved per statement.
MOVE_ROWS = 1_000


def upgrade() -> None:
    batches = op.create_table(
        "metering_outbox_batches",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("events", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # A batch is read once and deleted: not worth compressing.
        op.execute("ALTER TABLE metering_outbox_batches ALTER COLUMN events SET STORAGE EXTERNAL")
    old = sa.table(
        "metering_outbox",
        sa.column("id", sa.BigInteger),
        sa.column("stream", sa.String),
        sa.column("event_id", sa.String),
        sa.column("type", sa.String),
        sa.column("payload", sa.LargeBinary),
    )
    bind = op.get_bind()
    after = 0
    while True:
        rows = bind.execute(
            sa.select(old).where(old.c.id > after).order_by(old.c.id).limit(MOVE_ROWS)
        ).all()
        if not rows:
            break
        events = [
            outbox_pb2.OutboxEvent(
                stream=row.stream, event_id=row.event_id, type=row.type, event=row.payload
            )
            for row in rows
        ]
        packed = outbox_pb2.OutboxBatch(events=events).SerializeToString()
        bind.execute(sa.insert(batches).values(events=packed))
        after = rows[-1].id
    op.drop_table("metering_outbox")


def downgrade() -> None:
    rows = op.create_table(
        "metering_outbox",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("stream", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=300), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    batches = sa.table("metering_outbox_batches", sa.column("id"), sa.column("events"))
    bind = op.get_bind()
    for batch in bind.execute(sa.select(batches).order_by(batches.c.id)):
        events = outbox_pb2.OutboxBatch.FromString(batch.events).events
        for event in events:
            values = {"stream": event.stream, "event_id": event.event_id, "type": event.type}
            bind.execute(sa.insert(rows).values(payload=event.event, **values))
    op.drop_table("metering_outbox_batches")
