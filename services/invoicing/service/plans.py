"""Plans: the monthly fee, included active users, extra-user and notification prices."""

from __future__ import annotations

from services.common import replies
from services.common.errors import InvalidArgument, NotFound
from services.invoicing.service.commands.plans import CreatePlan, Page, Plan
from services.invoicing.service.ports.billing import BillingWorks

MAX_DISCOUNT_BASIS_POINTS = 10_000


class Plans:
    def __init__(self, works: BillingWorks) -> None:
        self._works = works

    def create(self, command: CreatePlan) -> Plan:
        plan = command.plan
        with self._works() as work:

            def insert() -> Plan:
                if work.plans.exists(plan.plan_id):
                    raise InvalidArgument("plan.plan_id", f"plan {plan.plan_id!r} already exists")
                work.plans.add(plan)
                return plan

            created = replies.once(
                work.plans_created,
                "CreatePlan",
                command.idempotency_key,
                command.request_sha256,
                insert,
            )
            work.commit()
        return created

    def get(self, plan_id: str) -> Plan:
        with self._works() as work:
            plan = work.plans.get(plan_id)
        if plan is None:
            raise NotFound(f"plan {plan_id!r} not found", "plan_id")
        return plan

    def list(self, page: Page) -> list[Plan]:
        with self._works() as work:
            return work.plans.page(page.limit, page.offset)
