"""What a recharge asks of invoicing and when it may: an attempt's request (its row and its
event, in the caller's unit of work), and the cool-off and monthly cap that hold one back."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from services.wallet.domain import recharges as life
from services.wallet.domain.accounts import AccountView
from services.wallet.service.commands.recharges import Attempt, Recharge, RechargeRequest, Rule
from services.wallet.service.ports.recharges import RechargeWork


def request_charge(work: RechargeWork, recharge: Recharge, attempt: int, now_ms: int) -> None:
    """Ask invoicing to charge this attempt: the attempt's row and its event, in the caller's
    transaction (the event leaves through the outbox once it commits)."""
    key = life.attempt_key(recharge.recharge_id, attempt)
    if not work.attempts.known(key):
        work.attempts.add(
            Attempt(
                idempotency_key=key,
                recharge_id=recharge.recharge_id,
                account_id=recharge.account_id,
                attempt=attempt,
                state=life.ATTEMPT_REQUESTED,
                problem="",
                payment_reference="",
                top_up_id=None,
                requested_ms=now_ms,
                updated_ms=now_ms,
            )
        )
    work.requests.publish(RechargeRequest(uuid.uuid4().hex, recharge, attempt, key, now_ms))


def requested_ms(work: RechargeWork, recharge: Recharge, attempt: int) -> int:
    """When this attempt was first asked for (the recharge's creation for older rows)."""
    found = work.attempts.requested_ms(life.attempt_key(recharge.recharge_id, attempt))
    return found if found is not None else int(recharge.created_ms)


def allowed_from_ms(
    work: RechargeWork,
    view: AccountView,
    rule: Rule,
    now_ms: int,
    this: str | None = None,
) -> int:
    """When the cool-off and the monthly cap next allow a recharge (now_ms when they do);
    `this`: a held recharge, which does not count against itself."""
    balance = (rule.account_id, rule.channel_id, rule.currency)
    last_ms = work.recharges.last_counted_ms(*balance, this)
    allowed_ms = now_ms
    if last_ms is not None:
        allowed_ms = max(allowed_ms, last_ms + rule.cool_off_s * 1000)
    month_start = _month_start_ms(view.time_zone, now_ms)
    this_month = work.recharges.counted_since(*balance, month_start, this)
    if this_month >= rule.max_per_month:
        allowed_ms = max(allowed_ms, _next_month_start_ms(view.time_zone, now_ms))
    return allowed_ms


def _next_month_start_ms(time_zone: str, now_ms: int) -> int:
    zone = ZoneInfo(time_zone)
    now = dt.datetime.fromtimestamp(now_ms / 1000, zone)
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return int(dt.datetime(year, month, 1, tzinfo=zone).timestamp() * 1000)


def _month_start_ms(time_zone: str, now_ms: int) -> int:
    """The first instant of the calendar month, in the account's time zone."""
    zone = ZoneInfo(time_zone)
    now = dt.datetime.fromtimestamp(now_ms / 1000, zone)
    start = dt.datetime(now.year, now.month, 1, tzinfo=zone)
    return int(start.timestamp() * 1000)
