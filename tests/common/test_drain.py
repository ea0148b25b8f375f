"""A server's drain, in process with stand-in workers: stop() drains once and every call of it
gives the first one's answer; the connections a worker left behind may use stay open; outbox
relays are asked to stop only once the calls have drained."""

from __future__ import annotations

import threading

from services.common.grpc_server import App, RunningServer, ServerSettings
from services.common.service_auth import ServerCredentials

SETTINGS = ServerSettings(
    host="127.0.0.1",
    port=0,
    max_workers=2,
    grace_seconds=0.1,
    drain_delay_seconds=0.0,
    credentials=ServerCredentials({}, b"k" * 32),
)


class Worker:
    """A worker standing in for a loop; `hangs`: its step never ends."""

    def __init__(
        self, name: str, server: list[RunningServer], hangs: bool = False, last_step: bool = False
    ) -> None:
        self.name = name
        self.hangs = hangs
        self.last_step = last_step
        self.asked: list[str] = []  # the server's stage each time it was asked to stop
        self._server = server
        self._stopped = threading.Event()

    def start(self) -> None:
        pass

    def request_stop(self) -> None:
        self.asked.append(self._server[0].stage)
        if not self.hangs:
            self._stopped.set()

    def join(self, timeout_s: float) -> bool:
        return self._stopped.wait(max(timeout_s, 0.0))

    @property
    def stepping_for_ms(self) -> int:
        return 0


CLOSED: list[str] = []  # what closed its connections


def serving(*workers: Worker) -> RunningServer:
    CLOSED.clear()
    app = App(bindings=[], workers=workers, on_close=[lambda: CLOSED.append("redis")])
    server = RunningServer("drain", SETTINGS, app)
    for worker in workers:
        worker._server.append(server)
    server.start()
    return server


def test_stop_drains_once_and_a_second_call_gives_the_first_answer() -> None:
    holder: list[RunningServer] = []
    stuck = Worker("recharge-requests", holder, hangs=True)
    server = serving(stuck)
    assert server.stop() is False  # a worker was left behind
    assert server.stop() is False  # the first answer, not a second drain
    assert stuck.asked == ["draining"]  # asked once
    assert CLOSED == []  # not closed under the worker left behind


def test_outbox_relays_are_asked_to_stop_once_the_calls_have_drained() -> None:
    holder: list[RunningServer] = []
    consumer = Worker("recharge-requests", holder)
    relay = Worker("outbox-relay", holder, last_step=True)
    server = serving(consumer, relay)
    assert server.stop() is True
    assert CLOSED == ["redis"]
    assert consumer.asked == ["draining"]  # takes no new work while calls finish
    assert relay.asked == ["stopping workers"]  # after the calls: their commits get published
