"""gRPC entrypoint of the wallet: translate requests, hand them to the use cases."""

from __future__ import annotations

import collections
import functools
import time
from typing import Any

import grpc
from billing.wallet.v1 import authorise_pb2, funds_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb
from billing.wallet.v1 import wallet_service_pb2_grpc as pb_grpc
from google.protobuf import json_format
from google.protobuf.message import Message

from services.common import metrics, validation
from services.common.audit import AuditLog
from services.common.errors import AlreadyExists, InvalidArgument, PermissionDenied
from services.common.service_auth import current_identity
from services.wallet.adapters.credit_messages import granted_response, redeemed_response
from services.wallet.adapters.recharge_work import rule_message
from services.wallet.entrypoints import (
    account_requests,
    credit_requests,
    day_requests,
    money_requests,
    prices,
    recharge_requests,
    send_requests,
)
from services.wallet.entrypoints.timings import DecisionTimings
from services.wallet.service.account_search import AccountSearch
from services.wallet.service.accounts import Accounts
from services.wallet.service.authorise import Authoriser
from services.wallet.service.auto_recharge import AutoRecharges
from services.wallet.service.credits import Credits
from services.wallet.service.days import Days
from services.wallet.service.funds import Funds
from services.wallet.service.price_list import PriceList
from services.wallet.service.reservations import Reservations
from services.wallet.service.send_notices import SendNotices
from services.wallet.service.windows import Windows


