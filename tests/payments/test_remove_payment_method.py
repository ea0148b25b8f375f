"""Removing a card through REST, as the billing page does, with the Stripe adapter against the
local Stripe-speaking server: the card is detached at Stripe; the default card is kept while
auto-recharge charges it, and a card with a payment in progress until it has finished; another
account's card is never seen."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from services.gateway.domain.access import Role
from tests.gateway.stack import BACKENDS, Stack, start_stack
from tests.harness.redis_servers import RedisServer
from tests.harness.stripe_server import StripeServer

LETTERS = str.maketrans("0123456789", "ghijklmnop")

# A logical Redis database of this module's own, so its stack shares no streams.
REDIS_DB = 7


@pytest.fixture(scope="module")
def stripe_server() -> Iterator[StripeServer]:
    server = StripeServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer, stripe_server: StripeServer
) -> Iterator[Stack]:
    folder: Path = tmp_path_factory.mktemp("remove-card")
    urls = {name: f"sqlite:///{folder / name}.db" for name in (*BACKENDS, "gateway")}
    redis_url = f"redis://127.0.0.1:{redis_server.port}/{REDIS_DB}"
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()
    running = start_stack(urls, redis_url, stripe_server.env())
    yield running
    running.stop()


def save_card(client: httpx.Client, stripe: StripeServer, account: str, card: str) -> str:
    """A card saved as the billing page saves it; its payment method id."""
    base = f"/v1/accounts/{account}/payment-methods"
    setup = client.post(f"{base}:setup", json={}, headers=_key()).json()
    stripe.complete_setup(setup["setup_id"], card)
    saved = client.post(base, json={"setup_id": setup["setup_id"]}, headers=_key())
    assert saved.status_code == 200, saved.text
    return str(saved.json()["payment_method"]["payment_method_id"])


def remove(client: httpx.Client, account: str, method_id: str, key: str = "") -> httpx.Response:
    return client.delete(
        f"/v1/accounts/{account}/payment-methods/{method_id}",
        headers={"Idempotency-Key": key or uuid.uuid4().hex.translate(LETTERS)},
    )


def cards(client: httpx.Client, account: str) -> dict[str, bool]:
    """Each card on file and whether it is the default."""
    listed = client.get(f"/v1/accounts/{account}/payment-methods").json()
    return {m["payment_method_id"]: m.get("is_default", False) for m in listed["payment_methods"]}


def auto_recharge(client: httpx.Client, account: str, enabled: bool) -> None:
    rule: dict[str, Any] = {"enabled": enabled}
    if enabled:
        rule.update(threshold_micros="5000000", amount_micros="20000000", max_per_month=5)
    answer = client.put(f"/v1/accounts/{account}/auto-recharge", json={"auto_recharge": rule})
    assert answer.status_code == 200, answer.text


def _key() -> dict[str, str]:
    # Letters only: a run of digits could pass for a card number, which invoicing refuses.
    return {"Idempotency-Key": uuid.uuid4().hex.translate(LETTERS)}


def test_a_card_is_removed_and_detached_once_and_the_default_is_kept_for_auto_recharge(
    stack: Stack, stripe_server: StripeServer
) -> None:
    account = f"rm-{uuid.uuid4().hex[:8]}"
    stack.create_account(account)
    with stack.client(stack.key(account, Role.OWNER)) as client:
        first = save_card(client, stripe_server, account, f"pm_{account}_first")
        second = save_card(client, stripe_server, account, f"pm_{account}_second")
        assert cards(client, account) == {first: True, second: False}
        auto_recharge(client, account, enabled=True)

        refused = remove(client, account, first)
        assert refused.status_code == 400, refused.text
        error = refused.json()["error"]
        assert error["field"] == "payment_method_id"
        assert "auto-recharge" in error["message"] and "default" in error["message"]
        assert cards(client, account) == {first: True, second: False}
        assert f"pm_{account}_first" not in stripe_server.detached

        removed = remove(client, account, second, key="rm-second")
        assert removed.status_code == 200, removed.text
        assert removed.json()["payment_method"]["payment_method_id"] == second
        assert f"pm_{account}_second" in stripe_server.detached
        again = remove(client, account, second, key="rm-second")  # a retry: the first answer
        assert again.status_code == 200 and again.json() == removed.json()
        assert stripe_server.detached.count(f"pm_{account}_second") == 1
        assert remove(client, account, second).status_code == 404  # a new key: it is gone
        assert remove(client, account, "pm-unknown").status_code == 404
        assert cards(client, account) == {first: True}

        auto_recharge(client, account, enabled=False)
        assert remove(client, account, first).status_code == 200
        assert cards(client, account) == {}
        assert f"pm_{account}_first" in stripe_server.detached
        # The next card saved is the default again.
        third = save_card(client, stripe_server, account, f"pm_{account}_third")
        assert cards(client, account) == {third: True}

        audit = client.get(f"/v1/accounts/{account}/audit-entries").json()["entries"]
        removals = [e for e in audit if e["action"] == "RemovePaymentMethod"]
        assert sorted(e["target"] for e in removals) == sorted([first, second])
        assert all(e["actor"]["kind"] == "customer" for e in removals)
        [of_second] = [e for e in removals if e["target"] == second]
        assert of_second["before"]["last4"] == "4242"
        assert "provider_token" not in of_second["before"]


def test_another_accounts_card_is_never_seen_nor_removed(
    stack: Stack, stripe_server: StripeServer
) -> None:
    mine, theirs = (f"rm-{uuid.uuid4().hex[:8]}" for _ in range(2))
    for account in (mine, theirs):
        stack.create_account(account)
    with stack.client(stack.key(theirs, Role.OWNER)) as client:
        card = save_card(client, stripe_server, theirs, f"pm_{theirs}")
    with stack.client(stack.key(mine, Role.OWNER)) as client:
        assert remove(client, mine, card).status_code == 404
        assert remove(client, theirs, card).status_code in (403, 404)
    with stack.client(stack.key(theirs, Role.OWNER)) as client:
        assert cards(client, theirs) == {card: True}
    assert f"pm_{theirs}" not in stripe_server.detached


def test_who_may_remove_and_what_a_removal_needs(stack: Stack, stripe_server: StripeServer) -> None:
    account = f"rm-{uuid.uuid4().hex[:8]}"
    stack.create_account(account)
    with stack.client(stack.key(account, Role.OWNER)) as client:
        card = save_card(client, stripe_server, account, f"pm_{account}")
        keyless = client.delete(f"/v1/accounts/{account}/payment-methods/{card}")
        assert keyless.status_code == 400
        assert keyless.json()["error"]["field"] == "idempotency_key"
        too_long = remove(client, account, "p" * 300)
        assert too_long.status_code == 400
        assert too_long.json()["error"]["field"] == "payment_method_id"
    for reader in (
        stack.key(account, Role.AGENT, billing_access=True),
        stack.key(account, Role.ADMIN),
    ):
        with stack.client(reader) as client:
            assert remove(client, account, card).status_code == 403
    with stack.client(stack.key(account, Role.OWNER)) as client:
        assert cards(client, account) == {card: True}
    with stack.client(stack.key(account, Role.ADMIN, billing_access=True)) as client:
        assert remove(client, account, card).status_code == 200


def test_a_card_with_a_payment_in_progress_is_kept_until_it_has_finished(
    stack: Stack, stripe_server: StripeServer
) -> None:
    account = f"rm-{uuid.uuid4().hex[:8]}"
    stack.create_account(account)
    with stack.client(stack.key(account, Role.OWNER)) as client:
        card = save_card(client, stripe_server, account, "pm_card_authenticationRequired")
        quote = client.post(
            f"/v1/accounts/{account}/funds:quote",
            json={"amount": {"currency_code": "USD", "amount_micros": "10000000"}},
            headers=_key(),
        ).json()["quote"]
        waiting = client.post(
            f"/v1/accounts/{account}/funds", json={"quote_id": quote["quote_id"]}, headers=_key()
        )
        assert waiting.json()["funding"]["state"] == "FUNDING_STATE_REQUIRES_ACTION", waiting.text
        refused = remove(client, account, card)
        assert refused.status_code == 400, refused.text
        assert "in progress" in refused.json()["error"]["message"]
        assert cards(client, account) == {card: True}
