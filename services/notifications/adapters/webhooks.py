"""POSTing one signed webhook (Standard Webhooks: webhook-id, webhook-timestamp,
webhook-signature, HMAC-SHA256 by the `standardwebhooks` package) and reporting what came back.

The target's name is resolved once: the addresses checked are the addresses connected to (the
request goes to the checked address, with the name in the Host header and TLS server name), so a
name that answers a public address to the check and a private one to the connection (DNS
rebinding) cannot reach inside."""

from __future__ import annotations

import datetime as dt
import socket
import time
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit, urlunsplit

import httpx
from standardwebhooks.webhooks import Webhook

from services.notifications.domain.targets import TargetRefused, address_allowed, checked_url
from services.notifications.service.ports import Outcome

EXCERPT_CHARS = 500
MAX_RESPONSE_BYTES = 4_096
USER_AGENT = "billing-notifications/1"

Resolver = Callable[[str, int], list[str]]


def signature(secrets: Sequence[str], webhook_id: str, at: dt.datetime, body: str) -> str:
    """Every secret's signature, space-separated (during a rotation's overlap there are two)."""
    return " ".join(Webhook(secret).sign(webhook_id, at, body) for secret in secrets)


class WebhookSender:
    def __init__(
        self, timeout_s: float, allow_private: bool, resolve: Resolver | None = None
    ) -> None:
        self._allow_private = allow_private
        self._resolve = resolve or resolved_addresses
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout_s),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=128),
            headers={"user-agent": USER_AGENT},
        )

    def close(self) -> None:
        self._client.close()

    def send(self, url: str, webhook_id: str, body: str, secrets: Sequence[str]) -> Outcome:
        started = time.perf_counter()
        try:
            host, port = checked_url(url, self._allow_private)
            address = self._checked_address(host, port)
        except TargetRefused as refused:
            return Outcome(0, 0, f"target refused: {refused}")
        except OSError as error:
            return Outcome(0, _elapsed_ms(started), f"address not resolved: {error}")
        now = dt.datetime.now(dt.UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature(secrets, webhook_id, now, body),
        }
        pinned, extensions = _pinned(url, host, address)
        if pinned != url:
            headers["host"] = _host_header(url)
        try:
            with self._client.stream(
                "POST", pinned, content=body.encode(), headers=headers, extensions=extensions
            ) as answer:
                text = _read_some(answer)
                return Outcome(answer.status_code, _elapsed_ms(started), text[:EXCERPT_CHARS])
        except httpx.HTTPError as error:
            kind = type(error).__name__
            return Outcome(0, _elapsed_ms(started), f"{kind}: {error}"[:EXCERPT_CHARS])

    def _checked_address(self, host: str, port: int) -> str:
        """The one address to connect to; every address the name has must be acceptable."""
        addresses = self._resolve(host, port)
        if not addresses:
            raise OSError(f"{host} has no address")
        for address in addresses:
            address_allowed(address, self._allow_private)
        return addresses[0]


def _pinned(url: str, host: str, address: str) -> tuple[str, dict[str, str]]:
    """The URL aimed at the checked address, and the TLS server name to verify against."""
    parts = urlsplit(url)
    if address == host.strip("[]"):
        return url, {}
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    return pinned, ({"sni_hostname": host} if parts.scheme.lower() == "https" else {})


def _host_header(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


def _read_some(answer: httpx.Response) -> str:
    chunks: list[bytes] = []
    size = 0
    for chunk in answer.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_RESPONSE_BYTES:
            break
    return b"".join(chunks)[:MAX_RESPONSE_BYTES].decode("utf-8", errors="replace")


def resolved_addresses(host: str, port: int) -> list[str]:
    """The name's addresses, IPv4 first (the system resolver's order otherwise)."""
    found: list[str] = []
    for info in socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM):
        address = str(info[4][0])
        if address not in found:
            found.append(address)
    return sorted(found, key=lambda address: ":" in address)


def _elapsed_ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
