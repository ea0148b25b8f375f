"""The send path: AuthoriseSend and AuthoriseBatch, one EVALSHA each, no SQL when warm."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pricing
from pricing.markets import e164_digits
from services.common import validation
from services.common.clock import Clock, SystemClock
from services.common.errors import InvalidArgument, Unavailable
from services.wallet.domain.accounts import AccountView
from services.wallet.domain.decisions import parse_send_record
from services.wallet.domain.partitions import (
    CONVERSATION_WINDOW,
    CUSTOMER_SERVICE_WINDOW,
    FREE_ENTRY_POINT_WINDOW,
    Keys,
    Partitioner,
)
from services.wallet.service.accounts import Accounts
from services.wallet.service.commands.send import (
    ALL_OR_NOTHING,
    BEST_EFFORT,
    AuthoriseBatch,
    AuthoriseSend,
    BatchDecisions,
    SendDecision,
)
from services.wallet.service.ports.send import SendStore
from services.wallet.service.quotes import Candidates, Quoter, category_name, recipient_digits
from services.wallet.service.settings import WalletSettings

MISSING = b"missing"
BUSY = b"busy"
REFUSED = b"refused"
REBUILDING = "the account's balance is being restored; try again in a moment"
RESERVATION_ID_BYTES = 16  # random bytes of a reservation id (32 hex digits)
UNKNOWN_ACCOUNT = SendDecision(None, "", False)
UNKNOWN_BATCH_ACCOUNT = BatchDecisions(False, b"unknown_account", 0, "", [], [])


class Authoriser:
    def __init__(
        self,
        accounts: Accounts,
        hot: SendStore,
        partitioner: Partitioner,
        quoter: Quoter,
        settings: WalletSettings,
        clock: Clock | None = None,
    ) -> None:
        self._accounts = accounts
        self._clock = clock or SystemClock()
        self._hot = hot
        self._partitioner = partitioner
        self._quoter = quoter
        self._hold_ms = settings.hold_s * 1000
        self._record_s = settings.message_record_s
        self._max_batch = settings.max_batch_recipients

    def authorise(self, send: AuthoriseSend) -> SendDecision:
        account_id = validation.require_id(send.account_id, "account_id")
        channel_id = validation.require_id(send.channel_id, "channel_id")
        message_id = validation.require_id(send.message_id, "message_id")
        category = category_name(send.category, send.is_template)
        digits = recipient_digits(send.recipient)
        now_ms = self._clock.now_ms()
        send_ms = now_ms
        if send.send_time is not None:
            send_ms = validation.timestamp_ms(*send.send_time, "send_time")
        view = self._accounts.view(account_id)
        if view is None:
            return UNKNOWN_ACCOUNT
        at = datetime.fromtimestamp(send_ms / 1000, UTC)
        candidates = self._quoter.candidates(view, digits, category, at)
        keys = self._partitioner.keys(account_id)
        channel = view.balance_channel(channel_id)
        window = keys.window_prefix(account_id, channel_id) + digits + ":"
        script_keys = [
            keys.account(account_id),
            keys.message(account_id, message_id),
            keys.balances(account_id),
            "",
            keys.expiry,
            keys.ledger,
            keys.channel_days(account_id),
            keys.credits(account_id),
            window + FREE_ENTRY_POINT_WINDOW,
            window + CUSTOMER_SERVICE_WINDOW,
            keys.ready,
            *[window + CONVERSATION_WINDOW + name for name in candidates.conversation_categories],
        ]
        reservation_id = os.urandom(RESERVATION_ID_BYTES).hex()
        script_keys[3] = keys.reservation(reservation_id)
        args = [
            now_ms,
            send_ms,
            self._hold_ms,
            self._record_s,
            reservation_id,
            account_id,
            channel,
            message_id,
            view.currency,
            "1" if send.free_entry_point else "0",
            channel_id,
            *candidates.args,
        ]
        replayed, record = self._hot.authorise(script_keys, args)
        if record == MISSING:
            view = self._accounts.refresh(account_id)
            if view is None:
                return UNKNOWN_ACCOUNT
            replayed, record = self._hot.authorise(script_keys, args)
            if record == MISSING:
                return UNKNOWN_ACCOUNT
        if record == BUSY:
            raise Unavailable(REBUILDING)
        return SendDecision(parse_send_record(record), view.currency, bool(replayed))

    def authorise_batch(self, batch: AuthoriseBatch) -> BatchDecisions:
        account_id = validation.require_id(batch.account_id, "account_id")
        channel_id = validation.require_id(batch.channel_id, "channel_id")
        category = category_name(batch.category, batch.is_template)
        mode = _batch_mode(batch.mode)
        message_ids = batch.message_ids
        if not message_ids:
            raise InvalidArgument("recipients", "at least one recipient is required")
        if len(message_ids) > self._max_batch:
            raise InvalidArgument("recipients", f"at most {self._max_batch:,} per batch")
        digits_of = _checked_recipients(message_ids, batch.recipients)
        now_ms = self._clock.now_ms()
        send_ms = now_ms
        if batch.send_time is not None:
            send_ms = validation.timestamp_ms(*batch.send_time, "send_time")
        view = self._accounts.view(account_id)
        if view is None:
            return UNKNOWN_BATCH_ACCOUNT
        at = datetime.fromtimestamp(send_ms / 1000, UTC)
        keys = self._partitioner.keys(account_id)
        every = self._quoter.candidates_each(view, digits_of, category, at)
        script_keys, args = self._batch_arguments(
            view, keys, channel_id, mode, message_ids, digits_of, every, now_ms, send_ms
        )
        answer = self._hot.authorise_batch(script_keys, args)
        if answer[0] == MISSING:
            refreshed = self._accounts.refresh(account_id)
            if refreshed is None:
                return UNKNOWN_BATCH_ACCOUNT
            answer = self._hot.authorise_batch(script_keys, args)
        if answer[0] == BUSY:
            raise Unavailable(REBUILDING)
        if answer[0] == REFUSED:
            code = answer[1]
            if not isinstance(code, bytes):
                raise TypeError("authorise_batch.lua answered a malformed refusal")
            return BatchDecisions(True, code, int(answer[2]), view.currency, [], every)
        return BatchDecisions(True, b"", int(answer[1]), view.currency, answer[3::2], every)

    def _batch_arguments(
        self,
        view: AccountView,
        keys: Keys,
        channel_id: str,
        mode: str,
        message_ids: list[str],
        digits_of: list[str],
        every: list[Candidates],
        now_ms: int,
        send_ms: int,
    ) -> tuple[list[str], list[object]]:
        account_id = view.account_id
        conversation_names = every[0].conversation_categories
        set_of: dict[int, int] = {}  # id of a candidates set -> its 1-based index in the script
        set_args: list[object] = []
        per_recipient: list[object] = []
        script_keys = [
            keys.account(account_id),
            keys.balances(account_id),
            keys.expiry,
            keys.ledger,
            keys.channel_days(account_id),
            keys.credits(account_id),
            keys.ready,
        ]
        window_prefix = keys.window_prefix(account_id, channel_id)
        reservation_prefix = keys.prefix + ":reservation:"
        message_prefix = keys.prefix + ":message:" + account_id + ":"
        width = 2 * RESERVATION_ID_BYTES
        reservation_ids = os.urandom(RESERVATION_ID_BYTES * len(digits_of)).hex()
        for n, (message_id, digits, candidates) in enumerate(
            zip(message_ids, digits_of, every, strict=True)
        ):
            index = set_of.get(id(candidates))
            if index is None:
                index = set_of[id(candidates)] = len(set_of) + 1
                set_args.extend(candidates.args)
            reservation_id = reservation_ids[n * width : (n + 1) * width]
            window = window_prefix + digits + ":"
            script_keys += (
                message_prefix + message_id,
                reservation_prefix + reservation_id,
                window + FREE_ENTRY_POINT_WINDOW,
                window + CUSTOMER_SERVICE_WINDOW,
            )
            if conversation_names:
                script_keys += [window + CONVERSATION_WINDOW + name for name in conversation_names]
            per_recipient += (reservation_id, message_id, index)
        args: list[object] = [
            now_ms,
            send_ms,
            self._hold_ms,
            self._record_s,
            account_id,
            view.balance_channel(channel_id),
            view.currency,
            mode,
            len(digits_of),
            len(conversation_names),
            len(set_of),
            channel_id,
            *set_args,
            *per_recipient,
        ]
        return script_keys, args


def _checked_recipients(message_ids: list[str], numbers: list[str]) -> list[str]:
    """The numbers' digits; InvalidArgument names the first bad field."""
    digits_of: list[str] = []
    seen: set[str] = set()
    for index, (message_id, number) in enumerate(zip(message_ids, numbers, strict=True)):
        if not validation.ID_PATTERN.match(message_id):
            validation.require_id(message_id, f"recipients[{index}].message_id")
        if message_id in seen:
            raise InvalidArgument(
                f"recipients[{index}].message_id", f"{message_id!r} appears twice"
            )
        seen.add(message_id)
        try:
            digits_of.append(e164_digits(number))
        except pricing.InvalidNumber as error:
            raise InvalidArgument(f"recipients[{index}].recipient", str(error)) from None
    return digits_of


def _batch_mode(mode: str) -> str:
    if mode in (ALL_OR_NOTHING, BEST_EFFORT):
        return mode
    raise InvalidArgument("mode", "must be ALL_OR_NOTHING or BEST_EFFORT")
