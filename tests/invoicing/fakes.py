"""In-memory stand-ins for metering and wallet behind invoicing's ports.

Used only until those services answer the calls end to end (see test_end_to_end.py); they
keep the same rules: distinct active users per date range, credits redeemed at most up to
the asked amount and once per idempotency key, days added once per key.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from dataclasses import dataclass, field

from services.common.errors import FailedPrecondition, NotFound, Unavailable
from services.invoicing.domain.lines import ChargeLine, NotificationUsage, merged
from services.invoicing.service.ports import AccountTerms, FundingPeriod, TopUpQuote


@dataclass
class FakeMetering:
    # (account, channel) -> [(date, contact)]
    contacts: dict[tuple[str, str], list[tuple[dt.date, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # (account, channel) -> [(date, billable notifications, charges micros, currency)]
    charges: dict[tuple[str, str], list[tuple[dt.date, int, int, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    down: bool = False
    calls: int = 0

    def add_contacts(self, account_id: str, day: dt.date, count: int, prefix: str = "c") -> None:
        for number in range(count):
            self.contacts[(account_id, "")].append((day, f"{prefix}{number}"))

    def add_notifications(
        self, account_id: str, day: dt.date, count: int, charges_micros: int, currency: str
    ) -> None:
        self.charges[(account_id, "")].append((day, count, charges_micros, currency))

    def count_active_users(
        self, account_id: str, channel_id: str, from_date: dt.date, to_date: dt.date
    ) -> int:
        self._answer()
        seen = {
            contact
            for day, contact in self.contacts[(account_id, channel_id)]
            if from_date <= day <= to_date
        }
        return len(seen)

    def charge_lines(
        self, account_id: str, channel_id: str, from_date: dt.date, to_date: dt.date
    ) -> list[ChargeLine]:
        """Each day's notifications as one marketing line at their average price (exact)."""
        self._answer()
        found = []
        for day, count, charges, _currency in self.charges[(account_id, channel_id)]:
            if from_date <= day <= to_date and count:
                if charges % count:
                    raise ValueError("a fake charge must be a whole price per message")
                found.append(ChargeLine("marketing", "India", charges // count, count))
        return merged([found])

    def notification_usage(
        self, account_id: str, channel_id: str, from_date: dt.date, to_date: dt.date
    ) -> NotificationUsage:
        self._answer()
        rows = [r for r in self.charges[(account_id, channel_id)] if from_date <= r[0] <= to_date]
        currency = rows[0][3] if rows else ""
        return NotificationUsage(sum(r[1] for r in rows), sum(r[2] for r in rows), currency)

    def _answer(self) -> None:
        self.calls += 1
        if self.down:
            raise Unavailable("metering: UNAVAILABLE: connection refused")


@dataclass
class FakeWallet:
    credits_micros: dict[str, int] = field(default_factory=dict)
    days: dict[str, int] = field(default_factory=dict)
    redemptions: dict[str, int] = field(default_factory=dict)
    days_added: dict[str, int] = field(default_factory=dict)
    # idempotency key -> (account, amount, fee); key -> (amount, fee) reversed
    top_ups: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    reversals: dict[str, tuple[int, int]] = field(default_factory=dict)
    fee_basis_points: int = 0
    # account -> IANA time zone (default UTC); accounts whose money is kept per number.
    time_zones: dict[str, str] = field(default_factory=dict)
    per_channel: set[str] = field(default_factory=set)
    # idempotency key -> days taken back; a pool refuses beyond what it holds
    days_taken_back: dict[str, int] = field(default_factory=dict)
    down: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Funding mode per account ("postpaid" when not set) and accounts the wallet lacks.
    modes: dict[str, str] = field(default_factory=dict)
    unknown: set[str] = field(default_factory=set)
    scheduled: dict[str, tuple[int, dt.date]] = field(default_factory=dict)
    # Accounts with auto-recharge switched on.
    auto_recharging: set[str] = field(default_factory=set)

    def auto_recharge_on(self, account_id: str) -> bool:
        if self.down:
            raise Unavailable("wallet: UNAVAILABLE: connection refused")
        return account_id in self.auto_recharging

    def account_terms(self, account_id: str) -> AccountTerms:
        if account_id in self.unknown:
            raise NotFound(f"wallet: NOT_FOUND: account {account_id!r} not found")
        return AccountTerms(
            "USD", self.time_zones.get(account_id, "UTC"), account_id in self.per_channel
        )

    def schedule_funding(
        self,
        account_id: str,
        funding_mode: int,
        credit_limit_micros: int,
        overdraft_limit_micros: int,
        effective: dt.date,
        idempotency_key: str,
    ) -> None:
        self.scheduled[account_id] = (funding_mode, effective)

    def funding_periods(
        self, account_id: str, from_date: dt.date, to_date: dt.date
    ) -> list[FundingPeriod]:
        return [FundingPeriod(self.modes.get(account_id, "postpaid"), from_date, to_date)]

    def redeem_credits(
        self,
        account_id: str,
        invoice_id: str,
        currency_code: str,
        max_amount_micros: int,
        idempotency_key: str,
    ) -> int:
        with self.lock:
            if self.down:
                raise Unavailable("wallet: UNAVAILABLE")
            if idempotency_key in self.redemptions:
                return self.redemptions[idempotency_key]
            available = self.credits_micros.get(account_id, 0)
            redeemed = min(available, max_amount_micros)
            self.credits_micros[account_id] = available - redeemed
            self.redemptions[idempotency_key] = redeemed
            return redeemed

    def add_days(self, account_id: str, days: int, reference: str, idempotency_key: str) -> None:
        with self.lock:
            if self.down:
                raise Unavailable("wallet: UNAVAILABLE")
            if idempotency_key in self.days_added:
                return
            self.days_added[idempotency_key] = days
            self.days[account_id] = self.days.get(account_id, 0) + days

    def quote_top_up(
        self, account_id: str, channel_id: str, currency_code: str, amount_micros: int
    ) -> TopUpQuote:
        return TopUpQuote(currency_code, amount_micros * self.fee_basis_points // 10_000)

    def top_up(
        self,
        account_id: str,
        channel_id: str,
        currency_code: str,
        amount_micros: int,
        fee_micros: int,
        payment_reference: str,
        idempotency_key: str,
        source: str,
    ) -> str:
        with self.lock:
            if self.down:
                raise Unavailable("wallet: UNAVAILABLE")
            self.top_ups.setdefault(idempotency_key, (account_id, amount_micros, fee_micros))
            return f"top-up-{len(self.top_ups)}"

    def reverse_top_up(
        self,
        account_id: str,
        top_up_idempotency_key: str,
        amount_micros: int,
        fee_micros: int,
        reason: str,
        idempotency_key: str,
    ) -> None:
        with self.lock:
            self.reversals.setdefault(idempotency_key, (amount_micros, fee_micros))

    def take_back_days(
        self, account_id: str, days: int, reference: str, idempotency_key: str
    ) -> None:
        with self.lock:
            if idempotency_key in self.days_taken_back:
                return
            pool = self.days.get(account_id, 0)
            if pool < days:
                raise FailedPrecondition(
                    f"only {pool} of the {days} days are left in the pool", "days"
                )
            self.days_taken_back[idempotency_key] = days
            self.days[account_id] = pool - days
