"""The gateway's stream of users, decoded at the edge into plain membership changes."""

from __future__ import annotations

from collections.abc import Callable

from billing.gateway.v1 import events_pb2

from services.common.streams import Entry
from services.notifications.service.commands import UserAccess
from services.notifications.service.users import UserCopy

USER_ACCESS_TYPE = events_pb2.UserAccessChanged.DESCRIPTOR.full_name


def user_access(entries: list[Entry]) -> list[UserAccess]:
    """The membership changes among a batch of stream entries (other event types skipped)."""
    changes = []
    for _entry_id, fields in entries:
        if fields.get(b"type", b"").decode() != USER_ACCESS_TYPE or b"event" not in fields:
            continue
        change = events_pb2.UserAccessChanged.FromString(fields[b"event"])
        changes.append(
            UserAccess(
                user_id=change.user_id,
                account_id=change.account_id,
                email=change.email,
                role=change.role,
                billing_access=change.billing_access,
                billing_emails=change.billing_emails,
                removed=change.removed,
                version=change.version,
            )
        )
    return changes


def user_access_handler(users: UserCopy) -> Callable[[list[Entry]], None]:
    def handle(entries: list[Entry]) -> None:
        users.apply(user_access(entries))

    return handle
