"""The audit log every service keeps of its own actions: append-only, in its own database.

An entry says who acted (an operator, a customer's user or key, a service by itself, or the
system), through which credential and caller, when, on which account and object, what changed
(before and after, as JSON) and why. Each service makes its table with audit_table() and creates
it in a migration with create_audit_table() (which also makes the database refuse UPDATE and
DELETE on it); AuditLog records and lists entries.

Entries are listed newest first, by a keyset cursor (occur time in microseconds, entry id), so
the gateway can merge the logs of several services page by page with one cursor.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from billing.common.v1 import audit_pb2
from google.protobuf import json_format
from google.protobuf.message import Message
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from services.common import service_auth, validation
from services.common.errors import BillingError, InvalidArgument
from services.common.service_auth import Identity

MAX_JSON_LENGTH = 65_536
MAX_REASON_LENGTH = service_auth.MAX_REASON_LENGTH
OPERATOR = "operator"
CUSTOMER = "customer"
SERVICE = "service"
SYSTEM = "system"
ResponseT = TypeVar("ResponseT", bound=Message)


def audit_table(metadata: sa.MetaData, prefix: str) -> sa.Table:
    return sa.Table(f"{prefix}_audit_entries", metadata, *_columns(), *_indexes(prefix))


def _columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("entry_id", sa.String(32), primary_key=True),
        sa.Column("occur_us", sa.BigInteger, nullable=False),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(128), nullable=False),
        sa.Column("actor_name", sa.String(320), nullable=False),
        sa.Column("actor_role", sa.String(16), nullable=False),
        sa.Column("credential_id", sa.String(128), nullable=False),
        sa.Column("caller", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(MAX_REASON_LENGTH), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("before_json", sa.Text, nullable=False),
        sa.Column("after_json", sa.Text, nullable=False),
        # A retried request is recorded once: (action, request_key) is unique when set.
        sa.Column("request_key", sa.String(400), nullable=True),
    ]


def _indexes(prefix: str) -> list[sa.Index | sa.UniqueConstraint]:
    return [
        sa.Index(f"{prefix}_audit_by_time", "occur_us", "entry_id"),
        sa.Index(f"{prefix}_audit_by_account", "account_id", "occur_us", "entry_id"),
        sa.UniqueConstraint("action", "request_key", name=f"{prefix}_audit_once"),
    ]


def create_audit_table(op: Any, prefix: str) -> None:
    """For a migration: the table, its indexes, and triggers refusing UPDATE and DELETE.

    The columns are the ones audit_table() declares today: a later change to them is a new
    migration of each service, not an edit of this function."""
    name = f"{prefix}_audit_entries"
    columns = _columns()
    op.create_table(
        name, *columns, sa.UniqueConstraint("action", "request_key", name=f"{prefix}_audit_once")
    )
    op.create_index(f"{prefix}_audit_by_time", name, ["occur_us", "entry_id"])
    op.create_index(f"{prefix}_audit_by_account", name, ["account_id", "occur_us", "entry_id"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {name}_no_{event.lower()} BEFORE {event} ON {name} "
                f"BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            f"CREATE FUNCTION {name}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE ON {name} "
            f"FOR EACH ROW EXECUTE FUNCTION {name}_append_only()"
        )


def drop_audit_table(op: Any, prefix: str) -> None:
    name = f"{prefix}_audit_entries"
    op.drop_table(name)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {name}_append_only()")


@dataclass(frozen=True)
class Actor:
    kind: str
    id: str
    name: str = ""
    credential_id: str = ""
    caller: str = ""
    role: str = ""

    @classmethod
    def of(cls, identity: Identity | None) -> Actor:
        """Who acts on the call being served: its principal, else the calling service."""
        if identity is None:
            return cls(SYSTEM, "system")
        principal = identity.principal
        if principal is None:
            return cls(SERVICE, identity.caller, identity.caller, identity.caller, identity.caller)
        return cls(
            principal.kind,
            principal.subject,
            principal.name,
            principal.credential_id,
            identity.caller,
            principal.role,
        )


@dataclass(frozen=True)
class Entry:
    """What to record; the log adds the entry id, the time and the service."""

    action: str
    account_id: str
    actor: Actor
    reason: str = ""
    target: str = ""
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    # The request's idempotency key (scoped as the action scopes it): recorded once per key.
    request_key: str = ""


class AuditLog:
    def __init__(
        self,
        engine: Engine,
        table: sa.Table,
        service: str,
        clock_us: Callable[[], int] = lambda: time.time_ns() // 1000,
    ) -> None:
        self._engine = engine
        self._table = table
        self._service = service
        self._clock_us = clock_us

    def record(self, entry: Entry, connection: Connection | None = None) -> bool:
        """Append the entry (inside `connection`'s transaction when given); False when the
        same action and request key were recorded already (a retry)."""
        values = {
            "entry_id": uuid.uuid4().hex,
            "occur_us": self._clock_us(),
            "service": self._service,
            "action": entry.action[:100],
            "account_id": entry.account_id[:128],
            "actor_kind": entry.actor.kind[:16],
            "actor_id": entry.actor.id[:128],
            "actor_name": entry.actor.name[:320],
            "actor_role": entry.actor.role[:16],
            "credential_id": entry.actor.credential_id[:128],
            "caller": entry.actor.caller[:32],
            "reason": entry.reason[:MAX_REASON_LENGTH],
            "target": entry.target[:200],
            "before_json": _json(entry.before),
            "after_json": _json(entry.after),
            "request_key": entry.request_key[:400] or None,
        }
        insert = self._table.insert().values(**values)
        try:
            if connection is not None:
                with connection.begin_nested():
                    connection.execute(insert)
            else:
                with self._engine.begin() as own:
                    own.execute(insert)
        except IntegrityError:
            if entry.request_key:
                return False
            raise
        return True

    def page(self, account_id: str, page_size: int, page_token: str) -> tuple[list[Any], str]:
        """Rows newest first, and the cursor of the next page ("" after the last)."""
        validation.optional_id(account_id, "account_id")
        limit = page_size or validation.DEFAULT_PAGE_SIZE
        if not 0 < limit <= validation.MAX_PAGE_SIZE:
            raise InvalidArgument("page_size", f"must be 0 to {validation.MAX_PAGE_SIZE}")
        table = self._table
        query = sa.select(table).order_by(table.c.occur_us.desc(), table.c.entry_id.desc())
        if account_id:
            query = query.where(table.c.account_id == account_id)
        if page_token:
            occur_us, entry_id = parse_cursor(page_token)
            query = query.where(
                sa.or_(
                    table.c.occur_us < occur_us,
                    sa.and_(table.c.occur_us == occur_us, table.c.entry_id < entry_id),
                )
            )
        with self._engine.connect() as connection:
            rows = connection.execute(query.limit(limit)).mappings().all()
        last = rows[-1] if len(rows) == limit else None
        return list(rows), cursor(last["occur_us"], last["entry_id"]) if last else ""

    def list_messages(
        self, account_id: str, page_size: int, page_token: str
    ) -> tuple[list[audit_pb2.AuditEntry], str]:
        rows, token = self.page(account_id, page_size, page_token)
        return [to_message(row) for row in rows], token

    def around(
        self,
        action: str,
        request: Any,
        run: Callable[[], ResponseT],
        *,
        before: Callable[[], Any] | None = None,
        after: Callable[[ResponseT], Any] | None = None,
        target: Callable[[ResponseT], str] | None = None,
        account_id: str = "",
    ) -> ResponseT:
        """Run a use case for the call being served and record it once it succeeded.

        An operator's act needs a reason: the request's `reason` field, or the one the
        principal carries; without one nothing runs (INVALID_ARGUMENT naming `reason`). The
        entry is written after the action commits, keyed by the request's idempotency key, so
        a retry after a crash in between records what the first attempt did not.
        """
        identity = service_auth.current_identity()
        reason = str(getattr(request, "reason", "") or "") or (identity.reason if identity else "")
        acting_operator = identity is not None and identity.operator and not identity.as_service
        if acting_operator and not reason.strip():
            raise InvalidArgument("reason", "an operator gives a reason for every change")
        state_before = None
        if before is not None:
            # A failure here is the action's own failure: it reports it below.
            with contextlib.suppress(BillingError):
                state_before = _as_dict(before())
        response = run()
        account = account_id or str(getattr(request, "account_id", "") or "")
        key = str(getattr(request, "idempotency_key", "") or "")
        self.record(
            Entry(
                action=action,
                account_id=account,
                actor=Actor.of(identity),
                reason=reason,
                target=target(response) if target is not None else "",
                before=state_before,
                after=_as_dict(after(response) if after is not None else response),
                request_key=f"{account}:{key}" if key else "",
            )
        )
        return response


def merge(
    pages: list[tuple[list[audit_pb2.AuditEntry], str]], limit: int
) -> tuple[list[audit_pb2.AuditEntry], str]:
    """Pages that several logs answered for the same cursor, as one page and its cursor."""
    entries = [entry for found, _ in pages for entry in found]
    entries.sort(key=lambda e: (e.occur_time.ToMicroseconds(), e.entry_id), reverse=True)
    shown = entries[:limit]
    more = len(entries) > limit or any(token for _, token in pages)
    last = shown[-1] if shown else None
    token = cursor(last.occur_time.ToMicroseconds(), last.entry_id) if more and last else ""
    return shown, token


def entry_json(entry: audit_pb2.AuditEntry) -> dict[str, Any]:
    """An entry as people read it: before and after as objects."""
    actor = entry.actor
    return {
        "entry_id": entry.entry_id,
        "occur_time": entry.occur_time.ToJsonString(),
        "service": entry.service,
        "action": entry.action,
        "account_id": entry.account_id,
        "actor": {
            "kind": actor.kind,
            "id": actor.id,
            "name": actor.name,
            "role": actor.role,
            "credential_id": actor.credential_id,
            "caller": actor.caller,
        },
        "reason": entry.reason,
        "target": entry.target,
        "before": json.loads(entry.before_json or "{}"),
        "after": json.loads(entry.after_json or "{}"),
    }


def cursor(occur_us: int, entry_id: str) -> str:
    return f"{occur_us}.{entry_id}"


def parse_cursor(token: str) -> tuple[int, str]:
    occur, dot, entry_id = token.partition(".")
    if not dot or not occur.isdigit() or len(occur) > 20 or not entry_id.isalnum():
        raise InvalidArgument("page_token", "is not a token this list gave")
    return int(occur), entry_id[:32]


def to_message(row: Mapping[str, Any]) -> audit_pb2.AuditEntry:
    entry = audit_pb2.AuditEntry(
        entry_id=row["entry_id"],
        service=row["service"],
        action=row["action"],
        account_id=row["account_id"],
        actor=audit_pb2.AuditActor(
            kind=row["actor_kind"],
            id=row["actor_id"],
            name=row["actor_name"],
            credential_id=row["credential_id"],
            caller=row["caller"],
            role=row["actor_role"],
        ),
        reason=row["reason"],
        target=row["target"],
        before_json=row["before_json"],
        after_json=row["after_json"],
    )
    entry.occur_time.FromMicroseconds(row["occur_us"])
    return entry


def _as_dict(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, Message):
        converted: dict[str, Any] = json_format.MessageToDict(
            value, preserving_proto_field_name=True
        )
        return converted
    return dict(value)


def _json(value: Mapping[str, Any] | None) -> str:
    text = json.dumps(value or {}, sort_keys=True, separators=(",", ":"), default=str)
    if len(text) > MAX_JSON_LENGTH:
        return json.dumps({"truncated": True, "length": len(text)})
    return text
