"""The send path: AuthoriseSend and AuthoriseBatch, one EVALSHA each, no SQL when warm."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from billing.common.v1 import money_pb2
from billing.wallet.v1 import authorise_pb2 as pb

import pricing
from pricing.markets import e164_digits
from services.common import validation
from services.common.errors import InvalidArgument, Unavailable
from services.wallet.adapters.hot_store import HotStore
from services.wallet.domain import decisions
from services.wallet.domain.accounts import AccountView
from services.wallet.domain.partitions import (
    CONVERSATION_WINDOW,
    CUSTOMER_SERVICE_WINDOW,
    FREE_ENTRY_POINT_WINDOW,
    Keys,
    Partitioner,
)
from services.wallet.service.accounts import Accounts
from services.wallet.service.quotes import Quoter, category_name, recipient_digits
from services.wallet.service.send_notices import SendNotices
from services.wallet.service.settings import WalletSettings

DECISIONS = {
    b"allowed": pb.DECISION_ALLOWED,
    b"flagged": pb.DECISION_ALLOWED_FLAGGED,
    b"denied": pb.DECISION_DENIED,
}
REASONS = {
    b"": pb.DENY_REASON_UNSPECIFIED,
    b"insufficient_funds": pb.DENY_REASON_INSUFFICIENT_FUNDS,
    b"unknown_account": pb.DENY_REASON_UNKNOWN_ACCOUNT,
    b"account_suspended": pb.DENY_REASON_ACCOUNT_SUSPENDED,
    b"channel_has_no_days": pb.DENY_REASON_CHANNEL_HAS_NO_DAYS,
    b"overdraft_limit_reached": pb.DENY_REASON_OVERDRAFT_LIMIT_REACHED,
    b"credit_limit_reached": pb.DENY_REASON_CREDIT_LIMIT_REACHED,
    b"no_rate_in_force": pb.DENY_REASON_NO_RATE_IN_FORCE,
    b"batch_not_covered": pb.DENY_REASON_BATCH_NOT_COVERED,
}
MESSAGES = {
    (decision, reason): decisions.message_for(decision.decode(), reason.decode())
    for decision in DECISIONS
    for reason in REASONS
}
MISSING = b"missing"
BUSY = b"busy"
REBUILDING = "the account's balance is being restored; try again in a moment"
RESERVATION_ID_BYTES = 16  # random bytes of a reservation id (32 hex digits)


class Authoriser:
    def __init__(
        self,
        accounts: Accounts,
        hot: HotStore,
        partitioner: Partitioner,
        quoter: Quoter,
        settings: WalletSettings,
    ) -> None:
        self._accounts = accounts
        self._hot = hot
        self._partitioner = partitioner
        self._quoter = quoter
        self._hold_ms = settings.hold_s * 1000
        self._record_s = settings.message_record_s
        self._max_batch = settings.max_batch_recipients
        # Told of refused campaigns and flagged sends (set by the bootstrap).
        self.notices: SendNotices | None = None

    def authorise(self, request: pb.AuthoriseSendRequest) -> pb.AuthoriseSendResponse:
        account_id = validation.require_id(request.account_id, "account_id")
        channel_id = validation.require_id(request.channel_id, "channel_id")
        message_id = validation.require_id(request.message_id, "message_id")
        category = category_name(request.category, request.is_template)
        digits = recipient_digits(request.recipient)
        now_ms = time.time_ns() // 1_000_000
        send_ms = now_ms
        if request.HasField("send_time"):
            send = request.send_time
            send_ms = validation.timestamp_ms(send.seconds, send.nanos, "send_time")
        view = self._accounts.view(account_id)
        if view is None:
            return _unknown_account()
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
            "1" if request.free_entry_point else "0",
            channel_id,
            *candidates.args,
        ]
        replayed, record = self._hot.authorise(script_keys, args)
        if record == MISSING:
            view = self._accounts.refresh(account_id)
            if view is None:
                return _unknown_account()
            replayed, record = self._hot.authorise(script_keys, args)
            if record == MISSING:
                return _unknown_account()
        if record == BUSY:
            raise Unavailable(REBUILDING)
        response = _response(record, view.currency, bool(replayed))
        if self.notices is not None and response.decision == pb.DECISION_ALLOWED_FLAGGED:
            self.notices.after_send(request, response)
        return response

    def authorise_batch(self, request: pb.AuthoriseBatchRequest) -> pb.AuthoriseBatchResponse:
        account_id = validation.require_id(request.account_id, "account_id")
        channel_id = validation.require_id(request.channel_id, "channel_id")
        category = category_name(request.category, request.is_template)
        mode = _batch_mode(request.mode)
        recipients = request.recipients
        if not recipients:
            raise InvalidArgument("recipients", "at least one recipient is required")
        if len(recipients) > self._max_batch:
            raise InvalidArgument("recipients", f"at most {self._max_batch:,} per batch")
        message_ids, numbers, digits_of = _checked_recipients(recipients)
        now_ms = time.time_ns() // 1_000_000
        send_ms = now_ms
        if request.HasField("send_time"):
            send = request.send_time
            send_ms = validation.timestamp_ms(send.seconds, send.nanos, "send_time")
        view = self._accounts.view(account_id)
        if view is None:
            return _batch_refused(pb.DENY_REASON_UNKNOWN_ACCOUNT, b"unknown_account", 0, "")
        at = datetime.fromtimestamp(send_ms / 1000, UTC)
        keys = self._partitioner.keys(account_id)
        script_keys, args = self._batch_arguments(
            view, keys, channel_id, category, mode, message_ids, digits_of, at, now_ms, send_ms
        )
        answer = self._hot.authorise_batch(script_keys, args)
        if answer[0] == MISSING:
            refreshed = self._accounts.refresh(account_id)
            if refreshed is None:
                return _batch_refused(pb.DENY_REASON_UNKNOWN_ACCOUNT, b"unknown_account", 0, "")
            answer = self._hot.authorise_batch(script_keys, args)
        if answer[0] == BUSY:
            raise Unavailable(REBUILDING)
        response = _batch_response(answer, request, message_ids, numbers, view.currency)
        if self.notices is not None and response.denied_count:
            refused = self.notices.refused_batch(request, response)
            if refused:
                every = self._quoter.candidates_each(view, digits_of, category, at)
                required = sum(int(every[n].args[0]) for n in refused)
                self.notices.after_batch(request, response, refused, required)
        return response

    def _batch_arguments(
        self,
        view: AccountView,
        keys: Keys,
        channel_id: str,
        category: str,
        mode: str,
        message_ids: list[str],
        digits_of: list[str],
        at: datetime,
        now_ms: int,
        send_ms: int,
    ) -> tuple[list[str], list[object]]:
        account_id = view.account_id
        every = self._quoter.candidates_each(view, digits_of, category, at)
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


def _checked_recipients(
    recipients: Sequence[pb.BatchRecipient],
) -> tuple[list[str], list[str], list[str]]:
    """Message ids, numbers and their digits; InvalidArgument names the first bad field."""
    message_ids = [recipient.message_id for recipient in recipients]
    numbers = [recipient.recipient for recipient in recipients]
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
    return message_ids, numbers, digits_of


def _batch_mode(mode: int) -> str:
    if mode == pb.BATCH_MODE_ALL_OR_NOTHING:
        return "all"
    if mode == pb.BATCH_MODE_BEST_EFFORT:
        return "best"
    raise InvalidArgument("mode", "must be ALL_OR_NOTHING or BEST_EFFORT")


def _money(currency: str, micros: int) -> money_pb2.Money:
    return money_pb2.Money(currency_code=currency, amount_micros=micros)


def _unknown_account() -> pb.AuthoriseSendResponse:
    return pb.AuthoriseSendResponse(
        decision=pb.DECISION_DENIED,
        deny_reason=pb.DENY_REASON_UNKNOWN_ACCOUNT,
        message=MESSAGES[(b"denied", b"unknown_account")],
    )


def _response(record: bytes, currency: str, replayed: bool) -> pb.AuthoriseSendResponse:
    decision, reason, reservation_id, after, expire_ms, price = decisions.parse_send_record(record)
    response = pb.AuthoriseSendResponse(
        decision=DECISIONS[decision],
        deny_reason=REASONS[reason],
        message=MESSAGES[(decision, reason)],
        reservation_id=reservation_id.decode(),
        replayed=replayed,
    )
    # Fields set in place: half the time of building and copying the submessages.
    balance = response.balance_after
    balance.currency_code = currency
    balance.amount_micros = int(after)
    if price:
        response.price.MergeFromString(price)
    if reservation_id:
        expire = response.reservation_expire_time
        expire.seconds, milliseconds = divmod(int(expire_ms), 1000)
        expire.nanos = milliseconds * 1_000_000
    return response


def _batch_refused(
    reason: int, code: bytes, available: int, currency: str
) -> pb.AuthoriseBatchResponse:
    return pb.AuthoriseBatchResponse(
        deny_reason=reason,  # type: ignore[arg-type]
        message=MESSAGES[(b"denied", code)],
        balance_after=_money(currency, available),
        reserved_total=_money(currency, 0),
    )


def _batch_response(
    answer: list[object],
    request: pb.AuthoriseBatchRequest,
    message_ids: list[str],
    numbers: list[str],
    currency: str,
) -> pb.AuthoriseBatchResponse:
    status = answer[0]
    if status == b"refused":
        code = answer[1]
        if not isinstance(code, bytes):
            raise TypeError("authorise_batch.lua answered a malformed refusal")
        response = _batch_refused(REASONS[code], code, int(answer[2]), currency)  # type: ignore[call-overload]
        for recipient in request.recipients:
            response.decisions.add(
                message_id=recipient.message_id,
                recipient=recipient.recipient,
                decision=pb.DECISION_DENIED,
                deny_reason=REASONS[code],
            )
        response.denied_count = len(request.recipients)
        return response
    response = pb.AuthoriseBatchResponse(balance_after=_money(currency, int(answer[1])))  # type: ignore[call-overload]
    counts = {pb.DECISION_ALLOWED: 0, pb.DECISION_ALLOWED_FLAGGED: 0, pb.DECISION_DENIED: 0}
    reserved = 0
    first_refusal = b""
    prices: dict[bytes, pb.PriceBreakdown] = {}  # each distinct price parsed once
    add = response.decisions.add
    records: list[Any] = answer[3::2]
    for message_id, number, record in zip(message_ids, numbers, records, strict=True):
        code, reason, reservation_id, _after, _expire, price = decisions.parse_send_record(record)
        decision = DECISIONS[code]
        item = add(
            message_id=message_id,
            recipient=number,
            decision=decision,
            deny_reason=REASONS[reason],
            reservation_id=reservation_id.decode(),
        )
        if price:
            breakdown = prices.get(price)
            if breakdown is None:
                breakdown = prices[price] = pb.PriceBreakdown.FromString(price)
            item.price.CopyFrom(breakdown)
            if reservation_id:
                reserved += breakdown.total.amount_micros
        if decision == pb.DECISION_DENIED and not first_refusal:
            first_refusal = reason
        counts[decision] += 1
    response.allowed_count = counts[pb.DECISION_ALLOWED]
    response.flagged_count = counts[pb.DECISION_ALLOWED_FLAGGED]
    response.denied_count = counts[pb.DECISION_DENIED]
    response.reserved_total.CopyFrom(_money(currency, reserved))
    if response.denied_count:
        response.message = MESSAGES[(b"denied", first_refusal)]
    return response
