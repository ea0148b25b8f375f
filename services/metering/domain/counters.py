"""Keys of the monthly message counters: volume tiers per portfolio, included messages per plan.

The key is stored on each counted message, so a counter can always be recounted from them.
"""

from __future__ import annotations


def tier_key(portfolio_id: str, market: str, category: str, month: str) -> str:
    """Meta's volume tiers count charged messages per business portfolio, market and category."""
    return f"metering:tier:{{{portfolio_id}}}:{market}:{category}:{month}"


def plan_key(account_id: str, month: str) -> str:
    """A provider's plan includes a number of charged messages per account and month."""
    return f"metering:plan:{{{account_id}}}:{month}"
