from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.notifications.receivers import MailBox, Receiver


@pytest.fixture
def mailbox() -> Iterator[MailBox]:
    box = MailBox().start()
    yield box
    box.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()
