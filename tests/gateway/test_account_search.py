"""GET /v1/accounts?query=: operators find accounts; customers are refused; bad paging is a
400 naming the field."""

from __future__ import annotations

import uuid

from services.gateway.domain.access import Role
from tests.gateway.stack import Stack


def test_an_operator_finds_accounts_page_by_page(stack: Stack) -> None:
    run = uuid.uuid4().hex[:6]
    made = sorted(f"srch{run}-{n}" for n in range(5))
    for account in made:
        stack.create_account(account)
    seen: list[str] = []
    token = ""
    with stack.client(stack.operator_key()) as client:
        while True:
            params = {"query": f"SRCH{run}", "page_size": "2"}
            if token:
                params["page_token"] = token
            page = client.get("/v1/accounts", params=params)
            assert page.status_code == 200, page.text
            body = page.json()
            assert len(body["accounts"]) <= 2
            seen += [account["account_id"] for account in body["accounts"]]
            token = body.get("next_page_token", "")
            if not token:
                break
        # By display name, ignoring case (display names are the ids in title case).
        assert seen == made
        one = client.get("/v1/accounts", params={"query": made[0]}).json()["accounts"]
        assert [a["account_id"] for a in one] == [made[0]]
        assert one[0]["display_name"] == made[0].title()


def test_customers_may_not_search_accounts(stack: Stack) -> None:
    account = f"srchown-{uuid.uuid4().hex[:6]}"
    stack.create_account(account)
    for role in (Role.OWNER, Role.ADMIN):
        with stack.client(stack.key(account, role, billing_access=True)) as client:
            refused = client.get("/v1/accounts", params={"query": account})
            assert refused.status_code == 403, refused.text
            assert refused.json()["error"]["code"] == "PERMISSION_DENIED"


def test_bad_paging_is_a_400_naming_the_field(stack: Stack) -> None:
    with stack.client(stack.operator_key()) as client:
        for params, field in (
            ({"page_size": "201"}, "page_size"),
            ({"page_size": "-1"}, "page_size"),
            ({"page_size": "many"}, "page_size"),
            ({"page_token": "nonsense"}, "page_token"),
            ({"query": "q" * 129}, "query"),
        ):
            answer = client.get("/v1/accounts", params=params)
            assert answer.status_code == 400, (params, answer.text)
            assert answer.json()["error"]["field"] == field, answer.text
