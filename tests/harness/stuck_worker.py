"""python -m tests.harness.stuck_worker [--hang-on-close]: a service process (the shared runtime,
no RPCs) whose one worker's step never returns, as a Redis or gRPC call hung past every budget
would; with --hang-on-close, closing a connection never returns either."""

from __future__ import annotations

import sys
import threading

from services.common.background import Loop
from services.common.config import Env
from services.common.grpc_server import App, run

NEVER = threading.Event()


def hang() -> int:
    NEVER.wait()
    return 0


def never_closes() -> None:
    NEVER.wait()


def build(_env: Env) -> App:
    workers = [Loop("stuck-step", hang, 0.01), Loop("idle", lambda: 0, 0.01)]
    on_close = [never_closes] if "--hang-on-close" in sys.argv else []
    return App(bindings=[], workers=workers, on_close=on_close)


if __name__ == "__main__":
    run("stuck", 0, build)
