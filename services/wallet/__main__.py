"""python -m services.wallet: the wallet gRPC server."""

from services.common.grpc_server import run
from services.wallet.bootstrap import build

DEFAULT_PORT = 50052

if __name__ == "__main__":
    run("wallet", DEFAULT_PORT, build)
