"""Recharge payment adapters. Charging a card is the payment provider's (and invoicing's) job;
a wallet without a configured provider records each recharge as refused, never as paid."""

from __future__ import annotations

from services.wallet.service.ports import RechargeRefused


class NoRechargePayments:
    """The default: no provider configured, so an auto-recharge is refused with a reason."""

    def charge(
        self,
        account_id: str,
        channel_id: str,
        currency_code: str,
        amount_micros: int,
        idempotency_key: str,
    ) -> str:
        raise RechargeRefused("no payment provider is configured for auto-recharge", final=True)
