"""`make console-screenshots`: the console's pages on a seeded stack, one PNG each.

Usage: python -m tests.console.screenshots [FOLDER] (default docs/console).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.console.browser import Browser, available
from tests.console.seed import PASSWORD
from tests.console.stack import console_stack
from tests.harness.redis_servers import RedisServer

PAGES = (
    "invoices",
    "subscription",
    "payment-methods",
    "credits",
    "balance",
    "usage-history",
    "monthly-usage",
    "usage-report",
    "pricing",
    "channels",
    "organization",
    "team",
)


def main() -> int:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/console")
    if not available():
        print("needs chromium and chromium-driver: apt-get install chromium chromium-driver")
        return 2
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        redis_server = RedisServer().start()
        try:
            with console_stack(Path(scratch), redis_server.port) as running:
                browser = Browser(running.url)
                try:
                    browser.sign_in(running.seeded.owner, PASSWORD)
                    for page in PAGES:
                        browser.open(page)
                        browser.screenshot(folder / f"{page}.png")
                        print(f"{folder / page}.png")
                    browser.sign_in(running.seeded.agent_without_billing, PASSWORD)
                    browser.screenshot(folder / "no-billing-access.png")
                    browser.driver.execute_script("sessionStorage.clear()")
                    browser.driver.get(f"{running.url}/console")
                    browser.wait_for("#email")
                    browser.screenshot(folder / "sign-in.png")
                finally:
                    browser.close()
        finally:
            redis_server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
