"""Account requests as plain commands, and the use cases' answers as responses."""

from __future__ import annotations

from billing.wallet.v1 import account_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb

from services.common import idempotency
from services.wallet.adapters.profile_messages import MODES, profile_message, profile_of
from services.wallet.service.commands import accounts as commands
from services.wallet.service.commands.profiles import Profile


def list_accounts(request: pb.ListAccountsRequest) -> commands.ListAccounts:
    return commands.ListAccounts(request.page_size, request.query, request.page_token)


def account_page(answer: commands.AccountPage) -> pb.ListAccountsResponse:
    return pb.ListAccountsResponse(
        accounts=[
            account_pb2.AccountProfile.FromString(entry.profile) for entry in answer.accounts
        ],
        next_page_token=answer.next_page_token,
    )


def create_account(request: pb.CreateAccountRequest) -> commands.CreateAccount:
    return commands.CreateAccount(
        profile=profile_of(request.profile),
        idempotency_key=request.idempotency_key,
        request_sha256=idempotency.fingerprint(request),
    )


def update_account(request: pb.UpdateAccountRequest) -> commands.UpdateAccount:
    return commands.UpdateAccount(
        account_id=request.account_id,
        profile=profile_of(request.profile),
        update_mask=request.update_mask,
        funding_effective_date=request.funding_effective_date,
        idempotency_key=request.idempotency_key,
        request_sha256=idempotency.fingerprint(request),
    )


def created_response(profile: Profile) -> pb.CreateAccountResponse:
    return pb.CreateAccountResponse(account=profile_message(profile))


def account_response(profile: Profile) -> pb.GetAccountResponse:
    return pb.GetAccountResponse(account=profile_message(profile))


def updated_response(profile: Profile) -> pb.UpdateAccountResponse:
    return pb.UpdateAccountResponse(account=profile_message(profile))


def funding_periods(request: pb.GetFundingPeriodsRequest) -> commands.FundingPeriodsQuery:
    return commands.FundingPeriodsQuery(request.account_id, request.from_date, request.to_date)


def funding_periods_response(answer: commands.FundingPeriods) -> pb.GetFundingPeriodsResponse:
    return pb.GetFundingPeriodsResponse(
        periods=[_period(period) for period in answer.covering],
        scheduled=[_period(period) for period in answer.scheduled],
    )


def _period(period: commands.FundingPeriod) -> pb.FundingPeriod:
    return pb.FundingPeriod(
        funding_mode=MODES[period.mode],
        from_date=period.start.isoformat(),
        to_date=period.end.isoformat(),
        limit_micros=period.limit_micros,
    )
