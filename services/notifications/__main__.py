"""python -m services.notifications: the notifications gRPC server and its workers."""

from services.common.grpc_server import run
from services.notifications.bootstrap import build

DEFAULT_PORT = 50054

if __name__ == "__main__":
    run("notifications", DEFAULT_PORT, build)
