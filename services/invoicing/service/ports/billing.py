"""Billing's unit of work and the repositories behind it (adapters/billing_work.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Protocol, TypeVar

from services.common.unit_of_work import Transaction
from services.invoicing.service.commands.plans import Plan
from services.invoicing.service.commands.tax import Organization, TaxConfiguration

AnswerT = TypeVar("AnswerT")


class Replies(Protocol):
    """Answers kept by idempotency key, per scope, inside the unit of work."""

    def once(
        self, scope: str, key: str, request_sha256: str, action: Callable[[], AnswerT]
    ) -> AnswerT:
        """`action`'s answer, run once per (scope, key); a replay gets the first answer, the
        same key with another request is a Conflict."""
        ...


class PlanRecords(Protocol):
    def exists(self, plan_id: str) -> bool: ...

    def add(self, plan: Plan) -> None: ...

    def get(self, plan_id: str) -> Plan | None: ...

    def page(self, limit: int, offset: int) -> list[Plan]: ...


class TaxRecords(Protocol):
    def configuration(self, issuer_id: str) -> TaxConfiguration | None:
        """The issuer's rules; None when it configured none."""
        ...

    def save_configuration(
        self, issuer_id: str, configuration: TaxConfiguration, updated_at: dt.datetime
    ) -> None: ...


class OrganizationRecords(Protocol):
    def get(self, account_id: str) -> Organization | None: ...

    def save(self, organization: Organization, update_time: dt.datetime, *, new: bool) -> None:
        """Write the details the buyer edits (and the pending change); `new` inserts them."""
        ...

    def set_treatment(
        self,
        account_id: str,
        treatment: str,
        exempt_reason: str,
        update_time: dt.datetime,
        confirmed: Organization | None,
    ) -> None:
        """An operator's treatment; `confirmed` also takes its pending country and tax id."""
        ...


class BillingWork(Transaction, Protocol):
    replies: Replies
    plans: PlanRecords
    tax: TaxRecords
    organizations: OrganizationRecords


BillingWorks = Callable[[], BillingWork]
