"""Outside parties for the notifications tests: a real SMTP server (aiosmtpd) and a real HTTP
receiver that verifies each webhook's signature with the `standardwebhooks` package."""

from __future__ import annotations

import email
import json
import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.harness.ports import free_port


@dataclass
class Received:
    webhook_id: str
    payload: dict[str, Any]
    verified: bool
    at: float
    path: str
    host: str = ""


class MailBox:
    """aiosmtpd on a free loopback port; every message kept, parsed."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.arrived: list[float] = []
        self._lock = threading.Lock()
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.messages.append(email.message_from_bytes(envelope.content))
            self.arrived.append(time.monotonic())
        return "250 OK"

    def start(self) -> MailBox:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def to(self, address: str) -> list[Message]:
        with self._lock:
            return [m for m in self.messages if m["To"] == address]


@dataclass
class Receiver:
    """A webhook receiver: verifies signatures with the secret of each path; answers with the
    status of that path (200 by default), after a delay when one is set."""

    secrets: dict[str, str] = field(default_factory=dict)
    status: dict[str, int] = field(default_factory=dict)
    delay_s: float = 0.0
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k: v for k, v in self.headers.items()}
                receiver.take(self.path, body, headers)
                if receiver.delay_s:
                    time.sleep(receiver.delay_s)
                code = receiver.status.get(self.path, 200)
                try:
                    self.send_response(code)
                    self.send_header("content-length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender went away (killed mid-delivery)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def take(self, path: str, body: bytes, headers: dict[str, str]) -> None:
        secret = self.secrets.get(path)
        verified = False
        if secret:
            try:
                Webhook(secret).verify(body, headers)
                verified = True
            except WebhookVerificationError:
                verified = False
        lowered = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            self.received.append(
                Received(
                    lowered.get("webhook-id", ""),
                    json.loads(body),
                    verified,
                    time.monotonic(),
                    path,
                    lowered.get("host", ""),
                )
            )

    def at(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path == path]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_for(check: Any, timeout_s: float = 10.0, step_s: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError("the condition did not come true in time")
        time.sleep(step_s)
