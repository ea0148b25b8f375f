"""Credit grants, redemptions and listings: requests into plain commands, results back."""

from __future__ import annotations

from billing.wallet.v1 import wallet_service_pb2 as pb

from services.common import idempotency
from services.wallet.adapters.credit_messages import credit_message, redemption_message
from services.wallet.entrypoints.money_requests import money
from services.wallet.service.commands.credits import CreditListing, GrantCredit, RedeemCredits
from services.wallet.service.commands.money import ListPage


def grant(request: pb.GrantCreditRequest) -> GrantCredit:
    return GrantCredit(
        account_id=request.account_id,
        amount=money(request.amount),
        expire_ms=request.expire_time.ToMilliseconds() if request.HasField("expire_time") else None,
        priority=request.priority,
        applies_to=tuple(request.applies_to),
        reason=request.reason,
        idempotency_key=request.idempotency_key,
        request_sha256=idempotency.fingerprint(request),
    )


def redeem(request: pb.RedeemCreditsRequest) -> RedeemCredits:
    return RedeemCredits(
        account_id=request.account_id,
        invoice_id=request.invoice_id,
        applies_to=request.applies_to,
        max_amount=money(request.max_amount),
        idempotency_key=request.idempotency_key,
        request_sha256=idempotency.fingerprint(request),
    )


def page(request: pb.ListCreditsRequest) -> ListPage:
    return ListPage(request.account_id, request.page_size, request.page_token)


def listing_response(listing: CreditListing) -> pb.ListCreditsResponse:
    return pb.ListCreditsResponse(
        credits=[credit_message(credit) for credit in listing.credits],
        redemptions=[redemption_message(item) for item in listing.redemptions],
        next_page_token=listing.next_page_token,
    )
