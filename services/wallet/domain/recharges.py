"""An auto-recharge's life, in plain values: one row per crossing below the threshold, one
attempt per charge asked of invoicing, and what each answer moves it to.

    held -> requested -> done                       (the cool-off or the cap, then paid)
    requested -> action_required -> done | declined (3-D Secure, completed or expired)
    requested -> declined -> requested ...          (tried again, each wait twice the last)
    declined -> failed                              (after MAX_ATTEMPTS, or a final refusal)
    held | declined -> skipped                      (switched off, or no longer needed)
"""

from __future__ import annotations

from dataclasses import dataclass

# The recharge's states (wallet_recharges.state).
HELD, REQUESTED, ACTION_REQUIRED = "held", "requested", "action_required"
DONE, DECLINED, FAILED, SKIPPED = "done", "declined", "failed", "skipped"
# Written by wallets that charged the card themselves; asked of invoicing again when found.
CHARGING = "charging"
# Asked of invoicing and not answered for good yet.
IN_FLIGHT = (REQUESTED, ACTION_REQUIRED, CHARGING)
# What the cool-off and the monthly cap count.
COUNTED = (*IN_FLIGHT, DONE)
# Waiting for their time (next_attempt_ms).
WAITING = (HELD, DECLINED)

# An attempt's states (wallet_recharge_attempts.state).
ATTEMPT_REQUESTED, ATTEMPT_ACTION_REQUIRED = "requested", "action_required"
ATTEMPT_SUCCEEDED, ATTEMPT_DECLINED = "succeeded", "declined"
ATTEMPT_OPEN = (ATTEMPT_REQUESTED, ATTEMPT_ACTION_REQUIRED)

# A declined card is tried this many times in all, each wait twice the one before.
MAX_ATTEMPTS = 4
FIRST_RETRY_MS = 15 * 60 * 1000
PROBLEM_CHARS = 200
# A request invoicing has not answered for this long is given up (it is asked again until then).
UNANSWERED_MS = 24 * 3600 * 1000
UNANSWERED_PROBLEM = "invoicing did not answer the recharge request within 24 hours"
HELD_PROBLEM = "held back by the cool-off or the monthly cap"
ACTION_PROBLEM = "the card asks the customer to authenticate the payment (3-D Secure)"


def attempt_key(recharge_id: str, attempt: int) -> str:
    """The attempt's idempotency key (a declined attempt's key would only answer its decline
    again, so each attempt has its own)."""
    key = f"auto-recharge:{recharge_id}"
    return key if attempt <= 1 else f"{key}:{attempt}"


@dataclass(frozen=True, slots=True)
class AfterDecline:
    state: str  # DECLINED (tried again at next_attempt_ms) or FAILED (stopped)
    next_attempt_ms: int | None

    @property
    def stopped(self) -> bool:
        return self.state == FAILED


def after_decline(
    attempt: int, final: bool, now_ms: int, first_retry_ms: int = FIRST_RETRY_MS
) -> AfterDecline:
    """Back off and try again later; stop after MAX_ATTEMPTS or a refusal no retry can help."""
    if final or attempt >= MAX_ATTEMPTS:
        return AfterDecline(FAILED, None)
    return AfterDecline(DECLINED, now_ms + first_retry_ms * 2 ** (attempt - 1))
