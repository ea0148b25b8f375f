"""The notifications service in this process on real Redis and SQL, with its clock stepped:
signed deliveries, retries over days with the same webhook-id, replay, secret rotation,
refused targets, email to the billing contacts."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import redis
from billing.common.v1 import money_pb2
from billing.gateway.v1 import events_pb2 as gateway_events
from billing.wallet.v1 import wallet_service_pb2 as wallet

from services.common import event_streams, outbox
from services.common.clock import SteppedClock
from services.common.config import Env
from services.common.errors import InvalidArgument
from services.notifications.adapters.mail import SmtpMailer
from services.notifications.bootstrap import Notifications, assemble
from services.notifications.service.commands import (
    DeliveryQuery,
    DeliveryRef,
    EndpointRef,
    FailedReplay,
    NewEndpoint,
    PageRequest,
    SecretRotation,
)
from services.notifications.service.intake import FAILED, SUCCEEDED
from tests.notifications.receivers import MailBox, Receiver

DAY_MS = 86_400_000


class Directory:
    """Invoicing as the email sender asks it (outside this service)."""

    def billing_email(self, account_id: str) -> str:
        return f"billing@{account_id}.example"

    def invoice_pdf(self, account_id: str, invoice_id: str) -> bytes:
        return b"%PDF-1.4 " + invoice_id.encode()


@dataclass
class Under:
    service: Notifications
    clock: SteppedClock
    events: redis.Redis

    def publish(self, stream: str, event_id: str, message: object) -> None:
        item = outbox.event(stream, event_id, message)  # type: ignore[arg-type]
        self.events.xadd(stream, {"event": item.event, "type": item.type, "event_id": event_id})

    def consume(self) -> int:
        return sum(consumer.drain() for consumer in self.service.consumers.values())


@pytest.fixture
def under(database_url: str, redis_url: str, mailbox: MailBox) -> Iterator[Under]:
    env = Env(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "NOTIFICATIONS_ALLOW_PRIVATE_TARGETS": "true",
            "NOTIFICATIONS_WORKERS": "false",
        }
    )
    clock = SteppedClock()
    service = assemble(
        env,
        clock=clock,
        mailer=SmtpMailer(mailbox.url, "billing@provider.example", 5),
        directory=Directory(),
    )
    client = redis.Redis.from_url(redis_url)
    yield Under(service, clock, client)
    client.close()
    service.close()


def low_balance(account: str, event_id: str = "ev-low-1") -> wallet.BalanceAlert:
    alert = wallet.BalanceAlert(
        event_id=event_id,
        account_id=account,
        kind="low_balance",
        available=money_pb2.Money(currency_code="USD", amount_micros=1_250_000),
    )
    alert.occur_time.GetCurrentTime()
    return alert


def endpoint(under: Under, receiver: Receiver, account: str, path: str) -> str:
    created = under.service.endpoints.create(
        NewEndpoint(account_id=account, url=receiver.url(path))
    )
    receiver.secrets[path] = created.secret
    return created.endpoint.endpoint_id


def test_an_event_is_a_signed_webhook_and_an_email_once(
    under: Under, receiver: Receiver, mailbox: MailBox
) -> None:
    endpoint(under, receiver, "acme", "/hooks")
    alert = low_balance("acme")
    under.publish(event_streams.WALLET_ALERTS.name, alert.event_id, alert)
    under.publish(event_streams.WALLET_ALERTS.name, alert.event_id, alert)  # delivered twice
    under.consume()
    assert under.service.dispatcher.step() == 1
    assert under.service.emails.step() == 1
    [got] = receiver.at("/hooks")
    assert got.verified and got.webhook_id.startswith("msg_")
    assert got.payload["type"] == "balance.low"
    assert got.payload["data"]["available"]["amount_micros"] == "1250000"
    [mail] = mailbox.to("billing@acme.example")
    assert "USD 1.25" in mail["Subject"]
    assert {part.get_content_type() for part in mail.walk()} >= {"text/plain", "text/html"}
    assert under.service.dispatcher.step() == 0 and under.service.emails.step() == 0


def test_retries_back_off_for_three_days_with_one_webhook_id_then_replay(
    under: Under, receiver: Receiver
) -> None:
    endpoint_id = endpoint(under, receiver, "acme", "/down")
    receiver.status["/down"] = 500
    alert = low_balance("acme")
    under.publish(event_streams.WALLET_ALERTS.name, alert.event_id, alert)
    under.consume()
    dispatcher = under.service.dispatcher
    attempts, waits = 0, []
    started = under.clock.now_ms()
    while under.clock.now_ms() - started < 4 * DAY_MS:
        if dispatcher.step():
            attempts += 1
            waits.append(under.clock.now_ms())
        under.clock.step(60_000 if attempts < 10 else 3_600_000)
    received = receiver.at("/down")
    assert len(received) == attempts and attempts > 10
    assert {r.webhook_id for r in received} == {received[0].webhook_id}
    assert all(r.verified for r in received)
    gaps = [b - a for a, b in itertools.pairwise(waits)]
    assert gaps[-1] > 4 * 3_600_000  # backed off to hours
    assert waits[-1] - started <= 3 * DAY_MS + 3_600_000
    listed = under.service.endpoints.deliveries(
        DeliveryQuery(account_id="acme", endpoint_id=endpoint_id)
    )
    [delivery] = listed.deliveries
    assert delivery.state == FAILED
    assert delivery.attempt_count == attempts and delivery.attempts[0].status_code == 500
    receiver.status["/down"] = 200
    replayed = under.service.endpoints.replay_failed(
        FailedReplay(account_id="acme", endpoint_id=endpoint_id, since_ms=started)
    )
    assert replayed == 1
    assert dispatcher.step() == 1
    assert receiver.at("/down")[-1].webhook_id == received[0].webhook_id
    again = under.service.endpoints.delivery(
        DeliveryRef(account_id="acme", endpoint_id=endpoint_id, delivery_id=delivery.delivery_id)
    )
    assert again.state == SUCCEEDED


def test_an_endpoint_failing_for_days_is_disabled_and_the_billing_email_told(
    under: Under, receiver: Receiver, mailbox: MailBox
) -> None:
    endpoint_id = endpoint(under, receiver, "acme", "/gone")
    receiver.status["/gone"] = 503
    for day in range(7):
        alert = low_balance("acme", f"ev-{day}")
        under.publish(event_streams.WALLET_ALERTS.name, alert.event_id, alert)
        under.consume()
        for _ in range(30):
            under.service.dispatcher.step()
            under.clock.step(3_600_000)
    shown = under.service.endpoints.get(EndpointRef(account_id="acme", endpoint_id=endpoint_id))
    assert not shown.enabled and "failed since" in shown.disabled_reason
    under.service.emails.step()
    subjects = [m["Subject"] for m in mailbox.to("billing@acme.example")]
    assert "A webhook endpoint was disabled" in subjects


def test_rotation_signs_with_both_secrets_during_the_overlap(
    under: Under, receiver: Receiver
) -> None:
    endpoint_id = endpoint(under, receiver, "acme", "/old")
    rotated = under.service.endpoints.rotate(
        SecretRotation(
            account_id="acme", endpoint_id=endpoint_id, overlap_seconds=3600, idempotency_key="r1"
        )
    )
    again = under.service.endpoints.rotate(
        SecretRotation(
            account_id="acme", endpoint_id=endpoint_id, overlap_seconds=3600, idempotency_key="r1"
        )
    )
    assert again.secret == rotated.secret != receiver.secrets["/old"]
    for n, path_secret in enumerate((receiver.secrets["/old"], rotated.secret)):
        receiver.secrets["/old"] = path_secret
        alert = low_balance("acme", f"ev-rot-{n}")
        under.publish(event_streams.WALLET_ALERTS.name, alert.event_id, alert)
        under.consume()
        under.service.dispatcher.step()
    assert [r.verified for r in receiver.at("/old")] == [True, True]
    under.clock.step(3_600_001)  # the old secret no longer signs
    receiver.secrets["/old"] = "whsec_" + "QUJD" * 8
    alert = low_balance("acme", "ev-rot-late")
    under.publish(event_streams.WALLET_ALERTS.name, alert.event_id, alert)
    under.consume()
    under.service.dispatcher.step()
    assert receiver.at("/old")[-1].verified is False


def test_private_and_plain_http_targets_are_refused_unless_allowed(
    database_url: str, redis_url: str
) -> None:
    service = assemble(
        Env(
            {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "NOTIFICATIONS_WORKERS": "false"}
        ),
        directory=Directory(),
    )
    try:
        for url in (
            "http://hooks.example.com/x",
            "https://127.0.0.1/x",
            "https://10.1.2.3/x",
            "https://169.254.169.254/latest",
            "https://[::1]/x",
            "https://localhost/x",
        ):
            with pytest.raises(InvalidArgument) as refused:
                service.endpoints.create(NewEndpoint(account_id="acme", url=url))
            assert refused.value.field == "url"
        made = service.endpoints.create(
            NewEndpoint(account_id="acme", url="https://hooks.example.com/x")
        )
        assert made.secret.startswith("whsec_")
    finally:
        service.close()


def test_users_who_opted_in_with_billing_access_get_the_email(
    under: Under, mailbox: MailBox
) -> None:
    def user(user_id: str, email: str, billing: bool, opted: bool, version: int) -> None:
        change = gateway_events.UserAccessChanged(
            event_id=f"u-{user_id}-{version}",
            user_id=user_id,
            account_id="acme",
            email=email,
            role="agent",
            billing_access=billing,
            billing_emails=opted,
            version=version,
        )
        under.publish(event_streams.GATEWAY_USERS.name, change.event_id, change)

    user("u1", "ann@acme.example", True, True, 1)
    user("u2", "bob@acme.example", False, True, 1)  # no billing access
    user("u3", "cy@acme.example", True, False, 1)  # not opted in
    user("u3", "cy@acme.example", True, True, 3)
    user("u3", "cy@acme.example", True, False, 2)  # older: ignored
    alert = low_balance("acme")
    under.publish(event_streams.WALLET_ALERTS.name, alert.event_id, alert)
    under.consume()
    under.service.emails.step()
    to = sorted(m["To"] for m in mailbox.messages)
    assert to == ["ann@acme.example", "billing@acme.example", "cy@acme.example"]


def test_creates_racing_on_one_idempotency_key_make_one_endpoint(
    under: Under, receiver: Receiver
) -> None:
    gate = threading.Barrier(4)

    def create(_n: int) -> tuple[str, str]:
        gate.wait()
        made = under.service.endpoints.create(
            NewEndpoint(account_id="racer", url=receiver.url("/race"), idempotency_key="k1")
        )
        return made.endpoint.endpoint_id, made.secret

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = set(pool.map(create, range(4)))
    assert len(answers) == 1
    listed = under.service.endpoints.list("racer", PageRequest())
    assert [e.endpoint_id for e in listed.endpoints] == [answers.pop()[0]]