class WalletServicer(pb_grpc.WalletServiceServicer):
    def __init__(
        self,
        accounts: Accounts,
        authoriser: Authoriser,
        reservations: Reservations,
        funds: Funds,
        windows: Windows,
        timings: DecisionTimings | None = None,
        *,
        credits: Credits,
        days: Days,
        recharges: AutoRecharges,
        price_list: PriceList,
        audit: AuditLog,
        search: AccountSearch,
        notices: SendNotices | None = None,
    ) -> None:
        self._accounts = accounts
        self._authoriser = authoriser
        self._reservations = reservations
        self._funds = funds
        self._windows = windows
        self._timings = timings
        self._credits = credits
        self._days = days
        self._recharges = recharges
        self._price_list = price_list
        self._audit = audit
        self._search = search
        self._notices = notices  # told of refused campaigns and flagged sends
        self._authorisations = metrics.instruments().authorisations

    def CreateAccount(
        self, request: pb.CreateAccountRequest, context: grpc.ServicerContext
    ) -> pb.CreateAccountResponse:
        return self._audit.around(
            "CreateAccount",
            request,
            lambda: account_requests.created_response(
                self._accounts.create(account_requests.create_account(request))
            ),
            account_id=request.profile.account_id,
            target=lambda answer: answer.account.account_id,
        )

    def ListAccounts(
        self, request: pb.ListAccountsRequest, context: grpc.ServicerContext
    ) -> pb.ListAccountsResponse:
        found = self._search.list(account_requests.list_accounts(request))
        return account_requests.account_page(found)

    def GetAccount(
        self, request: pb.GetAccountRequest, context: grpc.ServicerContext
    ) -> pb.GetAccountResponse:
        return account_requests.account_response(self._accounts.get(request.account_id))

    def UpdateAccount(
        self, request: pb.UpdateAccountRequest, context: grpc.ServicerContext
    ) -> pb.UpdateAccountResponse:
        return self._audit.around(
            "UpdateAccount",
            request,
            lambda: account_requests.updated_response(
                self._accounts.update(account_requests.update_account(request))
            ),
            before=lambda: account_requests.account_response(
                self._accounts.get(request.account_id)
            ),
        )

    def GetFundingPeriods(
        self, request: pb.GetFundingPeriodsRequest, context: grpc.ServicerContext
    ) -> pb.GetFundingPeriodsResponse:
        answer = self._accounts.funding_periods(account_requests.funding_periods(request))
        return account_requests.funding_periods_response(answer)

    def AuthoriseSend(
        self, request: authorise_pb2.AuthoriseSendRequest, context: grpc.ServicerContext
    ) -> authorise_pb2.AuthoriseSendResponse:
        if self._timings is None:
            answer = self._authorise(request)
        else:
            started = time.perf_counter_ns()
            try:
                answer = self._authorise(request)
            finally:
                self._timings.record("AuthoriseSend", time.perf_counter_ns() - started)
        self._authorisations.add(1, _decision_attributes(answer.decision, answer.deny_reason))
        return answer

    def _authorise(
        self, request: authorise_pb2.AuthoriseSendRequest
    ) -> authorise_pb2.AuthoriseSendResponse:
        send = send_requests.send_command(request)
        decided = self._authoriser.authorise(send)
        answer = send_requests.send_response(decided)
        if self._notices is not None and answer.decision == authorise_pb2.DECISION_ALLOWED_FLAGGED:
            self._notices.after_send(send, decided)
        return answer

    def AuthoriseBatch(
        self, request: authorise_pb2.AuthoriseBatchRequest, context: grpc.ServicerContext
    ) -> authorise_pb2.AuthoriseBatchResponse:
        if self._timings is None:
            answer = self._authorise_batch(request)
        else:
            started = time.perf_counter_ns()
            try:
                answer = self._authorise_batch(request)
            finally:
                self._timings.record("AuthoriseBatch", time.perf_counter_ns() - started)
        counted = collections.Counter((d.decision, d.deny_reason) for d in answer.decisions)
        for (decision, reason), count in counted.items():
            self._authorisations.add(count, _decision_attributes(decision, reason))
        return answer

    def _authorise_batch(
        self, request: authorise_pb2.AuthoriseBatchRequest
    ) -> authorise_pb2.AuthoriseBatchResponse:
        batch = send_requests.batch_command(request)
        decided = self._authoriser.authorise_batch(batch)
        answer = send_requests.batch_response(batch, decided)
        if self._notices is not None and answer.denied_count:
            refused = self._notices.refused_batch(batch, decided)
            if refused:
                required = decided.paid_micros(refused)
                self._notices.after_batch(batch, request.batch_id, decided, refused, required)
        return answer

    def CommitReservation(
        self, request: authorise_pb2.CommitReservationRequest, context: grpc.ServicerContext
    ) -> authorise_pb2.CommitReservationResponse:
        settled = self._reservations.commit(send_requests.commit_command(request))
        return authorise_pb2.CommitReservationResponse(
            reservation=send_requests.reservation_message(settled)
        )

    def ReleaseReservation(
        self, request: authorise_pb2.ReleaseReservationRequest, context: grpc.ServicerContext
    ) -> authorise_pb2.ReleaseReservationResponse:
        settled = self._reservations.release(send_requests.release_command(request))
        return authorise_pb2.ReleaseReservationResponse(
            reservation=send_requests.reservation_message(settled)
        )

    def GetBalance(
        self, request: pb.GetBalanceRequest, context: grpc.ServicerContext
    ) -> pb.GetBalanceResponse:
        response = money_requests.balance_response(
            self._funds.holdings(request.account_id, request.channel_id)
        )
        if self._days is not None:
            for channel_id, days in self._days.balances(request.account_id):
                if request.channel_id and channel_id not in ("", request.channel_id):
                    continue
                response.balances.add(
                    kind=funds_pb2.ASSET_KIND_DAYS, channel_id=channel_id, days=days
                )
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

    def OpenWindow(
        self, request: pb.OpenWindowRequest, context: grpc.ServicerContext
    ) -> pb.OpenWindowResponse:
        in_force_ms = self._windows.open(prices.window_command(request))
        return prices.window_response(request, in_force_ms)

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

    def AddDays(
        self, request: pb.AddDaysRequest, context: grpc.ServicerContext
    ) -> pb.AddDaysResponse:
        return self._audit.around(
            "AddDays",
            request,
            lambda: day_requests.added(self._days.add(day_requests.add_days(request))),
            target=lambda _: request.reference,
        )

    def TakeBackDays(
        self, request: pb.TakeBackDaysRequest, context: grpc.ServicerContext
    ) -> pb.TakeBackDaysResponse:
        return self._audit.around(
            "TakeBackDays",
            request,
            lambda: day_requests.taken_back(
                self._days.take_back(day_requests.take_back_days(request))
            ),
            target=lambda _answer: request.reference,
        )

    def RegisterChannel(
        self, request: pb.RegisterChannelRequest, context: grpc.ServicerContext
    ) -> pb.RegisterChannelResponse:
        return self._audit.around(
            "RegisterChannel",
            request,
            lambda: day_requests.registered(
                self._days.register(day_requests.register_channel(request))
            ),
            target=lambda _answer: request.channel_id,
        )

    def ListChannels(
        self, request: pb.ListChannelsRequest, context: grpc.ServicerContext
    ) -> pb.ListChannelsResponse:
        return day_requests.channel_page(self._days.list(day_requests.list_channels(request)))

    def AllocateDays(
        self, request: pb.AllocateDaysRequest, context: grpc.ServicerContext
    ) -> pb.AllocateDaysResponse:
        return self._audit.around(
            "AllocateDays",
            request,
            lambda: day_requests.allocated(
                self._days.allocate(day_requests.allocate_days(request))
            ),
            target=lambda _answer: request.channel_id,
        )

    def DeleteChannel(
        self, request: pb.DeleteChannelRequest, context: grpc.ServicerContext
    ) -> pb.DeleteChannelResponse:
        return self._audit.around(
            "DeleteChannel",
            request,
            lambda: day_requests.deleted(self._days.delete(day_requests.delete_channel(request))),
            target=lambda _answer: request.channel_id,
        )

    def CountChannelDays(
        self, request: pb.CountChannelDaysRequest, context: grpc.ServicerContext
    ) -> pb.CountChannelDaysResponse:
        counted = self._days.count_channel_days(day_requests.count_channel_days(request))
        return day_requests.channel_day_count(counted)

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

    def GetPriceList(
        self, request: pb.GetPriceListRequest, context: grpc.ServicerContext
    ) -> pb.GetPriceListResponse:
        return prices.price_list_response(self._price_list.prices(prices.price_list_query(request)))

    def QuotePrice(
        self, request: pb.QuotePriceRequest, context: grpc.ServicerContext
    ) -> pb.QuotePriceResponse:
        return prices.quote_response(self._price_list.quote(prices.quote_query(request)))

    def ListAuditEntries(
        self, request: pb.ListAuditEntriesRequest, context: grpc.ServicerContext
    ) -> pb.ListAuditEntriesResponse:
        entries, token = self._audit.list_messages(
            request.account_id, request.page_size, request.page_token
        )
        return pb.ListAuditEntriesResponse(entries=entries, next_page_token=token)


@functools.cache
def _decision_attributes(decision: int, reason: int) -> dict[str, str]:
    """The authorisations counter's attributes, made once per (decision, reason)."""
    return {
        "decision": authorise_pb2.Decision.Name(decision).removeprefix("DECISION_"),  # type: ignore[arg-type]
        "reason": authorise_pb2.DenyReason.Name(reason).removeprefix("DENY_REASON_"),  # type: ignore[arg-type]
    }


def _dict(message: Message) -> dict[str, Any]:
    converted: dict[str, Any] = json_format.MessageToDict(message, preserving_proto_field_name=True)
    return converted
