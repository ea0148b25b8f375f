"""The wallet's hot state in Redis: every change is one Lua script on one partition's slot."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

from services.common.redis_client import RedisClient
from services.wallet.adapters.thread_connections import ThreadConnections
from services.wallet.domain.partitions import Keys
from services.wallet.service.ports.money import HotStateBusy as HotStateBusy

SCRIPTS = Path(__file__).parent / "lua"
# The send decision both authorisation scripts share, loaded in front of each.
SEND_DECISION = ("decision",)
SETTLED_KEEP_S = 7 * 24 * 3600
TOP_UP_MARKER_S = 90 * 24 * 3600
CREDIT_STATE_KEEP_S = 30 * 24 * 3600  # a grant's state once it left (or never reached) Redis
CREDIT_PARTS = ("available", "held", "returning")


def script_source(name: str, prelude: Sequence[str] = ()) -> str:
    """A script's text: the shared parts it names first, then its own."""
    return "\n".join((SCRIPTS / f"{part}.lua").read_text() for part in (*prelude, name))


class Script:
    """A Lua script run by EVALSHA; loaded again when a server does not know it."""

    def __init__(self, client: RedisClient, name: str, prelude: Sequence[str] = ()) -> None:
        self._client = client
        self._source = script_source(name, prelude)
        self._sha = client.script_load(self._source)

    def __call__(self, keys: Sequence[str], args: Sequence[Any]) -> Any:
        try:
            return self._client.evalsha(self._sha, len(keys), *keys, *args)
        except redis.exceptions.NoScriptError:
            self._sha = self._client.script_load(self._source)
            return self._client.evalsha(self._sha, len(keys), *keys, *args)


class SendPathScript(Script):
    """A script of the send path: run on the calling thread's own connection."""

    def __init__(
        self,
        client: RedisClient,
        name: str,
        connections: ThreadConnections,
        prelude: Sequence[str] = (),
    ) -> None:
        super().__init__(client, name, prelude)
        self._connections = connections

    def __call__(self, keys: Sequence[str], args: Sequence[Any]) -> Any:
        return self._connections.evalsha(self._sha, keys, args, super().__call__)


@dataclass(frozen=True, slots=True)
class Settlement:
    """What settle.lua answered about one reservation (or one message's charge)."""

    outcome: str  # done | same | ended | too_much | unknown
    state: str = ""
    amount_micros: int = 0
    committed_micros: int = 0
    account_id: str = ""
    channel_id: str = ""
    currency: str = ""
    message_id: str = ""
    expire_ms: int = 0
    credit_micros: int = 0  # of amount_micros, the part drawn from credits
    wrote_end: bool = False  # a charge: this call wrote the ledger entry that ends it


@dataclass(frozen=True, slots=True)
class HeldReservation:
    """A reservation as SQL records it, to be written to Redis again."""

    reservation_id: str
    channel_id: str
    currency: str
    amount_micros: int
    credit_micros: int
    message_id: str
    expire_ms: int
    state: str = "held"
    committed_micros: int = 0


@dataclass(frozen=True, slots=True)
class LedgerCredits:
    """What the SQL ledger says of an account's credits for messages in one currency."""

    available: int  # left on the grants in the hot balance (applied, not written off)
    held: int  # credit-held: reserved for messages not yet settled
    grants: dict[str, tuple[int, int]]  # credit_id -> (left, expire_ms)


@dataclass
class HotSnapshot:
    """An account's hot state as SQL has it."""

    balances: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    holds: list[HeldReservation] = field(default_factory=list)
    settled: list[HeldReservation] = field(default_factory=list)  # for charges applied again
    credits: dict[str, LedgerCredits] = field(default_factory=dict)
    applied_top_ups: list[str] = field(default_factory=list)  # in the balance already


@dataclass(frozen=True, slots=True)
class CreditBalance:
    """An account's hot credit balance in one currency (micros)."""

    available: int = 0
    held: int = 0
    returning: int = 0  # unused credit of settled reservations, not yet placed back


