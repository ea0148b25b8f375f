"""Cards on file as the contract's messages, and back (for answers kept by idempotency key,
stored as the responses their calls gave)."""

from __future__ import annotations

from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb

from services.invoicing.adapters.kept_answers import KeptAs
from services.invoicing.service.commands.payments import CardOnFile


def card_message(card: CardOnFile) -> invoice_pb2.PaymentMethod:
    return invoice_pb2.PaymentMethod(
        payment_method_id=card.payment_method_id,
        account_id=card.account_id,
        kind=invoice_pb2.PAYMENT_METHOD_KIND_CARD,
        brand=card.brand,
        last4=card.last4,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        is_default=card.is_default,
    )


def card_on_file(message: invoice_pb2.PaymentMethod) -> CardOnFile:
    return CardOnFile(
        payment_method_id=message.payment_method_id,
        account_id=message.account_id,
        brand=message.brand,
        last4=message.last4,
        exp_month=message.exp_month,
        exp_year=message.exp_year,
        is_default=message.is_default,
    )


def card_added(card: CardOnFile) -> pb.AddPaymentMethodResponse:
    return pb.AddPaymentMethodResponse(payment_method=card_message(card))


def card_removed(card: CardOnFile) -> pb.RemovePaymentMethodResponse:
    return pb.RemovePaymentMethodResponse(payment_method=card_message(card))


CARD_ADDED: KeptAs[CardOnFile, pb.AddPaymentMethodResponse] = KeptAs(
    card_added,
    pb.AddPaymentMethodResponse.FromString,
    lambda response: card_on_file(response.payment_method),
)
CARD_REMOVED: KeptAs[CardOnFile, pb.RemovePaymentMethodResponse] = KeptAs(
    card_removed,
    pb.RemovePaymentMethodResponse.FromString,
    lambda response: card_on_file(response.payment_method),
)
