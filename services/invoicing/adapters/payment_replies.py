"""The cards' answers kept by idempotency key, stored as their protobuf responses (as they
always were)."""

from __future__ import annotations

from billing.invoicing.v1 import invoicing_service_pb2 as pb

from services.invoicing.entrypoints import payment_responses as responses
from services.invoicing.service.commands.payments import CardOnFile


def card_added_stored(card: CardOnFile) -> bytes:
    return responses.card_added(card).SerializeToString(deterministic=True)


def card_added_kept(stored: bytes) -> CardOnFile:
    return responses.card_on_file(pb.AddPaymentMethodResponse.FromString(stored).payment_method)


def card_removed_stored(card: CardOnFile) -> bytes:
    return responses.card_removed(card).SerializeToString(deterministic=True)


def card_removed_kept(stored: bytes) -> CardOnFile:
    return responses.card_on_file(pb.RemovePaymentMethodResponse.FromString(stored).payment_method)
