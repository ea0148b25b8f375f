"""gRPC handlers of invoicing: cards on file, added funds and the payment provider's events."""

from __future__ import annotations

from typing import Any

import grpc
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from google.protobuf import json_format

from services.common import validation
from services.invoicing.adapters import card_messages
from services.invoicing.entrypoints import payment_requests
from services.invoicing.entrypoints import payment_responses as responses
from services.invoicing.entrypoints.use_cases import Handlers
from services.invoicing.service.commands.payments import ProviderDelivery


class PaymentHandlers(Handlers):
    def AddPaymentMethod(
        self, request: pb.AddPaymentMethodRequest, context: grpc.ServicerContext
    ) -> pb.AddPaymentMethodResponse:
        return self._audit.around(
            "AddPaymentMethod",
            request,
            lambda: card_messages.card_added(
                self._use.payment_methods.add(payment_requests.add_card(request))
            ),
            after=lambda answer: _without_token(answer.payment_method),
            target=lambda answer: answer.payment_method.payment_method_id,
        )

    def ListPaymentMethods(
        self, request: pb.ListPaymentMethodsRequest, context: grpc.ServicerContext
    ) -> pb.ListPaymentMethodsResponse:
        account_id = validation.require_id(request.account_id, "account_id")
        return responses.cards_listed(self._use.payment_methods.list(account_id))

    def SetDefaultPaymentMethod(
        self, request: pb.SetDefaultPaymentMethodRequest, context: grpc.ServicerContext
    ) -> pb.SetDefaultPaymentMethodResponse:
        return self._audit.around(
            "SetDefaultPaymentMethod",
            request,
            lambda: responses.default_set(
                self._use.payment_methods.set_default(payment_requests.set_default(request))
            ),
            after=lambda answer: _without_token(answer.payment_method),
            target=lambda _answer: request.payment_method_id,
        )

    def RemovePaymentMethod(
        self, request: pb.RemovePaymentMethodRequest, context: grpc.ServicerContext
    ) -> pb.RemovePaymentMethodResponse:
        return self._audit.around(
            "RemovePaymentMethod",
            request,
            lambda: card_messages.card_removed(
                self._use.payment_methods.remove(payment_requests.remove_card(request))
            ),
            before=lambda: _without_token(
                card_messages.card_message(
                    self._use.payment_methods.get(*payment_requests.card_of(request))
                )
            ),
            after=lambda _answer: {"removed": True},
            target=lambda _answer: request.payment_method_id,
        )

    def StartCardSetup(
        self, request: pb.StartCardSetupRequest, context: grpc.ServicerContext
    ) -> pb.StartCardSetupResponse:
        return self._audit.around(
            "StartCardSetup",
            request,
            lambda: responses.setup_started(
                self._use.payment_methods.start_setup(*payment_requests.card_setup(request))
            ),
            # The client secret finishes the setup in the browser: never in the log.
            after=lambda answer: {"setup_id": answer.setup_id},
        )

    def QuoteFunds(
        self, request: pb.QuoteFundsRequest, context: grpc.ServicerContext
    ) -> pb.QuoteFundsResponse:
        quote = self._use.fund_quotes.quote(payment_requests.quote_funds(request))
        return responses.funds_quoted(quote)

    def AddFunds(
        self, request: pb.AddFundsRequest, context: grpc.ServicerContext
    ) -> pb.AddFundsResponse:
        return self._audit.around(
            "AddFunds",
            request,
            lambda: pb.AddFundsResponse(
                funding=responses.funding_message(
                    self._use.fundings.add(payment_requests.add_funds(request))
                )
            ),
            after=lambda answer: _without_secrets(answer),
        )

    def GetFunding(
        self, request: pb.GetFundingRequest, context: grpc.ServicerContext
    ) -> pb.GetFundingResponse:
        funding = self._use.fundings.get(*payment_requests.funding_of(request))
        return pb.GetFundingResponse(funding=responses.funding_message(funding))

    def ListFundings(
        self, request: pb.ListFundingsRequest, context: grpc.ServicerContext
    ) -> pb.ListFundingsResponse:
        account_id, limit, offset = payment_requests.fundings_page(request)
        page = self._use.fundings.list(account_id, limit, offset)
        return responses.fundings_listed(page, offset, limit)

    def HandlePaymentEvent(
        self, request: pb.HandlePaymentEventRequest, context: grpc.ServicerContext
    ) -> pb.HandlePaymentEventResponse:
        # The provider's acts are recorded, per account, as the event is acted on.
        delivery = ProviderDelivery(request.provider, request.payload, request.signature)
        handled = self._use.payment_events.handle(delivery)
        return pb.HandlePaymentEventResponse(
            event_id=handled.event_id, kind=handled.kind, duplicate=handled.duplicate
        )

    def EstimateFundsNeeded(
        self, request: pb.EstimateFundsNeededRequest, context: grpc.ServicerContext
    ) -> pb.EstimateFundsNeededResponse:
        estimate = self._use.fund_quotes.estimate(payment_requests.estimate_funds(request))
        return responses.funds_estimated(estimate)


def _without_secrets(message: Any) -> dict[str, Any]:
    """A message for the audit log, every field named like a secret left out."""
    converted: dict[str, Any] = json_format.MessageToDict(message, preserving_proto_field_name=True)
    return _redacted(converted)


def _redacted(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: _redacted(item)
            for key, item in value.items()
            if "secret" not in key and "token" not in key
        }
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    return value


def _without_token(method: invoice_pb2.PaymentMethod) -> dict[str, Any]:
    """A payment method for the audit log: the provider's token stays out of it."""
    shown = invoice_pb2.PaymentMethod()
    shown.CopyFrom(method)
    shown.ClearField("provider_token")
    converted: dict[str, Any] = json_format.MessageToDict(shown, preserving_proto_field_name=True)
    return converted
