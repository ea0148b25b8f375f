"""One stack, one seeded account and one browser for every scenario of the console."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.console.browser import Browser, available
from tests.console.stack import ConsoleStack, console_stack
from tests.harness.redis_servers import RedisServer


@pytest.fixture(scope="module")
def console(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[ConsoleStack]:
    if not available():
        pytest.skip("needs Debian's chromium and chromium-driver (.ci/run installs them)")
    with console_stack(tmp_path_factory.mktemp("console"), redis_server.port) as running:
        yield running


@pytest.fixture(scope="module")
def browser(console: ConsoleStack) -> Iterator[Browser]:
    opened = Browser(console.url)
    yield opened
    opened.close()
