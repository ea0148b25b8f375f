"""PostgreSQL: active-user day masks readable from the index alone (index-only scans).

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INDEX = "ix_metering_active_months_cover"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_index(
        INDEX,
        "metering_active_months",
        ["account_id", "channel_id", "month", "contact"],
        unique=True,
        postgresql_include=["days_mask"],
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index(INDEX, table_name="metering_active_months")
