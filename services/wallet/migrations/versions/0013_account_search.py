"""Operators find accounts by the start of a display name, ignoring case: the display name
folded to lower case beside the profile, indexed (existing accounts from their profiles); and
an account's top-ups listed by time either way from an index.

Revision ID: 0013_account_search
Revises: 0012_authority_audit
"""

import sqlalchemy as sa
from alembic import op
from billing.wallet.v1 import account_pb2

revision = "0013_account_search"
down_revision = "0012_authority_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "wallet_accounts",
        sa.Column("search_name", sa.String(200), nullable=False, server_default=""),
    )
    accounts = sa.table(
        "wallet_accounts",
        sa.column("account_id", sa.String),
        sa.column("profile", sa.LargeBinary),
        sa.column("search_name", sa.String),
    )
    bind = op.get_bind()
    for row in bind.execute(sa.select(accounts.c.account_id, accounts.c.profile)).all():
        name = account_pb2.AccountProfile.FromString(row.profile).display_name
        bind.execute(
            sa.update(accounts)
            .where(accounts.c.account_id == row.account_id)
            .values(search_name=name.casefold()[:200])
        )
    # varchar_pattern_ops: PostgreSQL answers LIKE 'prefix%' from the index whatever the
    # database's collation.
    op.create_index(
        "ix_wallet_accounts_search_name",
        "wallet_accounts",
        ["search_name", "account_id"],
        postgresql_ops={"search_name": "varchar_pattern_ops"},
    )
    op.create_index(
        "ix_wallet_accounts_id_prefix",
        "wallet_accounts",
        ["account_id"],
        postgresql_ops={"account_id": "varchar_pattern_ops"},
    )
    op.create_index(
        "ix_wallet_top_ups_account_time", "wallet_top_ups", ["account_id", "created_ms"]
    )


def downgrade() -> None:
    op.drop_index("ix_wallet_top_ups_account_time", "wallet_top_ups")
    op.drop_index("ix_wallet_accounts_id_prefix", "wallet_accounts")
    op.drop_index("ix_wallet_accounts_search_name", "wallet_accounts")
    op.drop_column("wallet_accounts", "search_name")
