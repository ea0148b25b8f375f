"""Alembic environment of the wallet service (its own history and version table)."""

from services.common.alembic_env import run_migrations
from services.wallet.adapters.tables import metadata

run_migrations(metadata, "wallet")
