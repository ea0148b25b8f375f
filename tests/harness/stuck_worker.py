"""python -m tests.harness.stuck_worker [--hang-on-close]: a service process (the shared runtime,
no RPCs) whose one worker's step never returns, as a Redis or gRPC call hung past every budget
would; with --hang-on-close, its workers stop but closing a connection never returns."""

from __future__ import annotations

import logging
import sys
import threading

from services.common.background import Loop
from services.common.config import Env
from services.common.grpc_server import App, run

log = logging.getLogger(__name__)
NEVER = threading.Event()


def hang() -> int:
    NEVER.wait()
    return 0


def never_closes() -> None:
    NEVER.wait()


def closes() -> None:
    log.info("connections closed")


def build(_env: Env) -> App:
    workers = [Loop("idle", lambda: 0, 0.01)]
    if "--hang-on-close" in sys.argv:
        return App(bindings=[], workers=workers, on_close=[never_closes])
    return App(bindings=[], workers=[Loop("stuck-step", hang, 0.01), *workers], on_close=[closes])


if __name__ == "__main__":
    run("stuck", 0, build)
