"""Redis loses its data: sends wait (UNAVAILABLE) until each partition is rebuilt from SQL,
then sends, charges and projection go on; nothing is charged twice or lost. A rebuild never
applies a top-up twice."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from billing.wallet.v1 import authorise_pb2

from services.wallet.service.commands.money import Money, TopUp
from services.wallet.service.settings import CHARGES_STREAM, CONSUMER_GROUP, PROJECTOR_GROUP
from tests.wallet.conftest import WalletUnderTest
from tests.wallet.test_settlement import PRICE, charge, deliver, revenue

START = 200_000


def groups(client: Any, stream: str) -> set[str]:
    return {info["name"].decode() for info in client.xinfo_groups(stream)}


def test_after_redis_lost_its_data_every_delivery_is_still_charged_once(
    any_redis_wallet: WalletUnderTest,
) -> None:
    wallet = any_redis_wallet
    account = wallet.create_account()
    wallet.top_up(account, START)
    wallet.authorise(account, "projected")
    deliver(wallet, charge(account, "settled-before", 0))  # and projected: the hold reached SQL
    wallet.authorise(account, "unprojected")  # its hold is lost with Redis
    client: Any = wallet.wallet.redis
    if hasattr(client, "get_nodes"):
        for node in client.get_nodes():
            node.redis_connection.flushall()
    else:
        client.flushall()

    with pytest.raises(grpc.RpcError) as waiting:
        wallet.authorise(account, "during")
    assert waiting.value.code() == grpc.StatusCode.UNAVAILABLE
    assert wallet.wallet.recovery.step() == wallet.wallet.partitioner.partitions
    assert wallet.available(account) == (START - PRICE, PRICE)  # the projected hold is back

    deliver(wallet, charge(account, "projected", PRICE), charge(account, "unprojected", PRICE))
    assert wallet.authorise(account, "after").decision == authorise_pb2.DECISION_ALLOWED
    deliver(wallet, charge(account, "after", PRICE))
    assert wallet.available(account) == (START - 3 * PRICE, 0)
    assert revenue(wallet, account) == 3 * PRICE
    assert CONSUMER_GROUP in groups(client, CHARGES_STREAM)
    ledger = wallet.wallet.partitioner.keys(account).ledger
    assert PROJECTOR_GROUP in groups(client, ledger)


def test_a_rebuild_never_applies_a_top_up_twice(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    funds = wallet.wallet.funds
    # Recorded in SQL, then the process died before applying it to Redis.
    funds.record(TopUp(account, "", Money("USD", START), idempotency_key="paid-1"))
    wallet.wallet.recovery.rebuild_account(account)
    assert wallet.available(account) == (START, 0)
    funds.apply_recorded(0, 100)  # the sweeper finds it applied already
    assert wallet.available(account) == (START, 0)


def test_sends_wait_while_an_account_is_rebuilt(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    wallet.top_up(account, START)
    keys = wallet.wallet.partitioner.keys(account)
    wallet.wallet.hot.fence(keys, account)
    with pytest.raises(grpc.RpcError) as waiting:
        wallet.authorise(account)
    assert waiting.value.code() == grpc.StatusCode.UNAVAILABLE
    wallet.wallet.hot.unfence(keys, account)
    assert wallet.authorise(account).decision == authorise_pb2.DECISION_ALLOWED
