"""gRPC handlers of invoicing: plans, subscriptions and the funding mode."""

from __future__ import annotations

import grpc
from billing.invoicing.v1 import invoicing_service_pb2 as pb

from services.common import validation
from services.invoicing.adapters import billing_messages as messages
from services.invoicing.entrypoints import billing_requests, invoice_requests, payment_requests
from services.invoicing.entrypoints.use_cases import Handlers


class BillingHandlers(Handlers):
    def CreatePlan(
        self, request: pb.CreatePlanRequest, context: grpc.ServicerContext
    ) -> pb.CreatePlanResponse:
        return self._audit.around(
            "CreatePlan",
            request,
            lambda: pb.CreatePlanResponse(
                plan=messages.plan(self._use.plans.create(billing_requests.create_plan(request)))
            ),
            target=lambda answer: answer.plan.plan_id,
        )

    def ListPlans(
        self, request: pb.ListPlansRequest, context: grpc.ServicerContext
    ) -> pb.ListPlansResponse:
        page = billing_requests.page(request.page_size, request.page_token)
        plans = self._use.plans.list(page)
        return pb.ListPlansResponse(
            plans=[messages.plan(plan) for plan in plans],
            next_page_token=validation.next_page_token(page.offset, page.limit, len(plans)),
        )

    def GetPlan(
        self, request: pb.GetPlanRequest, context: grpc.ServicerContext
    ) -> pb.GetPlanResponse:
        validation.require_id(request.plan_id, "plan_id")
        return pb.GetPlanResponse(plan=messages.plan(self._use.plans.get(request.plan_id)))

    def ChangeFundingMode(
        self, request: pb.ChangeFundingModeRequest, context: grpc.ServicerContext
    ) -> pb.ChangeFundingModeResponse:
        return self._audit.around(
            "ChangeFundingMode",
            request,
            lambda: pb.ChangeFundingModeResponse(
                effective_date=self._use.funding.change(
                    payment_requests.change_funding(request)
                ).isoformat()
            ),
        )

    def CreateSubscription(
        self, request: pb.CreateSubscriptionRequest, context: grpc.ServicerContext
    ) -> pb.CreateSubscriptionResponse:
        return self._audit.around(
            "CreateSubscription",
            request,
            lambda: pb.CreateSubscriptionResponse(
                subscription=messages.subscription(
                    self._use.subscriptions.create(billing_requests.create_subscription(request))
                )
            ),
            target=lambda answer: answer.subscription.subscription_id,
        )

    def GetSubscription(
        self, request: pb.GetSubscriptionRequest, context: grpc.ServicerContext
    ) -> pb.GetSubscriptionResponse:
        account_id = validation.require_id(request.account_id, "account_id")
        subscription_id = validation.require_id(request.subscription_id, "subscription_id")
        shown = self._use.subscriptions.get(account_id, subscription_id)
        return pb.GetSubscriptionResponse(subscription=messages.subscription(shown))

    def ListSubscriptions(
        self, request: pb.ListSubscriptionsRequest, context: grpc.ServicerContext
    ) -> pb.ListSubscriptionsResponse:
        account_id = validation.require_id(request.account_id, "account_id")
        page = billing_requests.page(request.page_size, request.page_token)
        shown = self._use.subscriptions.list(account_id, page)
        return pb.ListSubscriptionsResponse(
            subscriptions=[messages.subscription(subscription) for subscription in shown],
            next_page_token=validation.next_page_token(page.offset, page.limit, len(shown)),
        )

    def CancelSubscription(
        self, request: pb.CancelSubscriptionRequest, context: grpc.ServicerContext
    ) -> pb.CancelSubscriptionResponse:
        return self._audit.around(
            "CancelSubscription",
            request,
            lambda: pb.CancelSubscriptionResponse(
                subscription=messages.subscription(
                    self._use.subscriptions.cancel(billing_requests.cancel_subscription(request))
                )
            ),
            before=lambda: self.GetSubscription(
                pb.GetSubscriptionRequest(
                    account_id=request.account_id, subscription_id=request.subscription_id
                ),
                context,
            ),
            target=lambda _answer: request.subscription_id,
        )

    def RunBillingCycle(
        self, request: pb.RunBillingCycleRequest, context: grpc.ServicerContext
    ) -> pb.RunBillingCycleResponse:
        return self._audit.around(
            "RunBillingCycle",
            request,
            lambda: invoice_requests.cycle_response(
                self._use.billing.run(invoice_requests.run_billing_cycle(request))
            ),
            after=lambda answer: {
                "as_of_date": request.as_of_date,
                "issued_count": answer.issued_count,
                "invoice_ids": [invoice.invoice_id for invoice in answer.invoices],
                "failures": len(answer.failures),
            },
        )
