"""Billing's unit of work and the repositories behind it (adapters/billing_work.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from services.common.unit_of_work import Transaction
from services.invoicing.service.commands.plans import Plan

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


class BillingWork(Transaction, Protocol):
    replies: Replies
    plans: PlanRecords


BillingWorks = Callable[[], BillingWork]
