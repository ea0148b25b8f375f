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


def payment_screens(browser: Browser, folder: Path) -> None:
    """The card form open, and the add-funds wizard at its fees step."""
    browser.open("payment-methods")
    browser.button("Add a card").click()
    browser.wait_for("form[aria-label='Card details']")
    browser.screenshot(folder / "add-card.png")
    browser.open("balance")
    browser.button("Add funds").click()
    for step in ("Phone number", "One-time or automatic", "Balance needed"):
        browser.wait_until(
            lambda step=step: (
                browser.find("[data-wizard] [data-step]").get_attribute("data-step") == step
            )
        )
        if step == "Balance needed":
            amount = browser.find("[data-wizard] input[name=amount]")
            amount.clear()
            amount.send_keys("25.00")
        browser.find(f"[data-wizard] form[aria-label='{step}'] button[type=submit]").click()
    browser.wait_for("[data-quote]")
    browser.screenshot(folder / "add-funds.png")
    print(f"{folder / 'add-card.png'}\n{folder / 'add-funds.png'}")


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
                    payment_screens(browser, folder)
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
