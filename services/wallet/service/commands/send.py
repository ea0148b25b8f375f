"""The send path's commands and answers: authorisations, settling a reservation, windows and
prices. Fields hold what the caller sent; the use cases validate them and name the field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from services.wallet.domain.decisions import SendRecord
from services.wallet.service.quotes import Candidates

ALL_OR_NOTHING = "all"
BEST_EFFORT = "best"


@dataclass(frozen=True, slots=True)
class AuthoriseSend:
    account_id: str
    channel_id: str
    message_id: str
    recipient: str
    category: int  # billing.common.v1.Category's number
    is_template: bool
    send_time: tuple[int, int] | None  # (seconds, nanos) when given
    free_entry_point: bool


class SendDecision(NamedTuple):
    """The send's answer: the script's record, or None for an account the wallet does not
    know. A tuple: it is made on every send, at a third of a frozen dataclass's cost."""

    record: SendRecord | None
    currency: str
    replayed: bool


@dataclass(frozen=True, slots=True)
class AuthoriseBatch:
    account_id: str
    channel_id: str
    category: int
    is_template: bool
    mode: str  # ALL_OR_NOTHING, BEST_EFFORT, or "" when the caller named neither
    message_ids: list[str]  # per recipient, in the caller's order
    recipients: list[str]  # the numbers, as given
    send_time: tuple[int, int] | None


@dataclass(frozen=True, slots=True)
class BatchDecisions:
    """A batch's answer. `refusal` is the reason code when the whole batch was refused (each
    recipient denied for it), else b""; `records` then holds each recipient's send record.
    An unknown account is refused with no recipient's decision (`known` False)."""

    known: bool
    refusal: bytes
    available_micros: int
    currency: str
    records: list[bytes]
    candidates: list[Candidates]  # per recipient, what the send could cost

    def paid_micros(self, positions: list[int]) -> int:
        """What the recipients at these positions would cost at most (their paid price)."""
        return sum(int(self.candidates[n].args[0]) for n in positions)


@dataclass(frozen=True, slots=True)
class SettleReservation:
    account_id: str
    reservation_id: str
    amount_micros: int  # the actual amount (a commit); 0 for a release


@dataclass(frozen=True, slots=True)
class Reservation:
    reservation_id: str
    account_id: str
    channel_id: str
    message_id: str
    state: str  # held | committed | released | expired
    currency: str
    reserved_micros: int
    committed_micros: int
    expire_ms: int


@dataclass(frozen=True, slots=True)
class OpenWindow:
    account_id: str
    channel_id: str
    contact: str
    kind: str  # customer_service | free_entry_point | conversation ("" for none of them)
    category: str  # a conversation's category
    expire_ms: int | None


@dataclass(frozen=True, slots=True)
class PriceListQuery:
    account_id: str
    market: str  # a filter on the market's name ("" for every market)
    as_of_date: str  # YYYY-MM-DD, "" for today in the account's time zone


@dataclass(frozen=True, slots=True)
class CategoryPrice:
    category: str
    price_micros: int


@dataclass(frozen=True, slots=True)
class MarketPrices:
    market: str
    prices: list[CategoryPrice]


@dataclass(frozen=True, slots=True)
class PriceListAnswer:
    currency: str
    effective_date: str
    pricing_model: str
    markets: list[MarketPrices]
    as_of_date: str


@dataclass(frozen=True, slots=True)
class QuotePrice:
    account_id: str
    category: int  # billing.common.v1.Category's number
    recipient: str
    send_time: tuple[int, int] | None  # (seconds, nanos) when given


@dataclass(frozen=True, slots=True)
class PriceQuote:
    market: str
    category: str
    currency: str
    price_micros: int
    billable: bool
    pricing_model: str
    effective_date: str  # of the rate card in force ("" for none)


@dataclass(frozen=True, slots=True)
class SettleCharge:
    """Metering's charge of one message (its ChargeSettled event)."""

    event_id: str
    account_id: str
    message_id: str
    channel_id: str
    reservation_id: str
    action: str  # commit | release
    currency: str  # "" for the account's
    amount_micros: int
    occur_time: tuple[int, int]  # (seconds, nanos)
