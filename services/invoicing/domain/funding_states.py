"""The states a funding moves through, and what each move tells.

    charging -> paid -> credited -> completed        (or charging -> declined)
    charging -> requires_action -> paid ...          (3-D Secure, settled by a provider event)
    requires_action -> expired                       (never authenticated: cancelled, nothing paid)

Fundings are rows (mappings of invoicing_fundings' columns).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.invoicing.domain import money

CHARGING, REQUIRES_ACTION, PAID = "charging", "requires_action", "paid"
CREDITED, COMPLETED, DECLINED = "credited", "completed", "declined"
EXPIRED = "expired"
OPEN_STATES = (CHARGING, REQUIRES_ACTION, PAID, CREDITED)
STATES = (*OPEN_STATES, COMPLETED, DECLINED, EXPIRED)
# Where a funding comes from (its payment's purpose too).
ADD_FUNDS, AUTO_RECHARGE = "add_funds", "auto_recharge"
# Added funds' outcomes on billing.invoicing.events (a recharge's are the wallet's to tell).
FUNDING_EVENTS = {
    COMPLETED: "top_up.succeeded",
    DECLINED: "top_up.failed",
    EXPIRED: "top_up.failed",
}
CARD_REMOVED = "the card was removed before it was charged"
# Moves recorded in the audit log when no person made them, by the name of the action's end.
AUDITED_MOVES = {
    REQUIRES_ACTION: "RequiresAction",
    CREDITED: "Credited",
    DECLINED: "Declined",
    EXPIRED: "Expired",
}

Funding = Mapping[Any, Any]


def top_up_key(funding: Funding) -> str:
    """The wallet top-up's idempotency key: a refund finds the top-up again by it."""
    if funding["source"] == ADD_FUNDS:
        return f"funding:{funding['funding_id']}"
    return str(funding["idempotency_key"])


def charge_description(funding: Funding) -> str:
    """What the card's statement shows for the funding's charge."""
    amount = money.format_amount(funding["amount_micros"], funding["currency_code"])
    what = "Auto-recharge" if funding["source"] == AUTO_RECHARGE else "Balance top-up"
    return f"{what} {amount}"


def audited_action(funding: Funding, after: str) -> str:
    """The audit log's action of a move to `after` (one of AUDITED_MOVES)."""
    auto = funding["source"] == AUTO_RECHARGE
    return f"{'AutoRecharge' if auto else 'AddFunds'}{AUDITED_MOVES[after]}"


def audited_reason(moved: Funding) -> str:
    """Why the funding moved: its failure, else (a recharge) the balance's crossing."""
    failure = str(moved.get("failure_reason") or "")
    auto = moved["source"] == AUTO_RECHARGE
    return failure or ("the balance fell below its threshold" if auto else "")


def audited_state(moved: Funding, after: str) -> dict[str, Any]:
    """The funding as the audit log keeps it after a move."""
    return {
        "state": after,
        "currency_code": moved["currency_code"],
        "amount_micros": moved["amount_micros"],
        "fee_micros": moved["fee_micros"],
        "channel_id": moved["channel_id"],
        "payment_id": moved["payment_id"],
        "top_up_id": moved.get("top_up_id") or "",
        "failure_reason": str(moved.get("failure_reason") or ""),
    }
