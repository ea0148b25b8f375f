"""Small builders for the funds tests: money, times, and the error a call was refused with."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from billing.common.v1 import money_pb2
from google.protobuf import timestamp_pb2

from tests.wallet.conftest import DEADLINE_S


def usd(micros: int, currency: str = "USD") -> money_pb2.Money:
    return money_pb2.Money(currency_code=currency, amount_micros=micros)


def in_seconds(seconds: float) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromMilliseconds(int((time.time() + seconds) * 1000))
    return stamp


def refused(call: Callable[..., Any], request: Any) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call(request, timeout=DEADLINE_S)
    return caught.value


def field_of(error: grpc.RpcError) -> str:
    """The field an INVALID_ARGUMENT names (its details start with it)."""
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
    return (error.details() or "").split(":", 1)[0]
