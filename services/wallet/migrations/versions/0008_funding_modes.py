"""Funding terms by the day they take effect; existing accounts from their profile.

Revision ID: 0008
Revises: 0007
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    modes = op.create_table(
        "wallet_funding_modes",
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("effective_date", sa.String(10), nullable=False),
        sa.Column("funding_mode", sa.String(16), nullable=False),
        sa.Column("limit_micros", sa.BigInteger(), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "effective_date"),
    )
    op.create_index(
        "ix_wallet_funding_modes_pending", "wallet_funding_modes", ["applied", "effective_date"]
    )
    accounts = sa.table(
        "wallet_accounts",
        sa.column("account_id", sa.String),
        sa.column("funding_mode", sa.String),
        sa.column("overdraft_limit_micros", sa.BigInteger),
        sa.column("created_ms", sa.BigInteger),
    )
    bind = op.get_bind()
    for row in bind.execute(sa.select(accounts)).all():
        created = dt.datetime.fromtimestamp(row.created_ms / 1000, dt.UTC).date()
        bind.execute(
            sa.insert(modes).values(
                account_id=row.account_id,
                effective_date=(created - dt.timedelta(days=1)).isoformat(),
                funding_mode=row.funding_mode,
                limit_micros=row.overdraft_limit_micros,
                applied=True,
                created_ms=row.created_ms,
            )
        )


def downgrade() -> None:
    op.drop_index("ix_wallet_funding_modes_pending", "wallet_funding_modes")
    op.drop_table("wallet_funding_modes")
