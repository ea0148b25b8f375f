"""Account requests as plain commands, and the use cases' answers as responses."""

from __future__ import annotations

from billing.wallet.v1 import account_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb

from services.wallet.service.commands import accounts as commands


def list_accounts(request: pb.ListAccountsRequest) -> commands.ListAccounts:
    return commands.ListAccounts(request.page_size, request.query, request.page_token)


def account_page(answer: commands.AccountPage) -> pb.ListAccountsResponse:
    return pb.ListAccountsResponse(
        accounts=[
            account_pb2.AccountProfile.FromString(entry.profile) for entry in answer.accounts
        ],
        next_page_token=answer.next_page_token,
    )
