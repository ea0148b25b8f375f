"""Which credit grants pay for messages: the ledger's side of the hot credit balance.

Redis keeps one credit balance per account and currency; the projector decides, in the order
of the ledger stream, which grant each hold drew on and where each unused part goes back:
- a hold takes from grants that were in the hot balance and unexpired at the hold, lowest
  priority number first, then earliest expiry (as redemptions do);
- what a commit charges comes from the hold's best grants; the unused rest goes back to the
  grants it was taken from, last taken first; a grant written off meanwhile forfeits its part;
- an expiry removes what is left of one grant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

Parts = tuple[tuple[str, int], ...]  # (credit_id, micros), in the order they were taken


class CreditShortfall(Exception):
    """The grants cannot cover a hold's credit part (the stream is not yet fully projected)."""


@dataclass(slots=True)
class Grant:
    credit_id: str
    priority: int
    expire_ms: int
    created_ms: int
    remaining_micros: int

    def order(self) -> tuple[int, int, int, str]:
        return (self.priority, self.expire_ms, self.created_ms, self.credit_id)


@dataclass(frozen=True, slots=True)
class CreditParts:
    """The grants a hold drew on; or where a settlement's unused credit goes: back to live
    grants, or forfeited (to the credits funding account) when its grant was written off."""

    grants: Parts = ()
    forfeited_micros: int = 0

    @property
    def total_micros(self) -> int:
        return sum(micros for _id, micros in self.grants) + self.forfeited_micros


NO_CREDIT = CreditParts()


@dataclass(slots=True)
class CreditBook:
    """The live grants of one account and currency (in the hot balance, not written off)."""

    grants: dict[str, Grant] = field(default_factory=dict)

    @classmethod
    def of(cls, grants: Iterable[Grant]) -> CreditBook:
        return cls({grant.credit_id: grant for grant in grants})

    def add(self, grant: Grant) -> None:
        self.grants.setdefault(grant.credit_id, grant)

    def take(self, amount_micros: int, at_ms: int) -> Parts:
        """Draw `amount_micros` from grants unexpired at `at_ms`, best first."""
        usable = sorted(
            (g for g in self.grants.values() if g.remaining_micros > 0 and g.expire_ms > at_ms),
            key=Grant.order,
        )
        if sum(g.remaining_micros for g in usable) < amount_micros:
            raise CreditShortfall(f"grants hold less than {amount_micros} at {at_ms}")
        parts: list[tuple[str, int]] = []
        wanted = amount_micros
        for grant in usable:
            if wanted == 0:
                break
            taken = min(wanted, grant.remaining_micros)
            grant.remaining_micros -= taken
            parts.append((grant.credit_id, taken))
            wanted -= taken
        return tuple(parts)

    def give_back(self, held: Parts, unused_micros: int) -> CreditParts:
        """Return the unused part of a hold to its grants, last taken first."""
        if not 0 <= unused_micros <= sum(micros for _id, micros in held):
            raise ValueError(f"cannot give back {unused_micros} of {held}")
        back: list[tuple[str, int]] = []
        forfeited = 0
        left = unused_micros
        for credit_id, micros in reversed(held):
            if left == 0:
                break
            part = min(left, micros)
            left -= part
            grant = self.grants.get(credit_id)
            if grant is None:
                forfeited += part
            else:
                grant.remaining_micros += part
                back.append((credit_id, part))
        return CreditParts(tuple(back), forfeited)

    def remove(self, credit_id: str) -> int:
        """Write one grant off: what was left of it (0 when it was not live)."""
        grant = self.grants.pop(credit_id, None)
        return grant.remaining_micros if grant is not None else 0


def split_charge(credit_micros: int, actual_micros: int) -> tuple[int, int]:
    """What a commit charges to credit and to money: credit first, as the hold drew."""
    from_credit = min(credit_micros, actual_micros)
    return from_credit, actual_micros - from_credit
