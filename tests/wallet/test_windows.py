"""Free messages: open windows make sends free, still recorded; the windows stream feeds them."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from billing.common.v1 import category_pb2
from billing.metering.v1 import events_pb2
from billing.wallet.v1 import authorise_pb2, funds_pb2, wallet_service_pb2
from google.protobuf import timestamp_pb2

from services.wallet.service.settings import WINDOWS_STREAM
from tests.wallet.conftest import DEADLINE_S, US_NUMBER, WalletUnderTest

# Before 1 Oct 2026 utility templates inside the customer-service window were free.
AUGUST_2026 = dt.datetime(2026, 8, 12, 10, tzinfo=dt.UTC)


def _stamp(moment: dt.datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def _open(wallet: WalletUnderTest, account: str, kind: int, hours: int = 24) -> None:
    expire = dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)
    window = funds_pb2.Window(
        account_id=account,
        channel_id="chan-1",
        contact=US_NUMBER,
        kind=kind,  # type: ignore[arg-type]
        expire_time=_stamp(expire),
    )
    wallet.stub.OpenWindow(wallet_service_pb2.OpenWindowRequest(window=window), timeout=DEADLINE_S)


def test_a_free_entry_point_window_makes_any_send_free_and_it_is_recorded(
    wallet: WalletUnderTest,
) -> None:
    account = wallet.create_account()
    assert wallet.authorise(account).decision == authorise_pb2.DECISION_DENIED
    _open(wallet, account, funds_pb2.WINDOW_KIND_FREE_ENTRY_POINT, hours=72)
    answer = wallet.authorise(account, "m-free")
    assert answer.decision == authorise_pb2.DECISION_ALLOWED
    assert answer.price.total.amount_micros == 0
    assert answer.price.pricing_type == category_pb2.PRICING_TYPE_FREE_ENTRY_POINT
    assert not answer.reservation_id
    wallet.wallet.projector.drain()
    entries = wallet.stub.ListLedgerEntries(
        wallet_service_pb2.ListLedgerEntriesRequest(account_id=account), timeout=DEADLINE_S
    ).entries
    assert [(e.kind, e.reference) for e in entries] == [("free", "m-free")] * 2


def test_the_caller_may_say_the_user_came_from_a_free_entry_point(
    wallet: WalletUnderTest,
) -> None:
    account = wallet.create_account()
    answer = wallet.authorise(account, free_entry_point=True)
    assert answer.decision == authorise_pb2.DECISION_ALLOWED
    assert answer.price.total.amount_micros == 0


def test_utility_in_the_service_window_was_free_before_october_2026(
    wallet: WalletUnderTest,
) -> None:
    account = wallet.create_account()
    utility: dict[str, Any] = {
        "category": category_pb2.CATEGORY_UTILITY,
        "send_time": _stamp(AUGUST_2026),
    }
    assert wallet.authorise(account, **utility).decision == authorise_pb2.DECISION_DENIED
    contact_window = funds_pb2.Window(
        account_id=account,
        channel_id="chan-1",
        contact=US_NUMBER,
        kind=funds_pb2.WINDOW_KIND_CUSTOMER_SERVICE,
        expire_time=_stamp(dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)),
    )
    wallet.stub.OpenWindow(
        wallet_service_pb2.OpenWindowRequest(window=contact_window), timeout=DEADLINE_S
    )
    answer = wallet.authorise(account, **utility)
    assert answer.decision == authorise_pb2.DECISION_ALLOWED
    assert answer.price.pricing_type == category_pb2.PRICING_TYPE_FREE_CUSTOMER_SERVICE
    marketing = wallet.authorise(account, send_time=_stamp(AUGUST_2026))
    assert marketing.deny_reason == authorise_pb2.DENY_REASON_INSUFFICIENT_FUNDS


def test_metering_window_events_open_windows(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    expire = _stamp(dt.datetime.now(dt.UTC) + dt.timedelta(hours=72))
    event = events_pb2.WindowChanged(
        event_id="w-1",
        account_id=account,
        channel_id="chan-1",
        contact=US_NUMBER,
        kind="free_entry_point",
        expire_time=expire,
    )
    wallet.wallet.redis.xadd(
        WINDOWS_STREAM, {"event": event.SerializeToString(), "type": "billing.metering.v1.x"}
    )
    consumer = wallet.wallet.loops["windows"]
    deadline = time.monotonic() + 5
    while not consumer.step() and time.monotonic() < deadline:
        time.sleep(0.05)
    other_number = wallet.authorise(account, recipient="+12125550199")
    assert other_number.decision == authorise_pb2.DECISION_DENIED
    assert wallet.authorise(account).price.total.amount_micros == 0
