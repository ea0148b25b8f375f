"""Cards on file, as the payments' use cases take and answer them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

CARD = "card"


@dataclass(frozen=True, slots=True)
class CardFields:
    """A card as a request describes it (before any check)."""

    payment_method_id: str = ""
    kind: str = CARD  # "card", or what else was asked for (refused)
    brand: str = ""
    last4: str = ""
    exp_month: int = 0
    exp_year: int = 0
    provider_token: str = ""
    is_default: bool = False


@dataclass(frozen=True, slots=True)
class AddCard:
    """Keep a card: given as the provider's token, or the one a completed setup saved."""

    account_id: str
    card: CardFields
    idempotency_key: str = ""
    setup_id: str = ""
    # The request's fingerprint, telling a retry from another request under the same key.
    request_sha256: str = ""


# The fingerprint of the request a completed setup stands for (its card as the provider
# describes it, under the key given or "setup:<setup_id>").
SetupPrint = Callable[[str, str, CardFields], str]


@dataclass(frozen=True, slots=True)
class SetDefaultCard:
    account_id: str
    payment_method_id: str


@dataclass(frozen=True, slots=True)
class RemoveCard:
    account_id: str
    payment_method_id: str
    key: str  # scoped to the account
    request_sha256: str


@dataclass(frozen=True, slots=True)
class CardOnFile:
    """A kept card as shown to the account (the provider's token never is)."""

    payment_method_id: str
    account_id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    is_default: bool


@dataclass(frozen=True, slots=True)
class CardSetupStarted:
    setup_id: str
    client_secret: str
    provider: str
    publishable_key: str


@dataclass(frozen=True, slots=True)
class ChangeFunding:
    """New funding terms from the first day of the account's next billing cycle."""

    account_id: str
    funding_mode: int  # billing.wallet.v1.FundingMode, handed on to the wallet
    credit_limit_micros: int
    overdraft_limit_micros: int
    idempotency_key: str = ""


@dataclass(frozen=True, slots=True)
class RequestRecharge:
    """The wallet asks for an auto-recharge: charge the default card amount + fee."""

    account_id: str
    idempotency_key: str
    channel_id: str
    currency_code: str
    amount_micros: int
    fee_currency_code: str
    fee_micros: int


@dataclass(frozen=True, slots=True)
class QuoteFunds:
    account_id: str
    channel_id: str
    currency_code: str
    amount_micros: int


@dataclass(frozen=True, slots=True)
class FundsQuote:
    """A price for adding funds, shown before the customer confirms it."""

    quote_id: str
    account_id: str
    channel_id: str
    display_phone_number: str
    currency_code: str
    amount_micros: int
    fee_micros: int
    expire_at: dt.datetime


@dataclass(frozen=True, slots=True)
class EstimateFunds:
    account_id: str
    channel_id: str
    days: int


@dataclass(frozen=True, slots=True)
class EstimatedCost:
    currency_code: str
    consumption_micros: int  # the paid consumption of the days counted
    amount_micros: int  # what `days` days will cost at that pace, in whole minor units
    fee_micros: int


@dataclass(frozen=True, slots=True)
class FundsEstimate:
    days: int
    from_date: dt.date
    to_date: dt.date
    cost: EstimatedCost | None  # None when nothing was paid over the days counted


@dataclass(frozen=True, slots=True)
class AddFunds:
    """Charge a card the quoted amount + fee and credit the balance with the amount."""

    account_id: str
    quote_id: str
    payment_method_id: str  # empty: the default card
    idempotency_key: str


@dataclass(frozen=True, slots=True)
class FundingView:
    """A funding as the account sees it: where adding funds (or an auto-recharge) stands."""

    funding_id: str
    account_id: str
    source: str
    channel_id: str
    currency_code: str
    amount_micros: int
    fee_micros: int
    state: str
    failure_reason: str
    payment_id: str
    top_up_id: str
    receipt_invoice_id: str
    quote_id: str
    created_at: dt.datetime
    updated_at: dt.datetime
    # For a funding waiting for authentication: the secret the browser completes it with.
    action_secret: str = ""


@dataclass(frozen=True, slots=True)
class ProviderDelivery:
    """A payment provider's event as delivered to its webhook, to be verified and acted on."""

    provider: str
    payload: bytes
    signature: str


@dataclass(frozen=True, slots=True)
class EventHandled:
    event_id: str
    kind: str
    duplicate: bool = False  # acted on before (or at the same time)
