"""Alembic environment of the notifications service (its own history and version table)."""

from services.common.alembic_env import run_migrations
from services.notifications.adapters.tables import metadata

run_migrations(metadata, "notifications")
