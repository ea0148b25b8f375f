"""The events metering publishes, as plain values; the outbox adapter serializes them."""

from __future__ import annotations

from dataclasses import dataclass

from pricing import PriceDecision
from services.metering.domain.events import MessageEvent
from services.metering.domain.messages import COMMIT, RELEASE, MessageState
from services.metering.domain.windows import Window


@dataclass(frozen=True)
class WindowChanged:
    event_id: str
    window: Window


@dataclass(frozen=True)
class ChargeSettled:
    event_id: str
    account_id: str
    channel_id: str
    message_id: str
    reservation_id: str
    action: str  # COMMIT or RELEASE
    currency: str
    amount_micros: int
    occur_us: int
    category: str
    reason: str
    meta_cost_micros: int | None = None  # None: not known (a release)
    market: str = ""
    pricing_model: str = ""
    tier: int = 0


Published = WindowChanged | ChargeSettled


def window_changed(window: Window) -> WindowChanged:
    suffix = f":{window.category}" if window.category else ""
    return WindowChanged(f"{window.account_id}:{window.message_id}:{window.kind}{suffix}", window)


def charge_committed(
    event: MessageEvent, state: MessageState, decision: PriceDecision, billable: bool
) -> ChargeSettled:
    return ChargeSettled(
        event_id=f"{state.account_id}:{state.message_id}:settle",
        account_id=state.account_id,
        channel_id=state.channel_id,
        message_id=state.message_id,
        reservation_id=state.reservation_id,
        action=COMMIT,
        currency=decision.currency,
        amount_micros=decision.price_micros,
        meta_cost_micros=decision.meta_cost_micros,
        market=decision.market,
        category=decision.category,
        pricing_model=decision.pricing_model,
        occur_us=event.occur_us,
        tier=decision.tier or 0,
        reason=decision.reason if billable or not decision.billable else "Meta: not billable",
    )


def charge_released(event: MessageEvent, state: MessageState, currency: str) -> ChargeSettled:
    return ChargeSettled(
        event_id=f"{state.account_id}:{state.message_id}:settle",
        account_id=state.account_id,
        channel_id=state.channel_id,
        message_id=state.message_id,
        reservation_id=state.reservation_id,
        action=RELEASE,
        currency=currency,
        amount_micros=0,
        category=state.category,
        occur_us=event.occur_us,
        reason=f"failed{': ' + event.error_code if event.error_code else ''}",
    )
