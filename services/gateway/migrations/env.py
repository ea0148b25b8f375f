"""Alembic environment of the gateway (its own history and version table)."""

from services.common.alembic_env import run_migrations
from services.gateway.adapters.tables import metadata

run_migrations(metadata, "gateway")
