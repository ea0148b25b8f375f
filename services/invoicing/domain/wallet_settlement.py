"""How a paid postpaid invoice gives the wallet its charges back, and a refund or dispute takes
them out again: the movements, their keys, and the share a reversal takes back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.invoicing.domain import money

# The invoice lines that bill the messages themselves (not the tax, not the fees).
CHARGE_LINE_KIND = "notifications"
# The wallet top-up's source for a settled invoice.
SOURCE = "invoice_payment"
CREDIT, TAKE_BACK = "credit", "take_back"


@dataclass(frozen=True, slots=True)
class Movement:
    """Money moved between a paid invoice and the wallet's balance (asked of the wallet with
    its key)."""

    movement_key: str
    kind: str  # CREDIT or TAKE_BACK
    top_up_key: str  # the credit's key (a take-back names the credit it reverses)
    cause: str  # "payment:<invoice id>", or the refund or dispute
    amount_micros: int


def credit(invoice_id: str, credits_before: int, amount_micros: int) -> Movement:
    """The invoice's next credit: `invoice:<id>:settle`, numbered from the second on."""
    key = f"invoice:{invoice_id}:settle" + (f":{credits_before + 1}" if credits_before else "")
    return Movement(key, CREDIT, key, f"payment:{invoice_id}", amount_micros)


def net_micros(history: Sequence[Movement]) -> int:
    """Credited so far less taken back (planned movements too)."""
    return sum(m.amount_micros if m.kind == CREDIT else -m.amount_micros for m in history)


def credits_in(history: Sequence[Movement]) -> int:
    """How many credits the invoice's movements hold (planned ones too)."""
    return sum(1 for moved in history if moved.kind == CREDIT)


def share_taken_back(charges_micros: int, before_micros: int, after_micros: int, total: int) -> int:
    """The charges' share of what a reversal moved from `before` to `after` of the invoice's
    total, rounded half up on the running totals (reversing the whole payment takes back its
    whole share)."""
    return _share(charges_micros, min(after_micros, total), total) - _share(
        charges_micros, min(before_micros, total), total
    )


def take_backs(history: Sequence[Movement], amount_micros: int, cause: str) -> list[Movement]:
    """`amount_micros` split over the credits still standing, the newest first; `history` is
    the invoice's movements, oldest first."""
    standing: dict[str, int] = {}
    for moved in history:
        sign = 1 if moved.kind == CREDIT else -1
        standing[moved.top_up_key] = standing.get(moved.top_up_key, 0) + sign * moved.amount_micros
    parts: list[Movement] = []
    for top_up_key in reversed(list(standing)):
        if amount_micros <= 0:
            break
        part = min(amount_micros, standing[top_up_key])
        if part <= 0:
            continue
        parts.append(Movement(f"{cause}:{len(parts) + 1}", TAKE_BACK, top_up_key, cause, part))
        amount_micros -= part
    return parts


def reversal_reason(cause: str) -> str:
    """The wallet's reversal reason, from what caused it ("refund:..." or "dispute:...")."""
    return "dispute" if cause.startswith("dispute:") else "refund"


def _share(charges: int, reversed_micros: int, total: int) -> int:
    return money.divide_half_up(charges * reversed_micros, total)
