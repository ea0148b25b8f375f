"""Refused campaigns and flagged sends, told to the account's people through the outbox, grouped:
one event per account per window however many sends are refused (or flagged) in it.

The event id is derived from (kind, account, window), so replicas that each announce the same
window publish the same event and its readers keep one. Within a process the first send of a
window writes the outbox row; the rest of the window costs a dictionary look-up.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable

from billing.wallet.v1 import authorise_pb2

from services.common.clock import Clock
from services.wallet.service.commands.notices import CampaignRefused, SendFlagged
from services.wallet.service.ports.notices import NoticeWork

log = logging.getLogger(__name__)
NOTICE_IDS = uuid.UUID("c2f1e7d0-6a55-4a8e-b0f4-1f2d3c4b5a69")
MAX_REMEMBERED = 100_000
LACK_OF_FUNDS = frozenset(
    {
        authorise_pb2.DENY_REASON_INSUFFICIENT_FUNDS,
        authorise_pb2.DENY_REASON_BATCH_NOT_COVERED,
        authorise_pb2.DENY_REASON_OVERDRAFT_LIMIT_REACHED,
    }
)


class SendNotices:
    def __init__(
        self,
        work: Callable[[], NoticeWork],
        clock: Clock,
        refused_window_s: int,
        flagged_window_s: int,
    ) -> None:
        self._work = work
        self._clock = clock
        self._refused_ms = refused_window_s * 1000
        self._flagged_ms = flagged_window_s * 1000
        self._announced: dict[tuple[str, str, int], None] = {}
        self._lock = threading.Lock()

    def _first(self, kind: str, account_id: str, window_ms: int, now_ms: int) -> int | None:
        """The window's start when this process has not announced it yet, else None."""
        start = now_ms - now_ms % window_ms
        key = (kind, account_id, start)
        with self._lock:
            if key in self._announced:
                return None
            if len(self._announced) >= MAX_REMEMBERED:
                self._announced.clear()
            self._announced[key] = None
        return start

    def refused_batch(
        self,
        request: authorise_pb2.AuthoriseBatchRequest,
        answer: authorise_pb2.AuthoriseBatchResponse,
    ) -> list[int]:
        """The positions of the recipients refused for lack of funds, when this process has
        not announced the account's current window yet (else none)."""
        refused = [
            n
            for n, item in enumerate(answer.decisions)
            if item.decision == authorise_pb2.DECISION_DENIED and item.deny_reason in LACK_OF_FUNDS
        ]
        if not refused:
            return []
        now_ms = self._clock.now_ms()
        start = now_ms - now_ms % self._refused_ms
        with self._lock:
            if ("campaign_refused", request.account_id, start) in self._announced:
                return []
        return refused

    def after_batch(
        self,
        request: authorise_pb2.AuthoriseBatchRequest,
        answer: authorise_pb2.AuthoriseBatchResponse,
        refused: list[int],
        required: int,
    ) -> None:
        """AuthoriseBatch's hook: recipients refused for lack of funds; `required` is what they
        would have cost at most (their paid price)."""
        now_ms = self._clock.now_ms()
        start = self._first("campaign_refused", request.account_id, self._refused_ms, now_ms)
        if start is None or not refused:
            return
        currency = answer.balance_after.currency_code
        available = answer.balance_after.amount_micros
        first = answer.decisions[refused[0]]
        self._write(
            CampaignRefused(
                event_id=_event_id("campaign_refused", request.account_id, start),
                account_id=request.account_id,
                channel_id=request.channel_id,
                batch_id=request.batch_id,
                refused_count=len(refused),
                reason=authorise_pb2.DenyReason.Name(first.deny_reason)
                .removeprefix("DENY_REASON_")
                .lower(),
                currency=currency,
                available_micros=available,
                required_micros=required,
                needed_micros=max(required - max(available, 0), 0),
                occur_ms=now_ms,
                window_end_ms=start + self._refused_ms,
            )
        )

    def after_send(
        self,
        request: authorise_pb2.AuthoriseSendRequest,
        answer: authorise_pb2.AuthoriseSendResponse,
    ) -> None:
        """AuthoriseSend's hook: a soft-limit send beyond the balance (flagged)."""
        if answer.decision != authorise_pb2.DECISION_ALLOWED_FLAGGED or answer.replayed:
            return
        now_ms = self._clock.now_ms()
        start = self._first("send_flagged", request.account_id, self._flagged_ms, now_ms)
        if start is None:
            return
        self._write(
            SendFlagged(
                event_id=_event_id("send_flagged", request.account_id, start),
                account_id=request.account_id,
                channel_id=request.channel_id,
                message_id=request.message_id,
                currency=answer.balance_after.currency_code,
                available_micros=answer.balance_after.amount_micros,
                occur_ms=now_ms,
                window_end_ms=start + self._flagged_ms,
            )
        )

    def _write(self, notice: CampaignRefused | SendFlagged) -> None:
        try:
            with self._work() as work:
                work.notices.publish(notice)
                work.commit()
        except Exception:  # the send's answer stands; the notice is lost for this window
            log.exception("send notice not written", extra={"event_id": notice.event_id})


def _event_id(kind: str, account_id: str, window_start_ms: int) -> str:
    return uuid.uuid5(NOTICE_IDS, f"{kind}:{account_id}:{window_start_ms}").hex
