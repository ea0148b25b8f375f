"""Crossings of a hot balance below its thresholds, named and served once (one Lua call each)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.common.redis_client import RedisClient
from services.wallet.adapters.hot_store import Script
from services.wallet.domain.partitions import Keys
from services.wallet.service.ports.notices import Observation


class Crossings:
    def __init__(self, client: RedisClient) -> None:
        self._script = Script(client, "crossing")

    def observe(
        self,
        keys: Keys,
        account_id: str,
        balance: str,
        thresholds: Mapping[str, int],
        now_ms: int,
    ) -> Observation:
        """Read the balance and update each threshold's crossing, atomically."""
        args: list[object] = ["observe", balance, now_ms]
        for name, threshold in thresholds.items():
            args += (name, threshold)
        answer: Any = self._script(
            [keys.crossings(account_id), keys.balances(account_id), keys.credits(account_id)], args
        )
        crossings, ended = {}, {}
        for name, crossing in zip(answer[1::2], answer[2::2], strict=True):
            if int(crossing) > 0:
                crossings[name.decode()] = int(crossing)
            elif int(crossing) < 0:
                ended[name.decode()] = -int(crossing)
        return Observation(int(answer[0]), crossings, ended)

    def served(
        self, keys: Keys, account_id: str, balance: str, name: str, crossing_ms: int
    ) -> bool:
        """Mark one crossing served; False when the balance has left it (or it was served)."""
        answer: Any = self._script(
            [keys.crossings(account_id), keys.balances(account_id), keys.credits(account_id)],
            ["served", balance, name, crossing_ms],
        )
        return bool(answer)
