"""python -m services.invoicing: the invoicing gRPC server."""

from services.common.grpc_server import run
from services.invoicing.bootstrap import build

DEFAULT_PORT = 50053

if __name__ == "__main__":
    run("invoicing", DEFAULT_PORT, build)
