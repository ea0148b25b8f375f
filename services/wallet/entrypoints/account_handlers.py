"""gRPC handlers of the wallet: accounts, their funding periods, prices and the audit log."""

from __future__ import annotations

import grpc
from billing.wallet.v1 import wallet_service_pb2 as pb

from services.wallet.entrypoints import account_requests, prices
from services.wallet.entrypoints.handlers import Handlers


class AccountHandlers(Handlers):
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
