"""Invoicing settings from the environment, with safe defaults."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from services.common.config import Env
from services.invoicing.domain.issuers import IssuerDetails

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class InvoicingSettings:
    issuer: IssuerDetails
    payment_terms_days: int
    # Charge the default card as soon as a cycle's invoice is issued.
    auto_charge: bool

    @classmethod
    def from_env(cls, env: Env) -> InvoicingSettings:
        return cls(
            issuer=IssuerDetails(
                issuer_id=env.text("INVOICING_ISSUER_ID", "provider"),
                name=env.text("INVOICING_ISSUER_NAME", "WhatsApp Business Messaging Provider"),
                address=env.text("INVOICING_ISSUER_ADDRESS", ""),
                tax_id=env.text("INVOICING_ISSUER_TAX_ID", ""),
                email=env.text("INVOICING_ISSUER_EMAIL", ""),
                country=env.text("INVOICING_ISSUER_COUNTRY", ""),
            ),
            payment_terms_days=env.integer("INVOICING_PAYMENT_TERMS_DAYS", 14, maximum=365),
            auto_charge=env.flag("INVOICING_AUTO_CHARGE", True),
        )
