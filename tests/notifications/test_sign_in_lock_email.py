"""A user whose sign-in the gateway locks after failed attempts is told by email, once per
lock, until when: through the real gateway and notifications service (with the others) and an
SMTP server on this machine."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import httpx
import pytest
import redis

from services.gateway.domain.access import Role
from tests.gateway.stack import BACKENDS, Stack, start_stack
from tests.harness.redis_servers import RedisServer
from tests.notifications.receivers import MailBox, wait_for

PASSWORD = "the right password"
LOCK_AFTER = 3
# A logical Redis database of this module's own, so its stack shares no streams.
REDIS_DB = 9


@pytest.fixture(scope="module")
def mailbox() -> Iterator[MailBox]:
    box = MailBox().start()
    yield box
    box.stop()


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer, mailbox: MailBox
) -> Iterator[Stack]:
    folder: Path = tmp_path_factory.mktemp("sign-in-lock-email")
    urls = {name: f"sqlite:///{folder / name}.db" for name in (*BACKENDS, "gateway")}
    redis_url = f"redis://127.0.0.1:{redis_server.port}/{REDIS_DB}"
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()
    settings = {
        "SMTP_URL": mailbox.url,
        "GATEWAY_SIGN_IN_FREE_FAILURES": str(LOCK_AFTER),
        "GATEWAY_SIGN_IN_LOCK_AFTER": str(LOCK_AFTER),
        "GATEWAY_SIGN_IN_LOCK_SECONDS": "600",
        "GATEWAY_SIGN_IN_ADDRESS_FREE_FAILURES": "50",
        "GATEWAY_SIGN_IN_ADDRESS_LOCK_AFTER": "100",
    }
    running = start_stack(urls, redis_url, settings)
    yield running
    running.stop()


def sign_in(stack: Stack, email: str, password: str) -> httpx.Response:
    with stack.client() as client:
        return client.post("/v1/auth/tokens", json={"email": email, "password": password})


def plain_text(mail: Message) -> str:
    for part in mail.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            return payload.decode() if isinstance(payload, bytes) else ""
    return ""


def test_a_locked_user_is_emailed_once_until_when(stack: Stack, mailbox: MailBox) -> None:
    account = f"lock-{uuid.uuid4().hex[:6]}"
    email = f"owner@{account}.test"
    stack.create_account(account)
    stack.admin.add_user(email, PASSWORD, account, Role.OWNER, False)
    answers = [sign_in(stack, email, "wrong").status_code for _ in range(LOCK_AFTER)]
    assert answers == [401] * LOCK_AFTER
    locked = sign_in(stack, email, PASSWORD)
    assert locked.status_code == 429 and "locked" in locked.json()["error"]["message"]
    # More attempts while locked are no new lock: still one email.
    assert sign_in(stack, email, "wrong").status_code == 429

    [mail] = wait_for(lambda: mailbox.to(email), timeout_s=15)
    assert mail["Subject"].startswith("Sign-in to your billing account is locked until ")
    until = mail["Subject"].removeprefix("Sign-in to your billing account is locked until ")
    assert until.endswith(" UTC") and len(until) == len("2026-12-01 11:05 UTC")
    text = plain_text(mail)
    assert f"After {LOCK_AFTER} failed sign-ins in a row, signing in as {email}" in text
    assert "Account:" not in text  # a notice to the user, not the account's billing mail
    # Nobody else is told: not the account's billing contacts, not a webhook.
    time.sleep(1.0)
    assert mailbox.to(email) == [mail]
    assert [m for m in mailbox.messages if until in str(m["Subject"])] == [mail]


def test_a_lock_for_an_unknown_address_tells_nobody(stack: Stack, mailbox: MailBox) -> None:
    email = f"nobody-{uuid.uuid4().hex[:6]}@nowhere.test"
    for _ in range(LOCK_AFTER):
        assert sign_in(stack, email, "guess").status_code == 401
    assert sign_in(stack, email, "guess").status_code == 429
    time.sleep(1.5)
    assert mailbox.to(email) == []
