"""Every event stream of the suite, declared once: its name, the consumer groups that must
read each entry before it may be trimmed, and whether unread entries expire. A stream belongs
to the service that writes it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EventStream:
    name: str
    # Groups that read every entry. The writer creates them with the stream, so nothing is
    # trimmed before they have all acknowledged it; streams are never trimmed by length.
    groups: tuple[str, ...] = ()
    # Notices whose worth fades: entries older than the retention (STREAM_RETENTION_DAYS) are
    # trimmed even unread, and each such loss is counted and logged. Streams carrying money or
    # state never expire: their entries wait for every group, however long.
    expires: bool = False


METERING_CHARGES = EventStream("billing.metering.charges", ("wallet",))
METERING_WINDOWS = EventStream("billing.metering.windows", ("wallet",))
WALLET_ACCOUNTS = EventStream("billing.wallet.accounts", ("metering",))
WALLET_ALERTS = EventStream("billing.wallet.alerts", ("notifications",), expires=True)
# Auto-recharges the wallet asks invoicing to charge for (billing.wallet.v1.RechargeRequested).
WALLET_RECHARGES = EventStream("billing.wallet.recharges", ("invoicing",))
# Invoicing's facts; the wallet reads the answers to its recharge requests here.
INVOICING_EVENTS = EventStream("billing.invoicing.events", ("notifications", "wallet"))
# Written directly (not through an outbox) by every service, also while its readers are down.
OPERATIONS_ALERTS = EventStream("billing.operations.alerts", ("notifications",), expires=True)
# Users' billing access and notification opt-ins, as the gateway has them.
GATEWAY_USERS = EventStream("billing.gateway.users", ("notifications",))
# Sign-in locks the gateway imposed, for the notifications service to tell the user.
GATEWAY_SIGN_INS = EventStream("billing.gateway.sign-ins", ("notifications",), expires=True)

ALL = (
    METERING_CHARGES,
    METERING_WINDOWS,
    WALLET_ACCOUNTS,
    WALLET_ALERTS,
    WALLET_RECHARGES,
    INVOICING_EVENTS,
    OPERATIONS_ALERTS,
    GATEWAY_USERS,
    GATEWAY_SIGN_INS,
)
BY_NAME = {stream.name: stream for stream in ALL}
DEAD_LETTER_SUFFIX = ".dead"
# A set naming every dead-letter stream that has held an entry (for `billing dead-letters`).
DEAD_LETTER_INDEX = "billing.dead-letters"


def groups_of(stream: str) -> tuple[str, ...]:
    found = BY_NAME.get(stream)
    return found.groups if found is not None else ()


def expires(stream: str) -> bool:
    found = BY_NAME.get(stream)
    return found is not None and found.expires


def dead_letter_stream(stream: str) -> str:
    return stream + DEAD_LETTER_SUFFIX
