"""gRPC handlers of the wallet: balances, top-ups, the ledger, credits and auto-recharge."""

from __future__ import annotations

from typing import Any

import grpc
from billing.wallet.v1 import funds_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb
from google.protobuf import json_format
from google.protobuf.message import Message

from services.common import validation
from services.common.errors import AlreadyExists, InvalidArgument, PermissionDenied
from services.common.service_auth import current_identity
from services.wallet.adapters.credit_messages import granted_response, redeemed_response
from services.wallet.adapters.recharge_work import rule_message
from services.wallet.entrypoints import credit_requests, money_requests, recharge_requests
from services.wallet.entrypoints.handlers import Handlers


class MoneyHandlers(Handlers):
    def GetBalance(
        self, request: pb.GetBalanceRequest, context: grpc.ServicerContext
    ) -> pb.GetBalanceResponse:
        response = money_requests.balance_response(
            self._funds.holdings(request.account_id, request.channel_id)
        )
        for channel_id, days in self._days.balances(request.account_id):
            if request.channel_id and channel_id not in ("", request.channel_id):
                continue
            response.balances.add(kind=funds_pb2.ASSET_KIND_DAYS, channel_id=channel_id, days=days)
        return response

    def TopUp(self, request: pb.TopUpRequest, context: grpc.ServicerContext) -> pb.TopUpResponse:
        """Money in: a payment invoicing collected, or an operator's credit of a bank transfer
        received (its reference and a reason required)."""
        identity = current_identity()
        source = "manual"
        if identity is not None and not identity.as_service:
            # The rules let only an operator's principal this far.
            validation.text(
                request.transfer_reference, "transfer_reference", required=True, max_length=200
            )
            given = {
                "payment_reference": bool(request.payment_reference),
                "source": bool(request.source),
                "fee": request.HasField("fee"),
            }
            for field in (name for name, set_ in given.items() if set_):
                raise InvalidArgument(
                    field, "is set by invoicing for a payment: an operator names a transfer"
                )
            source = "bank_transfer"
            credited = self._funds.transfer_credited(request.account_id, request.transfer_reference)
            if credited is not None and credited.idempotency_key != request.idempotency_key:
                raise AlreadyExists(
                    f"transfer {request.transfer_reference[:40]!r} was credited already, "
                    f"by top-up {credited.top_up_id}",
                    "transfer_reference",
                )
        elif request.transfer_reference:
            raise PermissionDenied("only an operator credits a bank transfer")

        def balance() -> pb.GetBalanceResponse:
            return money_requests.balance_response(
                self._funds.holdings(request.account_id, request.channel_id)
            )

        def top_up() -> pb.TopUpResponse:
            record = self._funds.top_up(money_requests.top_up(request, source))
            return pb.TopUpResponse(top_up=money_requests.top_up_message(record))

        return self._audit.around(
            "TopUp",
            request,
            top_up,
            before=balance,
            after=lambda answer: {
                "top_up": _dict(answer.top_up),
                "reference": request.transfer_reference or request.payment_reference,
                "balances": _dict(balance()).get("balances", []),
            },
            target=lambda answer: answer.top_up.top_up_id,
        )

    def QuoteTopUp(
        self, request: pb.QuoteTopUpRequest, context: grpc.ServicerContext
    ) -> pb.QuoteTopUpResponse:
        return money_requests.quote_response(self._funds.quote(money_requests.quote(request)))

    def ReverseTopUp(
        self, request: pb.ReverseTopUpRequest, context: grpc.ServicerContext
    ) -> pb.ReverseTopUpResponse:
        return self._audit.around(
            "ReverseTopUp",
            request,
            lambda: pb.ReverseTopUpResponse(
                reversal=money_requests.reversal_message(
                    self._funds.reverse(money_requests.reverse(request))
                )
            ),
            target=lambda _answer: request.top_up_idempotency_key,
        )

    def ListTopUps(
        self, request: pb.ListTopUpsRequest, context: grpc.ServicerContext
    ) -> pb.ListTopUpsResponse:
        return money_requests.top_ups_response(
            self._funds.list_top_ups(money_requests.page(request))
        )

    def ListLedgerEntries(
        self, request: pb.ListLedgerEntriesRequest, context: grpc.ServicerContext
    ) -> pb.ListLedgerEntriesResponse:
        return money_requests.entries_response(
            self._funds.list_entries(money_requests.page(request))
        )

    def GrantCredit(
        self, request: pb.GrantCreditRequest, context: grpc.ServicerContext
    ) -> pb.GrantCreditResponse:
        return self._audit.around(
            "GrantCredit",
            request,
            lambda: granted_response(self._credits.grant(credit_requests.grant(request))),
            target=lambda answer: answer.credit.credit_id,
        )

    def ListCredits(
        self, request: pb.ListCreditsRequest, context: grpc.ServicerContext
    ) -> pb.ListCreditsResponse:
        return credit_requests.listing_response(self._credits.list(credit_requests.page(request)))

    def RedeemCredits(
        self, request: pb.RedeemCreditsRequest, context: grpc.ServicerContext
    ) -> pb.RedeemCreditsResponse:
        return self._audit.around(
            "RedeemCredits",
            request,
            lambda: redeemed_response(self._credits.redeem(credit_requests.redeem(request))),
            target=lambda _answer: request.invoice_id,
        )

    def SetAutoRecharge(
        self, request: pb.SetAutoRechargeRequest, context: grpc.ServicerContext
    ) -> pb.SetAutoRechargeResponse:
        channel_id = request.auto_recharge.channel_id
        return self._audit.around(
            "SetAutoRecharge",
            request,
            lambda: pb.SetAutoRechargeResponse(
                auto_recharge=rule_message(self._recharges.set(recharge_requests.set_rule(request)))
            ),
            before=lambda: pb.GetAutoRechargeResponse(
                auto_recharge=rule_message(self._recharges.get(request.account_id, channel_id))
            ),
        )

    def ListRecharges(
        self, request: pb.ListRechargesRequest, context: grpc.ServicerContext
    ) -> pb.ListRechargesResponse:
        return recharge_requests.recharges_response(
            self._recharges.list(recharge_requests.page(request))
        )

    def GetAutoRecharge(
        self, request: pb.GetAutoRechargeRequest, context: grpc.ServicerContext
    ) -> pb.GetAutoRechargeResponse:
        rule = self._recharges.get(request.account_id, request.channel_id)
        return pb.GetAutoRechargeResponse(auto_recharge=rule_message(rule))

    def ListAutoRecharges(
        self, request: pb.ListAutoRechargesRequest, context: grpc.ServicerContext
    ) -> pb.ListAutoRechargesResponse:
        rules = self._recharges.list_rules(request.account_id)
        return pb.ListAutoRechargesResponse(auto_recharges=[rule_message(r) for r in rules])


def _dict(message: Message) -> dict[str, Any]:
    converted: dict[str, Any] = json_format.MessageToDict(message, preserving_proto_field_name=True)
    return converted
