"""The actual price of delivered messages, volume tiers counted exactly, and settlements.

Meta's pricing object, when a status carries it, is Meta's word: `billable=false` is free
whatever the rules say; `type` tells the window. Without it, the windows metering recorded
decide. Under conversation-based pricing, a message opens a conversation by Meta's rules.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from pricing import PriceDecision, PriceRequest, PricingEngine, Window
from pricing.rules import LONGEST_FREE_ENTRY_POINT_US
from services.metering.domain.accounts import EPOCH, Account
from services.metering.domain.counters import plan_key, tier_key
from services.metering.domain.events import MessageEvent, MetaPricing
from services.metering.domain.messages import COMMIT, RELEASE, MessageState
from services.metering.domain.usage import month_of
from services.metering.domain.windows import lengths_at
from services.metering.service import published
from services.metering.service.effects import BatchEffects
from services.metering.service.ports import UsageRecords

CONVERSATION_MODEL = "conversation"
Probe = tuple[PriceRequest, PriceDecision]
META_WINDOWS = {
    "free_entry_point": Window.FREE_ENTRY_POINT,
    "free_customer_service": Window.SERVICE,
    "regular": Window.NONE,
}


@dataclass
class Delivery:
    """A delivered message to settle, and what it was decided to cost."""

    event: MessageEvent
    state: MessageState
    account: Account
    request: PriceRequest
    decision: PriceDecision
    meta: MetaPricing | None
    counted: bool = False
    tier_key: str | None = None
    plan_key: str | None = None
    tier_position: int = 0
    plan_position: int = 0

    @property
    def billable(self) -> bool:
        if self.meta is not None and not self.meta.billable:
            return False
        return self.decision.billable


class Charging:
    def __init__(self, engine: PricingEngine) -> None:
        self._engine = engine

    def probe(self, account: Account, event: MessageEvent) -> Probe:
        """The price if this event were charged outside any window; PricingError when none.

        Settling reuses it when it asks the same question.
        """
        category = event.category or (event.pricing.category if event.pricing else "") or "service"
        request = self._request(account, event.occur_us, event.contact, category)
        return request, self._engine.price(request)

    def settle(
        self,
        records: UsageRecords,
        deliveries: list[tuple[MessageEvent, MessageState, Account]],
        effects: BatchEffects,
        probes: Mapping[int, Probe],
    ) -> dict[tuple[str, str], dict[str, Any]]:
        """Price and settle each delivered message once; the settlement columns per message."""
        windows = self._windows(records, deliveries)
        conversations = self._conversations(records, deliveries)
        priced: list[Delivery] = []
        for event, state, account in sorted(deliveries, key=lambda d: d[0].occur_us):
            first = self._first_pass(
                event, state, account, windows, conversations, effects, probes.get(event.index)
            )
            priced.append(first)
        self._count(records, priced)
        settlements: dict[tuple[str, str], dict[str, Any]] = {}
        for delivery in priced:
            if delivery.counted and _depends_on_counts(delivery):
                delivery.request = replace(
                    delivery.request,
                    monthly_count=delivery.tier_position,
                    provider_monthly_count=delivery.plan_position,
                )
                delivery.decision = self._engine.price(delivery.request)
            settlements[(delivery.state.account_id, delivery.state.message_id)] = self._commit(
                delivery, effects
            )
        return settlements

    def release(
        self, event: MessageEvent, state: MessageState, account: Account, effects: BatchEffects
    ) -> dict[str, Any]:
        state.action = RELEASE
        effects.outbox.append(published.charge_released(event, state, account.currency))
        return _settlement_columns(event.occur_us, None, None)

    def _request(
        self,
        account: Account,
        at_us: int,
        contact: str,
        category: str,
        window: Window = Window.NONE,
        open_conversations: frozenset[str] = frozenset(),
    ) -> PriceRequest:
        return PriceRequest(
            at=EPOCH + dt.timedelta(microseconds=at_us),
            recipient=contact,
            category=category,
            currency=account.currency,
            time_zone=account.time_zone,
            window=window,
            open_conversations=open_conversations,
            business_country=account.business_country,
            auth_international=account.auth_international,
            provider=account.provider,
        )

    def _first_pass(
        self,
        event: MessageEvent,
        state: MessageState,
        account: Account,
        windows: dict[tuple[str, str, str], list[tuple[int, bool]]],
        conversations: dict[tuple[str, str, str], list[tuple[str, int, int]]],
        effects: BatchEffects,
        probe: Probe | None,
    ) -> Delivery:
        at = event.occur_us
        meta = state.pricing
        pair = (account.account_id, state.channel_id, state.contact)
        category = (meta.category if meta and meta.category else "") or state.category or "service"
        if meta is not None and meta.pricing_type in META_WINDOWS:
            window = META_WINDOWS[meta.pricing_type]
        else:
            window = _window_at(windows.get(pair, []), at)
        open_now = frozenset(
            c for c, start, end in conversations.get(pair, []) if start <= at < end
        )
        if meta is not None and meta.billable:
            open_now = frozenset()
        request = self._request(account, at, state.contact, category, window, open_now)
        if probe is not None and probe[0] == request:
            decision = probe[1]
        else:
            decision = self._engine.price(request)
        delivery = Delivery(event, state, account, request, decision, meta)
        if decision.pricing_model == CONVERSATION_MODEL:
            self._open_conversation(delivery, conversations, effects)
        return delivery

    def _open_conversation(
        self,
        delivery: Delivery,
        conversations: dict[tuple[str, str, str], list[tuple[str, int, int]]],
        effects: BatchEffects,
    ) -> None:
        event, state, decision = delivery.event, delivery.state, delivery.decision
        given = event.conversation
        if given is None and not decision.opens_conversation:
            return
        at = event.occur_us
        category = decision.category
        if given is not None and given.origin and given.origin != "referral_conversion":
            category = given.origin
        conversation_id = given.conversation_id if given else f"opened-by:{state.message_id}"
        expire = (
            given.expire_us if given and given.expire_us else at + lengths_at(at).conversation_us
        )
        pair = (state.account_id, state.channel_id, state.contact)
        conversations.setdefault(pair, []).append((category, at, expire))
        effects.conversations.append(
            {
                "account_id": state.account_id,
                "conversation_id": conversation_id,
                "channel_id": state.channel_id,
                "contact": state.contact,
                "category": category,
                "open_us": at,
                "expire_us": expire,
                "billable": delivery.billable,
                "message_id": state.message_id,
                "local_date": delivery.account.local_date(at).isoformat(),
            }
        )

    def _count(self, records: UsageRecords, priced: list[Delivery]) -> None:
        """Give each charged message its exact place in this month's counters."""
        tier_counts: dict[str, int] = defaultdict(int)
        plan_counts: dict[str, int] = defaultdict(int)
        for delivery in priced:
            decision = delivery.decision
            opens_service = (
                decision.pricing_model == CONVERSATION_MODEL
                and decision.opens_conversation
                and decision.category == "service"
            )
            if not (delivery.billable or opens_service):
                continue
            account = delivery.account
            month = month_of(account.local_date(delivery.event.occur_us))
            delivery.counted = True
            delivery.tier_key = tier_key(
                account.portfolio_id, decision.market, decision.category, month
            )
            tier_counts[delivery.tier_key] += 1
            if delivery.billable:
                delivery.plan_key = plan_key(account.account_id, month)
                plan_counts[delivery.plan_key] += 1
        counts = {**tier_counts, **plan_counts}
        if not counts:
            return
        starts = records.take_places(counts)
        for delivery in priced:
            if not delivery.counted:
                continue
            delivery.tier_position = _take(starts, delivery.tier_key)
            delivery.plan_position = _take(starts, delivery.plan_key)
            delivery.state.changed = True

    def _commit(self, delivery: Delivery, effects: BatchEffects) -> dict[str, Any]:
        event, state, account = delivery.event, delivery.state, delivery.account
        decision = delivery.decision
        if not delivery.billable and decision.price_micros:
            free = {"billable": False, "rate_micros": 0, "meta_cost_micros": 0}
            free.update(margin_micros=0, price_micros=0)
            decision = PriceDecision(**{**decision.to_dict(), **free})
        state.action = COMMIT
        day = account.local_date(event.occur_us)
        category = decision.category
        effects.count(
            account.account_id,
            state.channel_id,
            day,
            category,
            "paid_messages" if delivery.billable else "free_messages",
        )
        if decision.price_micros:
            effects.count(
                account.account_id,
                state.channel_id,
                day,
                category,
                "charges_micros",
                decision.price_micros,
            )
            effects.count(
                account.account_id,
                state.channel_id,
                day,
                category,
                "meta_cost_micros",
                decision.meta_cost_micros,
            )
        effects.outbox.append(published.charge_committed(event, state, decision, delivery.billable))
        columns = _settlement_columns(event.occur_us, decision, delivery)
        columns["billable"] = delivery.billable
        return columns

    def _windows(
        self, records: UsageRecords, deliveries: list[tuple[MessageEvent, MessageState, Account]]
    ) -> dict[tuple[str, str, str], list[tuple[int, bool]]]:
        """Inbound messages that may have opened a free window for deliveries without pricing."""
        wanted: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
        for event, state, account in deliveries:
            if state.pricing is None:
                wanted[account.account_id].append((state.channel_id, state.contact, event.occur_us))
        found: dict[tuple[str, str, str], list[tuple[int, bool]]] = {}
        for account_id, items in wanted.items():
            lower = min(at for _, _, at in items) - LONGEST_FREE_ENTRY_POINT_US
            upper = max(at for _, _, at in items)
            pairs = [(channel, contact) for channel, contact, _ in items]
            rows = records.inbound_times(account_id, pairs, lower, upper)
            for pair, times in rows.items():
                found[(account_id, *pair)] = times
        return found

    def _conversations(
        self, records: UsageRecords, deliveries: list[tuple[MessageEvent, MessageState, Account]]
    ) -> dict[tuple[str, str, str], list[tuple[str, int, int]]]:
        wanted: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
        for event, state, account in deliveries:
            if self._model_at(account, event.occur_us) == CONVERSATION_MODEL:
                wanted[account.account_id].append((state.channel_id, state.contact, event.occur_us))
        found: dict[tuple[str, str, str], list[tuple[str, int, int]]] = {}
        for account_id, items in wanted.items():
            lower = min(at for _, _, at in items)
            upper = max(at for _, _, at in items)
            pairs = [(channel, contact) for channel, contact, _ in items]
            rows = records.open_conversations(account_id, pairs, lower, upper)
            for pair, spans in rows.items():
                found[(account_id, *pair)] = spans
        return found

    def _model_at(self, account: Account, at_us: int) -> str:
        at = EPOCH + dt.timedelta(microseconds=at_us)
        rule = self._engine.catalog.period_at(at, account.time_zone).rule
        return rule.model if rule is not None else ""


