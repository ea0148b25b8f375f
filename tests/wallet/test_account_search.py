"""Operators find accounts: by the start of an id or of a display name ignoring case, a page at
a time; customers may not search; recent money shown first on request."""

from __future__ import annotations

import uuid

import grpc
import pytest
from billing.wallet.v1 import account_pb2, funds_pb2, wallet_service_pb2_grpc
from billing.wallet.v1 import wallet_service_pb2 as pb

from services.common import service_auth
from tests.harness.credentials import channel, customer
from tests.wallet.conftest import DEADLINE_S, WalletUnderTest


def _search(wallet: WalletUnderTest, query: str, **paging: object) -> pb.ListAccountsResponse:
    return wallet.stub.ListAccounts(
        pb.ListAccountsRequest(query=query, **paging),  # type: ignore[arg-type]
        timeout=DEADLINE_S,
    )


def _ids(answer: pb.ListAccountsResponse) -> list[str]:
    return [account.account_id for account in answer.accounts]


def test_finds_by_id_prefix_and_by_name_ignoring_case(wallet: WalletUnderTest) -> None:
    run = uuid.uuid4().hex[:6]
    acme = wallet.create_account(f"{run}-acme", display_name="Acme Widgets")
    wallet.create_account(f"{run}-globex", display_name="Globex")
    other = wallet.create_account(f"x{run}-acme2", display_name="ACME Exports")
    percent = wallet.create_account(f"{run}-pct", display_name="100% Juice")

    assert _ids(_search(wallet, f"{run}-a")) == [acme]
    found = _ids(_search(wallet, "acme"))
    assert acme in found and other in found and f"{run}-globex" not in found
    assert _ids(_search(wallet, "aCmE eXp")) == [other]
    # Wildcards are matched as text.
    assert _ids(_search(wallet, "100%")) == [percent]
    assert _search(wallet, "100_").accounts == []
    assert _search(wallet, "%").accounts == []
    # The answer is the account's profile.
    assert _search(wallet, f"{run}-acme").accounts[0].display_name == "Acme Widgets"


def test_ids_match_with_their_exact_case(wallet: WalletUnderTest) -> None:
    run = uuid.uuid4().hex[:6]
    account = wallet.create_account(f"Mixed{run}", display_name="Unrelated")
    assert _ids(_search(wallet, f"Mixed{run}")) == [account]
    assert _search(wallet, f"mixed{run}").accounts == []


def test_a_renamed_account_is_found_by_its_new_name(wallet: WalletUnderTest) -> None:
    account = wallet.create_account(display_name="Old Name")
    wallet.stub.UpdateAccount(
        pb.UpdateAccountRequest(
            account_id=account,
            profile=account_pb2.AccountProfile(display_name=f"Renamed {account}"),
            update_mask="display_name",
            idempotency_key=uuid.uuid4().hex,
        ),
        timeout=DEADLINE_S,
    )
    assert _ids(_search(wallet, f"renamed {account}")) == [account]


def test_pages_cover_every_match_once_in_id_order(wallet: WalletUnderTest) -> None:
    run = uuid.uuid4().hex[:6]
    made = sorted(
        wallet.create_account(f"{run}-{n:02d}", display_name=f"Shop {n}") for n in range(7)
    )
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        answer = _search(wallet, run, page_size=3, page_token=token)
        seen += _ids(answer)
        pages += 1
        token = answer.next_page_token
        if not token:
            break
    assert seen == made
    assert pages == 3


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"page_size": 201}, "page_size"),
        ({"page_size": -1}, "page_size"),
        ({"page_token": "not-a-token"}, "page_token"),
        ({"query": "x" * 129}, "query"),
        ({"query": "a\nb"}, "query"),
    ],
)
def test_bad_input_names_the_field(
    wallet: WalletUnderTest, request_fields: dict[str, object], field: str
) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        wallet.stub.ListAccounts(pb.ListAccountsRequest(**request_fields), timeout=DEADLINE_S)  # type: ignore[arg-type]
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in (refused.value.details() or "")


def test_a_customer_may_not_search_accounts(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    as_customer = channel(wallet.service.address, service_auth.GATEWAY, customer(account))
    try:
        with pytest.raises(grpc.RpcError) as refused:
            wallet_service_pb2_grpc.WalletServiceStub(as_customer).ListAccounts(
                pb.ListAccountsRequest(query=account), timeout=DEADLINE_S
            )
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    finally:
        as_customer.close()


def test_newest_first_lists_recent_money_first_page_by_page(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    for n in range(1, 6):
        wallet.top_up(account, n * 1_000_000, key=f"t{n}")

    def top_ups(newest_first: bool, page_size: int) -> list[str]:
        seen: list[str] = []
        token = ""
        while True:
            answer = wallet.stub.ListTopUps(
                pb.ListTopUpsRequest(
                    account_id=account,
                    page_size=page_size,
                    page_token=token,
                    newest_first=newest_first,
                ),
                timeout=DEADLINE_S,
            )
            seen += [t.top_up_id for t in answer.top_ups]
            token = answer.next_page_token
            if not token:
                return seen

    oldest = top_ups(False, 100)
    assert len(oldest) == 5
    assert top_ups(True, 2) == list(reversed(oldest))

    def entries(newest_first: bool) -> list[funds_pb2.LedgerEntry]:
        return list(
            wallet.stub.ListLedgerEntries(
                pb.ListLedgerEntriesRequest(
                    account_id=account, page_size=1000, newest_first=newest_first
                ),
                timeout=DEADLINE_S,
            ).entries
        )

    in_order = entries(False)
    recent = entries(True)
    assert len(in_order) >= 5
    assert [e.entry_id for e in recent] == [e.entry_id for e in reversed(in_order)]
