"""A reader group too far behind on a money stream reaches a person: the lag alert becomes an
email to the operators' address, through the notifications service on real Redis and SQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from services.common.clock import SteppedClock
from services.common.config import Env
from services.common.lag_alerts import KIND
from services.notifications.adapters.mail import SmtpMailer
from services.notifications.bootstrap import assemble
from tests.common.test_lag_alerts import CHARGES, charges, watching
from tests.notifications.receivers import MailBox


class Directory:
    """Invoicing as the email sender asks it (outside this service); unused by operators' mail."""

    def billing_email(self, account_id: str) -> str:
        return f"billing@{account_id}.example"

    def invoice_pdf(self, account_id: str, invoice_id: str) -> bytes:
        return b"%PDF-1.4 " + invoice_id.encode()


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    connected = redis.Redis.from_url(redis_url)
    yield connected
    connected.close()


def test_the_alert_reaches_the_operators_by_email(
    client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    box = MailBox().start()
    notifications = assemble(
        Env(
            {
                "DATABASE_URL": f"sqlite:///{tmp_path / 'notifications.db'}",
                "REDIS_URL": redis_url,
                "NOTIFICATIONS_WORKERS": "false",
                "NOTIFICATIONS_OPERATORS_EMAIL": "ops@provider.example",
            }
        ),
        clock=SteppedClock(),
        mailer=SmtpMailer(box.url, "billing@provider.example", 5),
        directory=Directory(),
    )
    try:
        charges(client, 4)
        assert watching(client, SteppedClock()).step() == 1
        for consumer in notifications.consumers.values():
            consumer.drain()
        assert notifications.emails.step() == 1
        [mail] = box.to("ops@provider.example")
        assert KIND in mail["Subject"] and CHARGES.name in mail["Subject"]
    finally:
        notifications.close()
        box.stop()
