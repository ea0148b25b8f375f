"""python -m services.wallet.loops: the wallet's background loops without a gRPC server.

Run the projector (or any loops named in WALLET_LOOPS) apart from the serving processes, so
that projecting to SQL does not share a Python interpreter with the send path.
"""

from __future__ import annotations

import signal
import sys
import threading

from services.common import logs
from services.common.config import ConfigError, Env
from services.wallet.bootstrap import assemble, running_loops


def main() -> int:
    env = Env()
    logs.configure("wallet-loops", env.text("LOG_LEVEL", "INFO"))
    try:
        wallet = assemble(env)
        loops = running_loops(wallet)
    except ConfigError as error:
        print(f"wallet loops: configuration error: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    signal.signal(signal.SIGINT, lambda _signum, _frame: stop.set())
    for loop in loops:
        loop.start()
    stop.wait()
    for loop in loops:
        loop.stop()
    wallet.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
