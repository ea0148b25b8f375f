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

from services.common.clock import Clock
from services.wallet.domain.decisions import parse_send_record
from services.wallet.service.commands.notices import CampaignRefused, SendFlagged
from services.wallet.service.commands.send import (
    AuthoriseBatch,
    AuthoriseSend,
    BatchDecisions,
    SendDecision,
)
from services.wallet.service.ports.notices import NoticeWork

log = logging.getLogger(__name__)
NOTICE_IDS = uuid.UUID("c2f1e7d0-6a55-4a8e-b0f4-1f2d3c4b5a69")
MAX_REMEMBERED = 100_000
LACK_OF_FUNDS = frozenset({b"insufficient_funds", b"batch_not_covered", b"overdraft_limit_reached"})


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

    def refused_batch(self, batch: AuthoriseBatch, decided: BatchDecisions) -> list[int]:
        """The positions of the recipients refused for lack of funds, when this process has
        not announced the account's current window yet (else none)."""
        denials = _denials(batch, decided)
        refused = [n for n, reason in enumerate(denials) if reason in LACK_OF_FUNDS]
        if not refused:
            return []
        now_ms = self._clock.now_ms()
        start = now_ms - now_ms % self._refused_ms
        with self._lock:
            if ("campaign_refused", batch.account_id, start) in self._announced:
                return []
        return refused

    def after_batch(
        self,
        batch: AuthoriseBatch,
        batch_id: str,
        decided: BatchDecisions,
        refused: list[int],
        required: int,
    ) -> None:
        """AuthoriseBatch's hook: recipients refused for lack of funds; `required` is what they
        would have cost at most (their paid price)."""
        now_ms = self._clock.now_ms()
        start = self._first("campaign_refused", batch.account_id, self._refused_ms, now_ms)
        if start is None or not refused:
            return
        available = decided.available_micros
        self._write(
            CampaignRefused(
                event_id=_event_id("campaign_refused", batch.account_id, start),
                account_id=batch.account_id,
                channel_id=batch.channel_id,
                batch_id=batch_id,
                refused_count=len(refused),
                reason=_denials(batch, decided)[refused[0]].decode(),
                currency=decided.currency,
                available_micros=available,
                required_micros=required,
                needed_micros=max(required - max(available, 0), 0),
                occur_ms=now_ms,
                window_end_ms=start + self._refused_ms,
            )
        )

    def after_send(self, send: AuthoriseSend, decided: SendDecision) -> None:
        """AuthoriseSend's hook: a soft-limit send beyond the balance (flagged)."""
        record = decided.record
        if record is None or record.decision != b"flagged" or decided.replayed:
            return
        now_ms = self._clock.now_ms()
        start = self._first("send_flagged", send.account_id, self._flagged_ms, now_ms)
        if start is None:
            return
        self._write(
            SendFlagged(
                event_id=_event_id("send_flagged", send.account_id, start),
                account_id=send.account_id,
                channel_id=send.channel_id,
                message_id=send.message_id,
                currency=decided.currency,
                available_micros=int(record.balance_after),
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


def _denials(batch: AuthoriseBatch, decided: BatchDecisions) -> list[bytes]:
    """Each recipient's refusal reason, b"" for a recipient allowed (none for an unknown
    account, which is refused with no recipient's decision)."""
    if not decided.known:
        return []
    if decided.refusal:
        return [decided.refusal] * len(batch.message_ids)
    denials = []
    for record in decided.records:
        said = parse_send_record(record)
        denials.append(said.reason if said.decision == b"denied" else b"")
    return denials


def _event_id(kind: str, account_id: str, window_start_ms: int) -> str:
    return uuid.uuid5(NOTICE_IDS, f"{kind}:{account_id}:{window_start_ms}").hex
