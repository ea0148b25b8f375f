"""Alembic environment of the metering service (its own history and version table)."""

from services.common.alembic_env import run_migrations
from services.metering.adapters.tables import metadata

run_migrations(metadata, "metering")
