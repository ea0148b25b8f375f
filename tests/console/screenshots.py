"""`make console-screenshots`: the console's pages on a seeded stack, one PNG each.

Usage: python -m tests.console.screenshots [FOLDER] (default docs/console).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.console.browser import Browser, available
from tests.console.seed import PASSWORD, Stubs, refuse_a_campaign
from tests.console.stack import ConsoleStack, console_stack
from tests.harness.redis_servers import RedisServer
from tests.notifications.receivers import Receiver, wait_for

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
                    webhooks_and_operators(browser, running, folder)
                finally:
                    browser.close()
        finally:
            redis_server.stop()
    return 0


def webhooks_and_operators(browser: Browser, running: ConsoleStack, folder: Path) -> None:
    """Notifications with a real delivery (to a receiver run here), then the operators' view."""
    ops = running.seeded.ops
    receiver = Receiver()
    stubs = Stubs.of(running.stack)
    try:
        browser.sign_in(ops.hooks_owner, PASSWORD)
        browser.open("notifications")
        form = "form[aria-label='Add an endpoint']"
        for path, kind in (("/alerts", "balance.low"), ("/finance", "campaign.refused")):
            browser.wait_for(f"{form} input[name=url]").send_keys(receiver.url(path))
            browser.find(f"{form} input[name=description]").send_keys(f"{path[1:]} systems")
            browser.find(f"{form} input[value='{kind}']").click()
            browser.find(f"{form} button[type=submit]").click()
            browser.wait_until(lambda: path in browser.text("[data-list=endpoints]"))  # noqa: B023
        refuse_a_campaign(stubs, ops.hooks_account, "spring-sale")
        wait_for(lambda: receiver.at("/finance"), timeout_s=15)
        browser.screenshot(folder / "notifications.png")
        browser.button(f"Deliveries of {receiver.url('/finance')}").click()
        browser.wait_until(lambda: "succeeded" in browser.text("[data-list=deliveries]"))
        browser.screenshot(folder / "webhook-deliveries.png")
        browser.sign_in(ops.operator, PASSWORD)
        browser.open("operator-accounts")
        browser.find("input[name=query]").send_keys("shop0001")
        browser.find("form[aria-label='Find an account'] button[type=submit]").click()
        browser.wait_until(lambda: "shop00019" in browser.text("[data-list=accounts]"))
        browser.screenshot(folder / "operator-accounts.png")
        browser.driver.execute_script(
            "location.hash = arguments[0]", f"#/operator-account/{ops.target_account}"
        )
        transfer = "form[aria-label='Credit a bank transfer']"
        browser.wait_for(f"{transfer} [name=amount]").send_keys("1250.50")
        browser.find(f"{transfer} [name=transfer_reference]").send_keys("HDFC-UTR-8841207")
        browser.find(f"{transfer} [name=reason]").send_keys("NEFT received 1 December")
        browser.find(f"{transfer} button[type=submit]").click()
        browser.wait_until(lambda: "TopUp" in browser.text("[data-list=audit]"))
        browser.screenshot(folder / "operator-account.png")
        for name in (
            "notifications",
            "webhook-deliveries",
            "operator-accounts",
            "operator-account",
        ):
            print(f"{folder / name}.png")
    finally:
        stubs.close()
        receiver.stop()


if __name__ == "__main__":
    raise SystemExit(main())
