"""python -m services.metering: the metering gRPC server."""

from services.common.grpc_server import run
from services.metering.bootstrap import build

DEFAULT_PORT = 50051

if __name__ == "__main__":
    run("metering", DEFAULT_PORT, build)
