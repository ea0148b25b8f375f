"""Who may call each metering RPC: internal callers by name, operators and customers by the
principal the gateway signed. An RPC not listed here is refused."""

from __future__ import annotations

from services.common.service_auth import (
    CUSTOMERS_AND_OPERATORS,
    INVOICING,
    MESSAGING,
    Allow,
    allow,
)

RULES: dict[str, Allow] = {
    "RecordEvents": allow(MESSAGING),
    "GetDailyUsage": allow(INVOICING, operator=True, customer=True),
    "GetMonthlyUsage": CUSTOMERS_AND_OPERATORS,
    "GetApproximateCharges": CUSTOMERS_AND_OPERATORS,
    "SummariseCharges": allow(INVOICING, operator=True, customer=True),
    "GetUsageTotals": CUSTOMERS_AND_OPERATORS,
    "CountActiveUsers": allow(INVOICING, operator=True, customer=True),
    "StreamUsageReport": CUSTOMERS_AND_OPERATORS,
    "ExportUsageReport": CUSTOMERS_AND_OPERATORS,
}
