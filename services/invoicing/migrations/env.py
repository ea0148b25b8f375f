"""Alembic environment of the invoicing service (its own history and version table)."""

from services.common.alembic_env import run_migrations
from services.invoicing.adapters.tables import metadata

run_migrations(metadata, "invoicing")
