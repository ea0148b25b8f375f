"""The Notifications page in headless Chromium against the real stack: an owner adds a webhook
endpoint, a real event reaches an HTTP receiver the test runs and shows in the delivery log,
is replayed; failed deliveries are replayed since a time; an agent is told who manages them."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By

from tests.console.browser import Browser
from tests.console.seed import PASSWORD, Stubs, refuse_a_campaign
from tests.console.stack import ConsoleStack
from tests.notifications.receivers import Receiver, wait_for


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stubs(console: ConsoleStack) -> Iterator[Stubs]:
    opened = Stubs.of(console.stack)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def owner(console: ConsoleStack, browser: Browser) -> Browser:
    browser.sign_in(console.seeded.ops.hooks_owner, PASSWORD)
    return browser


def add_endpoint(page: Browser, url: str, description: str, event_type: str) -> str:
    """Fills the form as a person would; returns the secret shown once."""
    page.open("notifications")
    form = "form[aria-label='Add an endpoint']"
    page.wait_for(f"{form} input[name=url]").send_keys(url)
    page.find(f"{form} input[name=description]").send_keys(description)
    page.find(f"{form} input[value='{event_type}']").click()
    page.find(f"{form} button[type=submit]").click()
    page.wait_until(lambda: url in page.text("[data-list=endpoints]"))
    page.wait_until(lambda: url in page.text("[data-secret=shown]"))
    return page.find("[data-secret-value]").text


def delivery_rows(page: Browser) -> list[dict[str, str]]:
    rows = []
    for row in page.find_all("[data-list=delivery-rows] tbody tr"):
        ids = row.find_elements(By.CSS_SELECTOR, "[data-delivery-id]")
        if not ids:
            continue
        rows.append(
            {
                "id": ids[0].text,
                "state": row.find_element(By.CSS_SELECTOR, "[data-delivery-state]").get_attribute(
                    "data-delivery-state"
                )
                or "",
                "attempts": row.find_element(By.CSS_SELECTOR, "[data-attempts]").text,
                "code": row.find_element(By.CSS_SELECTOR, "[data-response-code]").get_attribute(
                    "data-response-code"
                )
                or "",
                "text": row.text,
            }
        )
    return rows


def refreshed_rows(page: Browser, check) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    """Presses Refresh until the log shows what `check` wants."""
    found: list[dict[str, str]] = []

    def shown() -> bool:
        if not page.find_all("[data-list=delivery-rows] .pager"):
            return False  # the log is still loading
        page.button("Refresh").click()
        page.wait_until(lambda: page.find_all("[data-list=delivery-rows] table"))
        found[:] = delivery_rows(page)
        return bool(check(found))

    page.wait_until(shown, timeout_s=30)
    return found


def test_an_agent_is_told_who_manages_webhooks(console: ConsoleStack, browser: Browser) -> None:
    browser.sign_in(console.seeded.ops.hooks_agent, PASSWORD)
    links = [link.get_attribute("data-page") for link in browser.find_all("#nav a")]
    assert "notifications" not in links and "invoices" in links
    browser.open("notifications")
    browser.wait_for("[data-notice=no-webhooks]")
    assert "owner and admins" in browser.text()
    assert browser.console_errors() == []
    # The page is not all that stands in the way: the API refuses an agent.
    status = browser.driver.execute_script(
        "return fetch('/v1/webhook-event-types', {headers: {Authorization: 'Bearer ' + "
        "sessionStorage.getItem('billing.console.token')}}).then(r => r.status)"
    )
    assert status == 403
    browser.console_errors()  # read: the refusal above is logged by the browser


def test_a_real_delivery_arrives_shows_in_the_log_and_is_replayed(
    console: ConsoleStack, owner: Browser, receiver: Receiver, stubs: Stubs
) -> None:
    account = console.seeded.ops.hooks_account
    links = [link.get_attribute("data-page") for link in owner.find_all("#nav a")]
    assert "notifications" in links
    path = "/console-hooks"
    url = receiver.url(path)
    secret = add_endpoint(owner, url, "Finance systems", "campaign.refused")
    assert secret.startswith("whsec_")
    receiver.secrets[path] = secret
    # Every type is offered, each with what it announces.
    assert len(owner.find_all("form[aria-label='Add an endpoint'] input[name=event_types]")) >= 18
    assert "refused for lack of funds" in owner.text("form[aria-label='Add an endpoint']")

    refuse_a_campaign(stubs, account, "console-campaign")
    [first] = wait_for(lambda: receiver.at(path), timeout_s=15)
    assert first.verified and first.payload["type"] == "campaign.refused"

    owner.button(f"Deliveries of {url}").click()
    owner.wait_text("[data-list=deliveries] h2", url)
    [row] = refreshed_rows(owner, lambda rows: rows and rows[0]["state"] == "succeeded")
    assert row["id"] == first.webhook_id
    assert "campaign.refused" in row["text"]
    assert row["attempts"] == "1" and row["code"] == "200"

    owner.button(f"Replay delivery {first.webhook_id}").click()
    owner.wait_text("#toast", "sent again")
    second = wait_for(lambda: receiver.at(path)[1:], timeout_s=15)[0]
    assert second.webhook_id == first.webhook_id and second.verified
    [row] = refreshed_rows(owner, lambda rows: rows and rows[0]["attempts"] == "2")
    assert row["state"] == "succeeded" and row["code"] == "200"
    assert owner.console_errors() == []


def test_failed_deliveries_are_replayed_since_a_time(
    console: ConsoleStack, owner: Browser, receiver: Receiver, stubs: Stubs
) -> None:
    path = "/console-failing"
    url = receiver.url(path)
    receiver.status[path] = 500
    receiver.secrets[path] = add_endpoint(owner, url, "Flaky receiver", "campaign.refused")
    # The console's stack announces refusals once a second per account (not once a minute).
    time.sleep(1.2)
    refuse_a_campaign(stubs, console.seeded.ops.hooks_account, "console-campaign-2")
    wait_for(lambda: receiver.at(path), timeout_s=20)
    owner.button(f"Deliveries of {url}").click()
    owner.wait_text("[data-list=deliveries] h2", url)
    refreshed_rows(owner, lambda rows: rows and rows[0]["code"] == "500")
    # Disabled by hand: its waiting delivery fails at its next attempt.
    owner.button(f"Disable {url}").click()
    owner.wait_text("#toast", "Endpoint disabled")
    refreshed_rows(owner, lambda rows: rows and rows[0]["state"] == "failed")
    receiver.status[path] = 200
    owner.button(f"Enable {url}").click()
    owner.wait_text("#toast", "Endpoint enabled")
    owner.button(f"Deliveries of {url}").click()
    owner.wait_text("[data-list=deliveries] h2", url)
    owner.find("form[aria-label='Replay failed deliveries'] button[type=submit]").click()
    owner.wait_text("#toast", "1 failed deliveries queued again")
    [row] = refreshed_rows(owner, lambda rows: rows and rows[0]["state"] == "succeeded")
    assert row["code"] == "200"
    assert len(receiver.at(path)) >= 2


def test_rotate_the_secret_and_delete_with_confirmation(
    console: ConsoleStack, owner: Browser, receiver: Receiver
) -> None:
    url = receiver.url("/console-rotate")
    first = add_endpoint(owner, url, "Rotated", "invoice.paid")
    owner.button(f"Rotate the secret of {url}").click()
    owner.accept_confirmation()
    owner.wait_text("#toast", "Secret rotated")
    owner.wait_until(lambda: "New signing secret" in owner.text("[data-secret=shown]"))
    rotated = owner.find("[data-secret-value]").text
    assert rotated.startswith("whsec_") and rotated != first
    owner.button(f"Delete {url}").click()
    owner.accept_confirmation()
    owner.wait_text("#toast", "Endpoint deleted")
    owner.wait_until(lambda: url not in owner.text("[data-list=endpoints]"))
    # Shown once: after a reload nothing shows a secret.
    owner.open("team")
    owner.open("notifications")
    assert owner.find_all("[data-secret=shown]") == []
