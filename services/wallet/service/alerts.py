"""Balance alerts (low balance, zero balance) written to the outbox: published after commit.
The alert's event id is derived from its crossing, so one crossing is one alert."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from services.wallet.service.commands.notices import BalanceAlert
from services.wallet.service.ports.notices import NoticeTaken, NoticeWork

LOW_BALANCE = "low_balance"
ZERO_BALANCE = "zero_balance"
BALANCE_RECOVERED = "balance_recovered"
RECHARGE_SUCCEEDED = "recharge_succeeded"
RECHARGE_HELD = "recharge_held"
# An auto-recharge that stopped: declined too often, refused for good, or never answered.
RECHARGE_FAILED = "recharge_failed"
EVENT_IDS = uuid.UUID("5b0c6a4e-8d1f-4f0a-9a57-1d3c2b7e6f10")


def balance_alert(
    kind: str,
    account_id: str,
    channel_id: str,
    currency: str,
    available_micros: int,
    crossing_ms: int,
    *,
    recovered_from: str = "",
    recharge_micros: int = 0,
    problem: str = "",
) -> BalanceAlert:
    name = f"{kind}:{recovered_from}" if recovered_from else kind
    return BalanceAlert(
        event_id=event_id(name, account_id, channel_id, currency, crossing_ms),
        kind=kind,
        account_id=account_id,
        channel_id=channel_id,
        currency=currency,
        available_micros=available_micros,
        crossing_ms=crossing_ms,
        recovered_from=recovered_from,
        recharge_micros=recharge_micros,
        problem=problem[:200],
    )


def recharge_alert(
    kind: str,
    account_id: str,
    channel_id: str,
    currency: str,
    crossing_ms: int,
    recharge_micros: int,
    problem: str = "",
) -> BalanceAlert:
    """A recharge moved (succeeded, held, failed): told with no balance (0 available)."""
    return balance_alert(
        kind,
        account_id,
        channel_id,
        currency,
        0,
        crossing_ms,
        recharge_micros=recharge_micros,
        problem=problem,
    )


def event_id(kind: str, account_id: str, channel_id: str, currency: str, crossing_ms: int) -> str:
    """The same crossing always names the same event: a repeated publish is dropped."""
    name = f"{kind}:{account_id}:{channel_id}:{currency}:{crossing_ms}"
    return uuid.uuid5(EVENT_IDS, name).hex


class BalanceAlerts:
    def __init__(self, work: Callable[[], NoticeWork]) -> None:
        self._work = work

    def publish(self, alert: BalanceAlert) -> bool:
        """Put the alert in the outbox once per crossing; False when it was there already."""
        try:
            with self._work() as work:
                added = work.alerts.add(alert)
                work.commit()
        except NoticeTaken:
            return False  # written concurrently by another process
        return added

    def publish_recovered(
        self,
        ended: str,
        account_id: str,
        channel_id: str,
        currency: str,
        available_micros: int,
        crossing_ms: int,
    ) -> bool:
        """The balance went back above the threshold of the alert `ended` (one per crossing)."""
        return self.publish(
            balance_alert(
                BALANCE_RECOVERED,
                account_id,
                channel_id,
                currency,
                available_micros,
                crossing_ms,
                recovered_from=ended,
            )
        )
