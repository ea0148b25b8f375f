"""Prices for adding funds: a quote (amount and the wallet's fee, rounded once to the minor
unit the card is charged in) kept for QUOTE_TTL, and an estimate of what the next days will
cost at the last CONSUMPTION_DAYS days' paid consumption."""

from __future__ import annotations

import datetime as dt

from services.common.clock import Clock, moment
from services.common.errors import InvalidArgument
from services.invoicing.domain import money
from services.invoicing.service import card_charges, ids
from services.invoicing.service.commands.payments import (
    EstimatedCost,
    EstimateFunds,
    FundsEstimate,
    FundsQuote,
    QuoteFunds,
)
from services.invoicing.service.ports import UsageSource, Wallet
from services.invoicing.service.ports.payments import PaymentWorks

QUOTE_TTL = dt.timedelta(minutes=30)
# "Balance needed" is estimated from the paid consumption of this many days before today.
CONSUMPTION_DAYS = 30
MAX_ESTIMATE_DAYS = 366
MAX_AMOUNT_MICROS = 10**15


class FundQuotes:
    def __init__(
        self, work: PaymentWorks, wallet: Wallet, usage: UsageSource, clock: Clock
    ) -> None:
        self._work = work
        self._wallet = wallet
        self._usage = usage
        self._clock = clock

    def quote(self, command: QuoteFunds) -> FundsQuote:
        amount, currency = command.amount_micros, command.currency_code
        if amount > MAX_AMOUNT_MICROS:
            raise InvalidArgument("amount.amount_micros", f"at most {MAX_AMOUNT_MICROS}")
        card_charges.minor_units(amount, currency, "amount.amount_micros")
        wallet_quote = self._wallet.quote_top_up(
            command.account_id, command.channel_id, currency, amount
        )
        # The card is charged in whole minor units: the fee is rounded once, here, and shown.
        fee = money.round_to_minor_unit(wallet_quote.fee_micros, currency)
        now = moment(self._clock)
        quote = FundsQuote(
            quote_id=ids.new_id("quote"),
            account_id=command.account_id,
            channel_id=command.channel_id,
            display_phone_number=wallet_quote.display_phone_number,
            currency_code=currency,
            amount_micros=amount,
            fee_micros=fee,
            expire_at=now + QUOTE_TTL,
        )
        with self._work() as work:
            work.quotes.add(quote, created_at=now)
            work.commit()
        return quote

    def estimate(self, command: EstimateFunds) -> FundsEstimate:
        """What the next N days will cost at the last 30 days' paid consumption (whole days in
        the account's time zone, today not counted), with the fee."""
        account_id, channel_id, days = command.account_id, command.channel_id, command.days
        # Yesterday and the days before, as the account counts days (its time zone).
        today = self._wallet.account_terms(account_id).today(moment(self._clock))
        to_date = today - dt.timedelta(days=1)
        from_date = to_date - dt.timedelta(days=CONSUMPTION_DAYS - 1)
        used = self._usage.notification_usage(account_id, channel_id, from_date, to_date)
        if not used.charges_micros:
            return FundsEstimate(days, from_date, to_date, None)
        currency = used.currency_code
        unit = money.micros_per_minor_unit(currency)
        # Rounded up to a whole minor unit: the estimate is a payable amount that covers it.
        needed = -(-used.charges_micros * days // (CONSUMPTION_DAYS * unit)) * unit
        quote = self._wallet.quote_top_up(account_id, channel_id, currency, needed)
        fee = money.round_to_minor_unit(quote.fee_micros, currency)
        cost = EstimatedCost(currency, used.charges_micros, needed, fee)
        return FundsEstimate(days, from_date, to_date, cost)
