"""What the use cases take and give back: plain values, built at the edge from requests."""

from __future__ import annotations

from dataclasses import dataclass

from services.metering.domain.events import MessageEvent, Rejection

ACCEPTED = "accepted"
DUPLICATE = "duplicate"
REJECTED = "rejected"


@dataclass(frozen=True)
class RecordEvents:
    """A batch to store. `request_sha256` tells a retry (same key, same batch) from a misuse."""

    events: list[MessageEvent]
    rejections: list[Rejection]
    idempotency_key: str = ""
    request_sha256: str = ""


@dataclass(frozen=True)
class EventOutcome:
    index: int  # position in the request
    outcome: str  # ACCEPTED, DUPLICATE or REJECTED
    event_id: str = ""
    field: str = ""  # a rejection's field
    error: str = ""  # a rejection's problem


@dataclass(frozen=True)
class RecordedEvents:
    """The outcome of every event of a batch, in request order."""

    results: list[EventOutcome]

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)


@dataclass(frozen=True)
class AccountChange:
    """A wallet account profile, as published: stored unless an equal or later one is."""

    event_id: str
    account_id: str
    currency_code: str
    time_zone: str
    portfolio_id: str
    update_us: int
    profile: bytes  # the profile as received, read back into an Account by the repository
