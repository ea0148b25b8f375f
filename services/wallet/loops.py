"""python -m services.wallet.loops: the wallet's background loops without the wallet's API.

Run the projector (or any loops named in WALLET_LOOPS) apart from the serving processes, so
that projecting to SQL does not share a Python interpreter with the send path. The process
answers only the stock gRPC health check (WALLET_LOOPS_PORT, default 50062), for probes.
"""

from __future__ import annotations

from services.common.config import Env
from services.common.grpc_server import App, run
from services.wallet.bootstrap import assemble, running_loops

DEFAULT_PORT = 50062


def build(env: Env) -> App:
    wallet = assemble(env)
    wallet.observe()
    return App(bindings=[], workers=running_loops(wallet), on_close=[wallet.close])


if __name__ == "__main__":
    run("wallet-loops", DEFAULT_PORT, build, prefix="WALLET_LOOPS")
