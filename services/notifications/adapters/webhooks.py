"""POSTing one signed webhook (Standard Webhooks: webhook-id, webhook-timestamp,
webhook-signature, HMAC-SHA256 by the `standardwebhooks` package) and reporting what came back."""

from __future__ import annotations

import datetime as dt
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass

import httpx
from standardwebhooks.webhooks import Webhook

from services.notifications.domain.targets import TargetRefused, address_allowed, checked_url

EXCERPT_CHARS = 500
MAX_RESPONSE_BYTES = 4_096
USER_AGENT = "billing-notifications/1"


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int  # 0: no answer
    latency_ms: int
    excerpt: str

    @property
    def succeeded(self) -> bool:
        return 200 <= self.status_code < 300


def signature(secrets: Sequence[str], webhook_id: str, at: dt.datetime, body: str) -> str:
    """Every secret's signature, space-separated (during a rotation's overlap there are two)."""
    return " ".join(Webhook(secret).sign(webhook_id, at, body) for secret in secrets)


class WebhookSender:
    def __init__(self, timeout_s: float, allow_private: bool) -> None:
        self._allow_private = allow_private
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
            if not self._allow_private:
                for address in _addresses(host, port):
                    address_allowed(address, False)
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
        try:
            with self._client.stream("POST", url, content=body.encode(), headers=headers) as answer:
                text = _read_some(answer)
                return Outcome(answer.status_code, _elapsed_ms(started), text[:EXCERPT_CHARS])
        except httpx.HTTPError as error:
            kind = type(error).__name__
            return Outcome(0, _elapsed_ms(started), f"{kind}: {error}"[:EXCERPT_CHARS])


def _read_some(answer: httpx.Response) -> str:
    chunks: list[bytes] = []
    size = 0
    for chunk in answer.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_RESPONSE_BYTES:
            break
    return b"".join(chunks)[:MAX_RESPONSE_BYTES].decode("utf-8", errors="replace")


def _addresses(host: str, port: int) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port)})


def _elapsed_ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