class HotStore:
    def __init__(self, client: RedisClient) -> None:
        self.client = client
        self._connections = ThreadConnections(client)
        self.authorise = SendPathScript(client, "authorise", self._connections, SEND_DECISION)
        self.authorise_batch = SendPathScript(
            client, "authorise_batch", self._connections, SEND_DECISION
        )
        self._settle = Script(client, "settle")
        self._top_up = Script(client, "top_up")
        self._window = Script(client, "window")
        self._account = Script(client, "account")
        self._credit_grant = Script(client, "credit_grant")
        self._credit_expire = Script(client, "credit_expire")
        self._credit_expired = Script(client, "credit_expired")
        self._credit_returned = Script(client, "credit_returned")

    def close(self) -> None:
        self._connections.close()

    def settle(
        self,
        keys: Keys,
        account_id: str,
        reservation_id: str,
        action: str,
        amount: int,
        now_ms: int,
        charge: tuple[str, str, str] = ("", "", ""),
    ) -> Settlement:
        """charge: for action "charge", the balance's channel, the currency and the message."""
        channel_id, currency, message_id = charge
        answer: Any = self._settle(
            [
                keys.reservation(reservation_id or "-"),
                keys.balances(account_id),
                keys.expiry,
                keys.ledger,
                keys.credits(account_id),
                keys.ready,
                keys.account(account_id),
                keys.charge(account_id, message_id or "-"),
            ],
            [
                action,
                amount,
                now_ms,
                reservation_id,
                SETTLED_KEEP_S,
                account_id,
                channel_id,
                currency,
                message_id,
            ],
        )
        if answer[0] == b"busy":
            raise HotStateBusy(account_id)
        if answer[0] in (b"unknown", b"same") and len(answer) <= 2:
            return Settlement(answer[0].decode())
        return Settlement(
            outcome=answer[0].decode(),
            state=answer[1].decode(),
            amount_micros=int(answer[2]),
            committed_micros=int(answer[3]),
            account_id=answer[4].decode(),
            channel_id=answer[5].decode(),
            currency=answer[6].decode(),
            message_id=answer[7].decode(),
            expire_ms=int(answer[8]),
            credit_micros=int(answer[9]),
            wrote_end=answer[10] == b"1",
        )

    def apply_credit(
        self,
        keys: Keys,
        account_id: str,
        currency: str,
        credit_id: str,
        amount_micros: int,
        expire_ms: int,
        now_ms: int,
    ) -> str:
        """Add a grant to the hot credit balance once: 'new', or the state it already has."""
        state: Any = self._credit_grant(
            [
                keys.credits(account_id),
                keys.credit_expiries(account_id),
                keys.credit(credit_id),
                keys.ledger,
                keys.ready,
                keys.account(account_id),
            ],
            [
                currency,
                amount_micros,
                expire_ms,
                now_ms,
                account_id,
                credit_id,
                CREDIT_STATE_KEEP_S,
            ],
        )
        return bytes(state).decode()

    def start_credit_expiry(
        self, keys: Keys, account_id: str, currency: str, credit_id: str, now_ms: int
    ) -> str:
        """'new' when the projector is now asked to write the grant off; 'expired' when it
        never reached Redis; else its state (a removal already under way, or done)."""
        state: Any = self._credit_expire(
            [keys.credits(account_id), keys.credit(credit_id), keys.ledger],
            [account_id, currency, credit_id, now_ms, CREDIT_STATE_KEEP_S],
        )
        return bytes(state).decode()

    def credit_expired(
        self, keys: Keys, account_id: str, currency: str, credit_id: str, written_off: int
    ) -> bool:
        removed = self._credit_expired(
            [keys.credits(account_id), keys.credit_expiries(account_id), keys.credit(credit_id)],
            [currency, written_off, credit_id, CREDIT_STATE_KEEP_S],
        )
        return bool(removed)

    def credit_returned(
        self,
        keys: Keys,
        account_id: str,
        currency: str,
        reservation_id: str,
        back_micros: int,
        forfeited_micros: int,
    ) -> bool:
        placed = self._credit_returned(
            [keys.credits(account_id), keys.credit_return(reservation_id)],
            [currency, back_micros, forfeited_micros, SETTLED_KEEP_S],
        )
        return bool(placed)

    def credit_balances(self, keys: Keys, account_id: str) -> dict[str, CreditBalance]:
        """Currency -> the account's hot credit balance."""
        raw: Any = self.client.hgetall(keys.credits(account_id))
        found: dict[str, dict[str, int]] = {}
        for name, value in raw.items():
            currency, _, part = name.decode().partition(":")
            if part in CREDIT_PARTS:
                found.setdefault(currency, {})[part] = int(value)
        return {currency: CreditBalance(**parts) for currency, parts in found.items()}

    def ready(self, partitions: Sequence[Keys]) -> bool:
        """Whether each partition's hot state is whole (see Keys.ready)."""
        pipeline = self.client.pipeline(transaction=False)
        for keys in partitions:
            pipeline.exists(keys.ready)
        return all(pipeline.execute())

    def message_records(self, messages: Sequence[tuple[Keys, str, str]]) -> list[Any]:
        """The AuthoriseSend answer kept for each (partition keys, account, message), or None."""
        pipeline = self.client.pipeline(transaction=False)
        for keys, account_id, message_id in messages:
            pipeline.get(keys.message(account_id, message_id))
        return list(pipeline.execute())

    def reservation_account(self, keys: Keys, reservation_id: str) -> str | None:
        found: Any = self.client.hget(keys.reservation(reservation_id), "account")
        return found.decode() if found else None

    def overdue_reservations(self, keys: Keys, now_ms: int, limit: int) -> list[str]:
        found: Any = self.client.zrangebyscore(keys.expiry, "-inf", now_ms, start=0, num=limit)
        return [item.decode() for item in found]

    def apply_top_up(
        self,
        keys: Keys,
        account_id: str,
        channel_id: str,
        currency: str,
        top_up_id: str,
        amount_micros: int,
    ) -> bool:
        applied, _ = self._top_up(
            [
                keys.balances(account_id),
                keys.top_up(top_up_id),
                keys.ready,
                keys.account(account_id),
            ],
            [f"{channel_id}:{currency}", amount_micros, TOP_UP_MARKER_S],
        )
        if applied == -1:
            raise HotStateBusy(account_id)
        return bool(applied)

    def open_window(self, key: str, expire_ms: int, now_ms: int) -> int:
        return int(self._window([key], [expire_ms, now_ms]))

    def write_account(
        self,
        keys: Keys,
        account_id: str,
        version: int,
        status: str,
        mode: str,
        overdraft_micros: int,
        currency: str,
        scope: str,
    ) -> bool:
        written = self._account(
            [keys.account(account_id)],
            [version, status, mode, overdraft_micros, currency, scope],
        )
        return bool(written)

    def balances(self, keys: Keys, account_id: str) -> dict[tuple[str, str], tuple[int, int]]:
        """(channel, currency) -> (available, held) micros."""
        raw: Any = self.client.hgetall(keys.balances(account_id))
        found: dict[tuple[str, str], list[int]] = {}
        for name, value in raw.items():
            channel, currency, part = name.decode().rsplit(":", 2)
            pair = found.setdefault((channel, currency), [0, 0])
            pair[0 if part == "available" else 1] = int(value)
        return {key: (pair[0], pair[1]) for key, pair in found.items()}

    def unready(self, partitions: Sequence[Keys]) -> list[Keys]:
        """The partitions whose hot state is not whole (their ready marker is gone)."""
        pipeline = self.client.pipeline(transaction=False)
        for keys in partitions:
            pipeline.exists(keys.ready)
        return [
            keys for keys, found in zip(partitions, pipeline.execute(), strict=True) if not found
        ]

    def mark_ready(self, keys: Keys) -> None:
        self.client.set(keys.ready, "1")

    def lock(self, key: str, owner: str, ttl_ms: int) -> bool:
        return bool(self.client.set(key, owner, nx=True, px=ttl_ms))

    def unlock(self, key: str, owner: str) -> None:
        found: Any = self.client.get(key)
        if found is not None and found.decode() == owner:
            self.client.delete(key)

    def fence(self, keys: Keys, account_id: str) -> None:
        """Every change of the account refuses until unfence (a rebuild is under way)."""
        self.client.hset(keys.account(account_id), "fence", "1")

    def unfence(self, keys: Keys, account_id: str) -> None:
        self.client.hdel(keys.account(account_id), "fence")

    def restore(self, keys: Keys, account_id: str, snapshot: HotSnapshot) -> None:
        """Write an account's balances, reservations, credits and top-up markers from SQL."""
        pipe = self.client.pipeline(transaction=False)
        balances = keys.balances(account_id)
        pipe.delete(balances)
        for (channel, currency), (available, reserved) in snapshot.balances.items():
            pipe.hset(
                balances,
                mapping={
                    f"{channel}:{currency}:available": available,
                    f"{channel}:{currency}:held": reserved,
                },
            )
        for held in [*snapshot.holds, *snapshot.settled]:
            pipe.hset(
                keys.reservation(held.reservation_id),
                mapping={
                    "account": account_id,
                    "channel": held.channel_id,
                    "currency": held.currency,
                    "amount": held.amount_micros,
                    "state": held.state,
                    "committed": held.committed_micros,
                    "message": held.message_id,
                    "expire": held.expire_ms,
                    "credit": held.credit_micros,
                },
            )
            if held.state == "held":
                pipe.zadd(keys.expiry, {held.reservation_id: held.expire_ms})
            else:
                pipe.expire(keys.reservation(held.reservation_id), SETTLED_KEEP_S)
        for top_up_id in snapshot.applied_top_ups:
            pipe.set(keys.top_up(top_up_id), "1", ex=TOP_UP_MARKER_S)
        self._restore_credits(pipe, keys, account_id, snapshot.credits)
        pipe.execute()

    def _restore_credits(
        self, pipe: Any, keys: Keys, account_id: str, credits: dict[str, LedgerCredits]
    ) -> None:
        """The hot credit balance from SQL: live grants, what is held, no removal under way."""
        pipe.delete(keys.credits(account_id))
        pipe.delete(keys.credit_expiries(account_id))
        for currency, found in credits.items():
            pipe.hset(
                keys.credits(account_id),
                mapping={f"{currency}:available": found.available, f"{currency}:held": found.held},
            )
            for credit_id, (_left, expire_ms) in found.grants.items():
                pipe.zadd(keys.credit_expiries(account_id), {credit_id: expire_ms})
                pipe.set(keys.credit(credit_id), "applied")
            if found.grants:
                until = min(expire_ms for _left, expire_ms in found.grants.values())
                pipe.hset(keys.credits(account_id), "until", until)
