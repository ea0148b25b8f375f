"""gRPC entrypoint of the wallet: translate requests, hand them to the use cases."""

from __future__ import annotations

import collections
import functools
import time

import grpc
from billing.wallet.v1 import authorise_pb2, funds_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb
from billing.wallet.v1 import wallet_service_pb2_grpc as pb_grpc

from services.common import metrics
from services.wallet.entrypoints.timings import DecisionTimings
from services.wallet.service.accounts import Accounts
from services.wallet.service.authorise import Authoriser
from services.wallet.service.auto_recharge import AutoRecharges
from services.wallet.service.credits import Credits
from services.wallet.service.days import Days
from services.wallet.service.funds import Funds
from services.wallet.service.price_list import PriceList
from services.wallet.service.reservations import Reservations
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
        self._authorisations = metrics.instruments().authorisations

    def CreateAccount(
        self, request: pb.CreateAccountRequest, context: grpc.ServicerContext
    ) -> pb.CreateAccountResponse:
        return self._accounts.create(request)

    def GetAccount(
        self, request: pb.GetAccountRequest, context: grpc.ServicerContext
    ) -> pb.GetAccountResponse:
        return self._accounts.get(request)

    def UpdateAccount(
        self, request: pb.UpdateAccountRequest, context: grpc.ServicerContext
    ) -> pb.UpdateAccountResponse:
        return self._accounts.update(request)

    def GetFundingPeriods(
        self, request: pb.GetFundingPeriodsRequest, context: grpc.ServicerContext
    ) -> pb.GetFundingPeriodsResponse:
        return self._accounts.funding_periods(request)

    def AuthoriseSend(
        self, request: authorise_pb2.AuthoriseSendRequest, context: grpc.ServicerContext
    ) -> authorise_pb2.AuthoriseSendResponse:
        if self._timings is None:
            answer = self._authoriser.authorise(request)
        else:
            started = time.perf_counter_ns()
            try:
                answer = self._authoriser.authorise(request)
            finally:
                self._timings.record("AuthoriseSend", time.perf_counter_ns() - started)
        self._authorisations.add(1, _decision_attributes(answer.decision, answer.deny_reason))
        return answer

    def AuthoriseBatch(
        self, request: authorise_pb2.AuthoriseBatchRequest, context: grpc.ServicerContext
    ) -> authorise_pb2.AuthoriseBatchResponse:
        if self._timings is None:
            answer = self._authoriser.authorise_batch(request)
        else:
            started = time.perf_counter_ns()
            try:
                answer = self._authoriser.authorise_batch(request)
            finally:
                self._timings.record("AuthoriseBatch", time.perf_counter_ns() - started)
        counted = collections.Counter((d.decision, d.deny_reason) for d in answer.decisions)
        for (decision, reason), count in counted.items():
            self._authorisations.add(count, _decision_attributes(decision, reason))
        return answer

    def CommitReservation(
        self, request: authorise_pb2.CommitReservationRequest, context: grpc.ServicerContext
    ) -> authorise_pb2.CommitReservationResponse:
        return self._reservations.commit(request)

    def ReleaseReservation(
        self, request: authorise_pb2.ReleaseReservationRequest, context: grpc.ServicerContext
    ) -> authorise_pb2.ReleaseReservationResponse:
        return self._reservations.release(request)

    def GetBalance(
        self, request: pb.GetBalanceRequest, context: grpc.ServicerContext
    ) -> pb.GetBalanceResponse:
        response = self._funds.balance(request)
        if self._days is not None:
            for channel_id, days in self._days.balances(request.account_id):
                if request.channel_id and channel_id not in ("", request.channel_id):
                    continue
                response.balances.add(
                    kind=funds_pb2.ASSET_KIND_DAYS, channel_id=channel_id, days=days
                )
        return response

    def TopUp(self, request: pb.TopUpRequest, context: grpc.ServicerContext) -> pb.TopUpResponse:
        return self._funds.top_up(request)

    def QuoteTopUp(
        self, request: pb.QuoteTopUpRequest, context: grpc.ServicerContext
    ) -> pb.QuoteTopUpResponse:
        return self._funds.quote(request)

    def ReverseTopUp(
        self, request: pb.ReverseTopUpRequest, context: grpc.ServicerContext
    ) -> pb.ReverseTopUpResponse:
        return self._funds.reverse(request)

    def ListTopUps(
        self, request: pb.ListTopUpsRequest, context: grpc.ServicerContext
    ) -> pb.ListTopUpsResponse:
        return self._funds.list_top_ups(request)

    def ListLedgerEntries(
        self, request: pb.ListLedgerEntriesRequest, context: grpc.ServicerContext
    ) -> pb.ListLedgerEntriesResponse:
        return self._funds.list_entries(request)

    def OpenWindow(
        self, request: pb.OpenWindowRequest, context: grpc.ServicerContext
    ) -> pb.OpenWindowResponse:
        return self._windows.open(request)

    def GrantCredit(
        self, request: pb.GrantCreditRequest, context: grpc.ServicerContext
    ) -> pb.GrantCreditResponse:
        return self._credits.grant(request)

    def ListCredits(
        self, request: pb.ListCreditsRequest, context: grpc.ServicerContext
    ) -> pb.ListCreditsResponse:
        return self._credits.list(request)

    def RedeemCredits(
        self, request: pb.RedeemCreditsRequest, context: grpc.ServicerContext
    ) -> pb.RedeemCreditsResponse:
        return self._credits.redeem(request)

    def AddDays(
        self, request: pb.AddDaysRequest, context: grpc.ServicerContext
    ) -> pb.AddDaysResponse:
        return self._days.add(request)

    def TakeBackDays(
        self, request: pb.TakeBackDaysRequest, context: grpc.ServicerContext
    ) -> pb.TakeBackDaysResponse:
        return self._days.take_back(request)

    def RegisterChannel(
        self, request: pb.RegisterChannelRequest, context: grpc.ServicerContext
    ) -> pb.RegisterChannelResponse:
        return self._days.register(request)

    def ListChannels(
        self, request: pb.ListChannelsRequest, context: grpc.ServicerContext
    ) -> pb.ListChannelsResponse:
        return self._days.list(request)

    def AllocateDays(
        self, request: pb.AllocateDaysRequest, context: grpc.ServicerContext
    ) -> pb.AllocateDaysResponse:
        return self._days.allocate(request)

    def DeleteChannel(
        self, request: pb.DeleteChannelRequest, context: grpc.ServicerContext
    ) -> pb.DeleteChannelResponse:
        return self._days.delete(request)

    def CountChannelDays(
        self, request: pb.CountChannelDaysRequest, context: grpc.ServicerContext
    ) -> pb.CountChannelDaysResponse:
        return self._days.count_channel_days(request)

    def SetAutoRecharge(
        self, request: pb.SetAutoRechargeRequest, context: grpc.ServicerContext
    ) -> pb.SetAutoRechargeResponse:
        return self._recharges.set(request)

    def ListRecharges(
        self, request: pb.ListRechargesRequest, context: grpc.ServicerContext
    ) -> pb.ListRechargesResponse:
        return self._recharges.list(request)

    def GetAutoRecharge(
        self, request: pb.GetAutoRechargeRequest, context: grpc.ServicerContext
    ) -> pb.GetAutoRechargeResponse:
        return self._recharges.get(request)

    def GetPriceList(
        self, request: pb.GetPriceListRequest, context: grpc.ServicerContext
    ) -> pb.GetPriceListResponse:
        return self._price_list.prices(request)

    def QuotePrice(
        self, request: pb.QuotePriceRequest, context: grpc.ServicerContext
    ) -> pb.QuotePriceResponse:
        return self._price_list.quote(request)


@functools.cache
def _decision_attributes(decision: int, reason: int) -> dict[str, str]:
    """The authorisations counter's attributes, made once per (decision, reason)."""
    return {
        "decision": authorise_pb2.Decision.Name(decision).removeprefix("DECISION_"),  # type: ignore[arg-type]
        "reason": authorise_pb2.DenyReason.Name(reason).removeprefix("DENY_REASON_"),  # type: ignore[arg-type]
    }
