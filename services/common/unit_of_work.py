"""The unit of work every service's SQL adapters share: one connection and one transaction,
rolled back on leaving unless committed. A service's own unit of work names its repositories
in `_bind`."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from sqlalchemy.engine import Connection, Engine, RootTransaction


class Transaction(Protocol):
    """What a use case sees of a unit of work, beside its repositories."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...


class SqlTransaction:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        self._transaction: RootTransaction | None = None

    def _bind(self, connection: Connection) -> None:
        """Makes the repositories on the opened connection."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        connection = self._engine.connect()
        self._connection = connection
        self._transaction = connection.begin()
        self._bind(connection)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            if self._transaction is not None and self._transaction.is_active:
                self._transaction.rollback()
        finally:
            if self._connection is not None:
                self._connection.close()
            self._connection = self._transaction = None

    def commit(self) -> None:
        if self._transaction is None:
            raise RuntimeError("commit outside the unit of work")
        self._transaction.commit()
