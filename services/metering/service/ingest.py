"""RecordEvents: store each event once, then everything it changes, in one transaction.

Per batch: events are inserted with their unique key (account, message, status), so a
redelivery is a duplicate; the rest of the batch is applied in time order: message states,
windows, contacts' first days and active users, settlements (priced, counted for volume tiers),
usage counters and the outbox. Counters are taken late, so their rows are locked briefly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from pricing import PricingError
from services.metering.domain.accounts import Account
from services.metering.domain.events import FAILED, MessageEvent, Rejection
from services.metering.domain.messages import MessageState
from services.metering.domain.windows import CONVERSATION, Window, windows_opened_by_inbound
from services.metering.service import published
from services.metering.service.charging import Charging, Probe
from services.metering.service.commands import (
    ACCEPTED,
    DUPLICATE,
    REJECTED,
    EventOutcome,
    RecordedEvents,
    RecordEvents,
)
from services.metering.service.effects import BatchEffects
from services.metering.service.ports import HotStore, UnitsOfWork, UsageRecords


class Ingestion:
    def __init__(
        self,
        units: UnitsOfWork,
        hot: HotStore,
        charging: Charging,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._units = units
        self._hot = hot
        self._charging = charging
        self._on_commit = on_commit
        self._turns: AbstractContextManager[Any] = (
            threading.Lock() if units.one_writer else nullcontext()
        )

    def record(self, command: RecordEvents) -> RecordedEvents:
        effects = BatchEffects()
        key = command.idempotency_key
        with self._turns, self._units() as uow:
            answer = uow.replies.find(key, command.request_sha256) if key else None
            if answer is not None:
                return answer
            answer = self._apply(uow.records, command.events, list(command.rejections), effects)
            if key:
                uow.replies.add(key, command.request_sha256, answer)
            uow.commit()
        self._hot.remember_windows(effects.windows)
        if effects.outbox:
            self._on_commit()
        return answer

    def _apply(
        self,
        records: UsageRecords,
        events: list[MessageEvent],
        rejections: list[Rejection],
        effects: BatchEffects,
    ) -> RecordedEvents:
        accounts = records.load_accounts(e.account_id for e in events)
        probes: dict[int, Probe] = {}
        known = self._known(events, accounts, rejections, probes)
        local_dates = {e.index: accounts[e.account_id].local_date(e.occur_us) for e in known}
        unique: dict[tuple[str, str, str], MessageEvent] = {}
        for event in known:
            unique.setdefault(event.key, event)
        inserted = records.insert_events(
            list(unique.values()), {i: d.isoformat() for i, d in local_dates.items()}
        )
        accepted = [e for e in unique.values() if e.key in inserted]
        accepted.sort(key=lambda e: (e.occur_us, e.index))
        self._apply_inbound(accepted, accounts, local_dates, effects)
        self._apply_outbound(records, accepted, accounts, local_dates, effects, probes)
        self._write_effects(records, effects)
        accepted_indexes = {e.index for e in accepted}
        return _response(events, rejections, accepted_indexes)

    def _known(
        self,
        events: list[MessageEvent],
        accounts: dict[str, Account],
        rejections: list[Rejection],
        probes: dict[int, Probe],
    ) -> list[MessageEvent]:
        """Events of known accounts; deliveries only if a price exists (kept in `probes`)."""
        known = []
        for event in events:
            account = accounts.get(event.account_id)
            if account is None:
                field = f"events[{event.index}].account_id"
                rejections.append(Rejection(event.index, field, f"{field}: unknown account"))
                continue
            if event.is_delivery:
                try:
                    probes[event.index] = self._charging.probe(account, event)
                except PricingError as error:
                    field = f"events[{event.index}].occur_time"
                    rejections.append(Rejection(event.index, field, f"{field}: {error}"))
                    continue
            known.append(event)
        return known

    def _apply_inbound(
        self,
        accepted: list[MessageEvent],
        accounts: dict[str, Account],
        local_dates: dict[int, Any],
        effects: BatchEffects,
    ) -> None:
        for event in accepted:
            if not event.is_inbound:
                continue
            effects.interacted(
                event.account_id, event.channel_id, event.contact, local_dates[event.index]
            )
            for window in windows_opened_by_inbound(
                event.account_id,
                event.channel_id,
                event.contact,
                event.occur_us,
                event.message_id,
                event.referral,
            ):
                effects.window(window, published.window_changed(window))

    def _apply_outbound(
        self,
        records: UsageRecords,
        accepted: list[MessageEvent],
        accounts: dict[str, Account],
        local_dates: dict[int, Any],
        effects: BatchEffects,
        probes: dict[int, Probe],
    ) -> None:
        outbound = [e for e in accepted if not e.is_inbound]
        if not outbound:
            self._write_activity(records, effects)
            return
        states = records.lock_messages(outbound)
        deliveries: list[tuple[MessageEvent, MessageState, Account]] = []
        settlements: dict[tuple[str, str], dict[str, Any]] = {}
        pending: set[tuple[str, str]] = set()
        for event in outbound:
            key = (event.account_id, event.message_id)
            state, account, day = states[key], accounts[event.account_id], local_dates[event.index]
            if state.merge(event):
                effects.count(
                    account.account_id, state.channel_id, day, state.category, "notifications_sent"
                )
            if event.is_delivery:
                effects.interacted(account.account_id, state.channel_id, state.contact, day)
            if state.settled or key in pending:
                continue
            if event.is_delivery:
                pending.add(key)
                deliveries.append((event, state, account))
            elif event.status == FAILED:
                settlements[key] = self._charging.release(event, state, account, effects)
        self._write_activity(records, effects)
        settlements.update(self._charging.settle(records, deliveries, effects, probes))
        records.update_messages(states.values(), settlements)

    def _write_activity(self, records: UsageRecords, effects: BatchEffects) -> None:
        """Contacts' first days and active days: known before any price is."""
        records.record_first_days(effects.firsts)
        records.mark_active(effects.active)

    def _write_effects(self, records: UsageRecords, effects: BatchEffects) -> None:
        if effects.conversations:
            first: dict[tuple[str, str], dict[str, Any]] = {}
            for row in effects.conversations:
                first.setdefault((row["account_id"], row["conversation_id"]), row)
            opened = records.insert_conversations(list(first.values()))
            for row in first.values():
                if row["conversation_id"] in opened:
                    self._conversation_opened(row, effects)
        records.add_daily_usage(effects.daily)
        records.add_outbox(effects.outbox)

    def _conversation_opened(self, row: dict[str, Any], effects: BatchEffects) -> None:
        window = Window(
            row["account_id"],
            row["channel_id"],
            row["contact"],
            CONVERSATION,
            row["category"],
            row["open_us"],
            row["expire_us"],
            row["message_id"],
            row["billable"],
        )
        effects.window(window, published.window_changed(window))
        name = "paid_conversations" if row["billable"] else "free_conversations"
        day = row["local_date"]
        effects.daily[(row["account_id"], row["channel_id"], day, row["category"])][name] += 1


def _response(
    events: list[MessageEvent], rejections: list[Rejection], accepted: set[int]
) -> RecordedEvents:
    results: dict[int, EventOutcome] = {}
    for rejection in rejections:
        results[rejection.index] = EventOutcome(
            rejection.index, REJECTED, field=rejection.field, error=rejection.problem
        )
    for event in events:
        if event.index in results:
            continue
        outcome = ACCEPTED if event.index in accepted else DUPLICATE
        results[event.index] = EventOutcome(event.index, outcome, event_id=event.event_id)
    return RecordedEvents([results[i] for i in sorted(results)])
