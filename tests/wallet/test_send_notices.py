"""Refused campaigns and flagged sends reach the outbox once per account and window, with what
the send was answered."""

from __future__ import annotations

from typing import TypeVar

import sqlalchemy as sa
from billing.common.v1 import category_pb2, outbox_pb2
from billing.wallet.v1 import account_pb2, authorise_pb2, notices_pb2
from google.protobuf.message import Message

from services.wallet.adapters import tables
from tests.wallet.conftest import DEADLINE_S, MARKETING_USD_MICROS, US_NUMBER, WalletUnderTest

M = TypeVar("M", bound=Message)


def outbox_events(wallet: WalletUnderTest, kind: type[M], account: str) -> list[M]:
    outbox = tables.outbox.c
    with wallet.wallet.engine.connect() as connection:
        rows = connection.execute(sa.select(outbox.events)).all()
    found = []
    for row in rows:
        for event in outbox_pb2.OutboxBatch.FromString(row.events).events:
            if event.type == kind.DESCRIPTOR.full_name:
                message = kind.FromString(event.event)
                if getattr(message, "account_id", None) == account:
                    found.append(message)
    return found


def test_a_flagged_send_is_told_once_per_window(wallet: WalletUnderTest) -> None:
    account = wallet.create_account(
        funding_mode=account_pb2.FUNDING_MODE_SOFT_LIMIT, overdraft_limit_micros=1_000_000
    )
    first = wallet.authorise(account, message_id="m-1")
    assert first.decision == authorise_pb2.DECISION_ALLOWED_FLAGGED
    assert wallet.authorise(account, message_id="m-2").decision == first.decision
    [flagged] = outbox_events(wallet, notices_pb2.SendFlagged, account)
    assert (flagged.channel_id, flagged.message_id) == ("chan-1", "m-1")
    assert flagged.available == first.balance_after
    assert flagged.window_end_time.ToMilliseconds() > flagged.occur_time.ToMilliseconds()


def test_a_refused_campaign_is_told_once_per_window(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    wallet.top_up(account, 2 * MARKETING_USD_MICROS)
    request = authorise_pb2.AuthoriseBatchRequest(
        account_id=account,
        channel_id="chan-1",
        batch_id="spring",
        category=category_pb2.CATEGORY_MARKETING,
        is_template=True,
        mode=authorise_pb2.BATCH_MODE_BEST_EFFORT,
        recipients=[
            authorise_pb2.BatchRecipient(recipient=US_NUMBER, message_id=f"b-{n}") for n in range(5)
        ],
    )
    answer = wallet.stub.AuthoriseBatch(request, timeout=DEADLINE_S)
    assert answer.denied_count == 3
    wallet.stub.AuthoriseBatch(request, timeout=DEADLINE_S)
    [refused] = outbox_events(wallet, notices_pb2.CampaignRefused, account)
    assert (refused.channel_id, refused.batch_id) == ("chan-1", "spring")
    assert (refused.refused_count, refused.reason) == (3, "insufficient_funds")
    assert refused.available == answer.balance_after
    assert refused.required.amount_micros == 3 * MARKETING_USD_MICROS
    assert refused.needed.amount_micros == 3 * MARKETING_USD_MICROS
