"""The wallet service's tables (no other service reads them)."""

import sqlalchemy as sa

from services.common.idempotency import idempotency_table

metadata = sa.MetaData()

idempotency_keys = idempotency_table(metadata, "wallet")
