"""The send path's own Redis connections: lost connections and forgotten scripts are recovered."""

from __future__ import annotations

import redis
from billing.common.v1 import category_pb2
from billing.wallet.v1 import authorise_pb2

from tests.wallet.conftest import DEADLINE_S, MARKETING_USD_MICROS, US_NUMBER, WalletUnderTest


def _every_node(wallet: WalletUnderTest) -> list[redis.Redis]:
    client = wallet.wallet.redis
    if isinstance(client, redis.RedisCluster):
        return [node.redis_connection for node in client.get_primaries()]  # type: ignore[misc]
    return [client]


def _batch(wallet: WalletUnderTest, account: str, run: str) -> authorise_pb2.AuthoriseBatchResponse:
    request = authorise_pb2.AuthoriseBatchRequest(
        account_id=account,
        channel_id="chan-1",
        category=category_pb2.CATEGORY_MARKETING,
        is_template=True,
        mode=authorise_pb2.BATCH_MODE_ALL_OR_NOTHING,
        recipients=[
            authorise_pb2.BatchRecipient(recipient=US_NUMBER, message_id=f"{run}-{n}")
            for n in range(3)
        ],
    )
    return wallet.stub.AuthoriseBatch(request, timeout=DEADLINE_S)


def test_sends_go_on_after_redis_drops_every_connection(any_redis_wallet: WalletUnderTest) -> None:
    wallet = any_redis_wallet
    account = wallet.create_account()
    wallet.top_up(account, 10 * MARKETING_USD_MICROS)
    for n in range(4):
        assert wallet.authorise(account, f"before-{n}").decision == authorise_pb2.DECISION_ALLOWED
    for node in _every_node(wallet):
        node.client_kill_filter(_type="normal", skipme=True)
    after = [wallet.authorise(account, f"after-{n}") for n in range(4)]
    assert [a.decision for a in after] == [authorise_pb2.DECISION_ALLOWED] * 4
    assert not any(a.replayed for a in after)
    assert after[-1].balance_after.amount_micros == 2 * MARKETING_USD_MICROS
    assert wallet.available(account) == (2 * MARKETING_USD_MICROS, 8 * MARKETING_USD_MICROS)


def test_scripts_flushed_from_redis_are_loaded_again(any_redis_wallet: WalletUnderTest) -> None:
    wallet = any_redis_wallet
    account = wallet.create_account()
    wallet.top_up(account, 10 * MARKETING_USD_MICROS)
    assert wallet.authorise(account, "first").decision == authorise_pb2.DECISION_ALLOWED
    for node in _every_node(wallet):
        node.script_flush()
    again = wallet.authorise(account, "first")
    assert again.replayed and again.decision == authorise_pb2.DECISION_ALLOWED
    assert wallet.authorise(account, "second").decision == authorise_pb2.DECISION_ALLOWED
    for node in _every_node(wallet):
        node.script_flush()
    batch = _batch(wallet, account, "campaign")
    assert batch.allowed_count == 3
    assert wallet.available(account) == (5 * MARKETING_USD_MICROS, 5 * MARKETING_USD_MICROS)
