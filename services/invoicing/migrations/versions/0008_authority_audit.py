"""The invoicing's audit log: append-only (the database refuses UPDATE and DELETE on it).

Revision ID: 0008_authority_audit
Revises: 0007_partner_billing
"""

from alembic import op

from services.common.audit import create_audit_table, drop_audit_table

revision = "0008_authority_audit"
down_revision = "0007_partner_billing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_table(op, "invoicing")


def downgrade() -> None:
    drop_audit_table(op, "invoicing")
