"""Accounts map to a fixed number of partitions; every hot key of an account carries its tag."""

from __future__ import annotations

import zlib

MAX_PARTITIONS = 1024


def partition_of(account_id: str, partitions: int) -> int:
    """The partition that owns an account: crc32 of its id, modulo the partition count."""
    if not 1 <= partitions <= MAX_PARTITIONS:
        raise ValueError(f"partitions must be 1..{MAX_PARTITIONS}, got {partitions}")
    return zlib.crc32(account_id.encode()) % partitions


def tag(partition: int) -> str:
    """The hash tag that puts a partition's keys in one Redis Cluster slot, e.g. '{p07}'."""
    return f"{{p{partition:02d}}}"


# Suffixes of window keys: customer-service, free entry point, "conv:<category>".
CUSTOMER_SERVICE_WINDOW = "cs"
FREE_ENTRY_POINT_WINDOW = "fep"
CONVERSATION_WINDOW = "conv:"


class Keys:
    """Names of one partition's Redis keys. One place; the Lua scripts receive them as KEYS."""

    __slots__ = ("prefix",)

    def __init__(self, partition: int) -> None:
        self.prefix = f"wallet:{tag(partition)}"

    @property
    def ledger(self) -> str:
        return f"{self.prefix}:ledger"

    @property
    def expiry(self) -> str:
        return f"{self.prefix}:expiry"

    @property
    def ready(self) -> str:
        """Present while the partition's hot state is whole: absent after Redis lost its data,
        until recovery has written it again from SQL. Every change refuses without it."""
        return f"{self.prefix}:ready"

    @property
    def recovering(self) -> str:
        """Held by the process rebuilding the partition (with an expiry)."""
        return f"{self.prefix}:recovering"

    def account(self, account_id: str) -> str:
        return f"{self.prefix}:account:{account_id}"

    def balances(self, account_id: str) -> str:
        """One hash per account: fields "<channel>:<currency>:available" and "...:held"."""
        return f"{self.prefix}:balances:{account_id}"

    def reservation(self, reservation_id: str) -> str:
        return f"{self.prefix}:reservation:{reservation_id}"

    def message(self, account_id: str, message_id: str) -> str:
        return f"{self.prefix}:message:{account_id}:{message_id}"

    def charge(self, account_id: str, message_id: str) -> str:
        """Set once a message's charge was applied (its price), kept as long as settled holds."""
        return f"{self.prefix}:charge:{account_id}:{message_id}"

    def top_up(self, top_up_id: str) -> str:
        return f"{self.prefix}:top-up:{top_up_id}"

    def window_prefix(self, account_id: str, channel_id: str) -> str:
        """Every window key of a channel starts so; then "<contact>:<kind suffix>"."""
        return f"{self.prefix}:window:{account_id}:{channel_id}:"

    def window(self, account_id: str, channel_id: str, contact: str, kind: str) -> str:
        return f"{self.window_prefix(account_id, channel_id)}{contact}:{kind}"

    def crossings(self, account_id: str) -> str:
        """One hash per account: the open crossing below each threshold, per balance."""
        return f"{self.prefix}:crossings:{account_id}"

    def channel_days(self, account_id: str) -> str:
        """One hash per days account: channel -> end of its paid days (epoch ms)."""
        return f"{self.prefix}:channel-days:{account_id}"

    def credits(self, account_id: str) -> str:
        """One hash per account: its credits for messages ("<currency>:available", ":held",
        ":returning"), "until" (the earliest expiry among them) and "frozen" (expiries whose
        remainder the projector has yet to remove)."""
        return f"{self.prefix}:credits:{account_id}"

    def credit_expiries(self, account_id: str) -> str:
        """The grants in the account's hot credit balance, scored by their expiry (epoch ms)."""
        return f"{self.prefix}:credit-expiries:{account_id}"

    def credit(self, credit_id: str) -> str:
        """A grant's state in the hot balance: applied, expiring, gone, or expired (never in)."""
        return f"{self.prefix}:credit:{credit_id}"

    def credit_return(self, reservation_id: str) -> str:
        """Marks a settlement's unused credit as placed by the projector (once)."""
        return f"{self.prefix}:credit-return:{reservation_id}"


class Partitioner:
    """Keys for an account, from the configured partition count (computed once per account)."""

    def __init__(self, partitions: int) -> None:
        self.partitions = partitions
        self._keys = [Keys(p) for p in range(partitions)]
        self._of: dict[str, Keys] = {}

    def keys(self, account_id: str) -> Keys:
        found = self._of.get(account_id)
        if found is None:
            found = self._keys[partition_of(account_id, self.partitions)]
            if len(self._of) < MAX_CACHED_ACCOUNTS:
                self._of[account_id] = found
        return found

    def all(self) -> list[Keys]:
        return list(self._keys)


MAX_CACHED_ACCOUNTS = 100_000
