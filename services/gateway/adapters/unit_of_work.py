"""The SQL unit of work: one connection and transaction, with the gateway's repositories on it."""

from __future__ import annotations

from sqlalchemy.engine import Connection, Engine

from services.common.unit_of_work import SqlTransaction
from services.gateway.adapters.access_records import SqlAccessRecords
from services.gateway.adapters.api_keys import SqlApiKeys
from services.gateway.adapters.people import SqlPeople
from services.gateway.adapters.sign_ins import SqlSignIns
from services.gateway.service.ports.store import AccessRecords, ApiKeys, People, SignIns


class SqlUnitOfWork(SqlTransaction):
    keys: ApiKeys
    people: People
    sign_ins: SignIns
    access: AccessRecords

    def _bind(self, connection: Connection) -> None:
        self.keys = SqlApiKeys(connection)
        self.people = SqlPeople(connection)
        self.sign_ins = SqlSignIns(connection)
        self.access = SqlAccessRecords(connection)


class SqlUnitsOfWork:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._engine)