def _depends_on_counts(delivery: Delivery) -> bool:
    """Whether the monthly counts can change this price: tiers, plan-included, free-first."""
    provider = delivery.account.provider
    return (
        delivery.decision.tier is not None
        or delivery.decision.pricing_model == CONVERSATION_MODEL
        or (provider is not None and provider.included_messages_per_month > 0)
    )


def _window_at(inbound: list[tuple[int, bool]], at_us: int) -> Window:
    """The free window `at_us` falls in, from the user's earlier messages."""
    window = Window.NONE
    for sent_us, referral in inbound:
        if sent_us > at_us:
            continue
        lengths = lengths_at(sent_us)
        if referral and at_us < sent_us + lengths.free_entry_point_us:
            return Window.FREE_ENTRY_POINT
        if at_us < sent_us + lengths.customer_service_window_us:
            window = Window.SERVICE
    return window


def _take(starts: dict[str, int], key: str | None) -> int:
    if key is None:
        return 0
    position = starts[key]
    starts[key] = position + 1
    return position


def _settlement_columns(
    settle_us: int, decision: PriceDecision | None, delivery: Delivery | None
) -> dict[str, Any]:
    return {
        "settle_us": settle_us,
        "market": decision.market if decision else "",
        "charged_category": decision.category if decision else "",
        "pricing_model": decision.pricing_model if decision else "",
        "billable": False,
        "price_micros": decision.price_micros if decision else 0,
        "meta_cost_micros": decision.meta_cost_micros if decision else 0,
        "tier": (decision.tier or 0) if decision else 0,
        "tier_key": delivery.tier_key if delivery else None,
        "tier_position": delivery.tier_position if delivery else 0,
        "plan_key": delivery.plan_key if delivery else None,
    }
