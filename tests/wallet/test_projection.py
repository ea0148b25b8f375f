"""Projecting a batch of ledger stream entries into SQL, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa

from services.common import db
from services.wallet.adapters import tables
from services.wallet.adapters.ledger_sql import balances_of, record_reservations
from services.wallet.adapters.settlement_work import SqlSettlementWorks
from services.wallet.bootstrap import MIGRATIONS
from services.wallet.service.projection import decode, project


def _entry(n: int, kind: str, reservation: str, amount: int, **extra: str) -> tuple[bytes, dict]:
    fields = {
        "k": kind,
        "a": "acct-1",
        "c": "",
        "cur": "USD",
        "ref": reservation,
        "amt": str(amount),
        "at": str(1_000 + n),
        **extra,
    }
    return f"{n}-0".encode(), {key.encode(): value.encode() for key, value in fields.items()}


def _reservations(engine: sa.Engine) -> dict[str, tuple[str, int]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                tables.reservations.c.reservation_id,
                tables.reservations.c.state,
                tables.reservations.c.committed_micros,
            )
        ).all()
    return {row[0]: (row[1], row[2]) for row in rows}


def test_holds_and_settlements_of_one_batch_are_written_once_in_order(database_url: str) -> None:
    engine = db.create_engine(database_url)
    db.migrate(engine, MIGRATIONS)
    holds = [_entry(n, "hold", f"r-{n}", 1_000, m=f"m-{n}", e="9999") for n in range(300)]
    batch = [
        *holds,
        _entry(300, "commit", "r-0", 1_000, act="600"),
        _entry(301, "release", "r-1", 1_000),
        _entry(302, "free", "m-free", 0),
    ]
    works = SqlSettlementWorks(engine)
    facts = project(works, batch)
    assert len(facts) == len(batch)
    found = _reservations(engine)
    assert len(found) == 300
    assert found["r-0"] == ("committed", 600)
    assert found["r-1"] == ("released", 0)
    assert found["r-2"] == ("held", 0)
    # A replay of the batch (at least once delivery) writes nothing new, and a late hold does
    # not turn a settled reservation back into held.
    project(works, batch)
    project(works, holds[:2])
    assert _reservations(engine) == found
    with engine.connect() as connection:
        entries = connection.execute(
            sa.select(sa.func.count()).select_from(tables.ledger_entries)
        ).scalar_one()
        money = {b.ledger_account: b.balance_micros for b in balances_of(connection, "acct-1")}
    assert entries == 2 * 300 + 3 + 2 + 2  # holds, the commit, the release, the free send
    assert money["customer:acct-1:held:USD"] == 298 * 1_000
    assert money["customer:acct-1:money:USD"] == -300 * 1_000 + 400 + 1_000
    engine.dispose()


def test_the_first_settlement_of_a_reservation_in_a_batch_is_the_one_kept(
    database_url: str,
) -> None:
    engine = db.create_engine(database_url)
    db.migrate(engine, MIGRATIONS)
    facts = [
        decode(fields)
        for _id, fields in [
            _entry(0, "hold", "r-0", 1_000, m="m-0", e="9999"),
            _entry(1, "commit", "r-0", 1_000, act="700"),
            _entry(2, "release", "r-0", 1_000),
        ]
    ]
    with engine.begin() as connection:
        record_reservations(connection, facts)
    assert _reservations(engine) == {"r-0": ("committed", 700)}
    engine.dispose()


def test_the_projector_loop_steps_again_at_once_only_while_a_batch_was_full(
    database_url: str, redis_url: str
) -> None:
    from tests.wallet.conftest import _serve, wallet_env

    for wallet in _serve(wallet_env(database_url, redis_url, WALLET_WORKER_BATCH="2")):
        account = wallet.create_account()
        wallet.top_up(account, 10**9)
        projector = wallet.wallet.projector
        projector.drain()
        for n in range(3):
            wallet.authorise(account, f"m-{n}")
        assert projector.step_in_batches() == 2  # a full batch: more may be waiting
        assert projector.step_in_batches() == 0  # the rest, written, and nothing left behind
        assert projector.step() == 0
        with wallet.wallet.engine.connect() as connection:
            held = connection.execute(
                sa.select(sa.func.count())
                .select_from(tables.reservations)
                .where(tables.reservations.c.account_id == account)
            ).scalar_one()
        assert held == 3
