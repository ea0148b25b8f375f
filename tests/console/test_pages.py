"""The console in headless Chromium against the real stack: one scenario per page.

Each signs in as a person would, sees what the seed created through gRPC, does the page's
action and sees the result. The render timings over 10,000 invoices and ledger entries are
printed (pytest -s shows them), not asserted.
"""

from __future__ import annotations

import pytest
from billing.wallet.v1 import wallet_service_pb2 as wal
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from tests.console.browser import Browser
from tests.console.seed import PASSWORD, Stubs
from tests.console.stack import ConsoleStack

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
    "notifications",
)


@pytest.fixture(scope="module")
def owner(console: ConsoleStack, browser: Browser) -> Browser:
    browser.sign_in(console.seeded.owner, PASSWORD)
    return browser


def test_sign_in_is_keyboard_only_and_shows_only_permitted_pages(
    console: ConsoleStack, browser: Browser
) -> None:
    browser.driver.get(f"{console.url}/console")
    browser.driver.execute_script("sessionStorage.clear()")
    browser.driver.get(f"{console.url}/console")
    email = browser.wait_for("#email")
    email.send_keys(console.seeded.owner, Keys.TAB, PASSWORD, Keys.ENTER)
    browser.wait_until(lambda: browser.find("#page").get_attribute("data-ready") == "true")
    links = [link.get_attribute("data-page") for link in browser.find_all("#nav a")]
    assert links == list(PAGES)
    assert console.seeded.account in browser.text("#who")
    policy = browser.driver.execute_script(
        "return fetch('/console').then(r => r.headers.get('content-security-policy'))"
    )
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "stripe" not in policy
    assert browser.console_errors() == []


def test_an_agent_without_billing_access_sees_a_message_not_errors(
    console: ConsoleStack, browser: Browser
) -> None:
    browser.sign_in(console.seeded.agent_without_billing, PASSWORD)
    browser.wait_for("[data-notice=no-billing]")
    assert "don't have access to billing" in browser.text()
    assert browser.find_all("#nav a") == []
    assert browser.find_all(".error") == [] or all(not e.text for e in browser.find_all(".error"))
    browser.sign_in(console.seeded.owner, PASSWORD)


def test_invoices_filter_download_and_pay_by_card(console: ConsoleStack, owner: Browser) -> None:
    owner.open("invoices")
    seeded = console.seeded
    owner.wait_text("[data-list=invoices]", seeded.open_invoice_number)
    assert seeded.paid_invoice_number in owner.text()
    Select(owner.find("select[name=status]")).select_by_visible_text("Open")
    owner.find("form.filters button[type=submit]").click()
    owner.wait_until(lambda: seeded.paid_invoice_number not in owner.text("[data-list=invoices]"))
    owner.button(f"Download PDF of {seeded.open_invoice_number}").click()
    pdf = owner.wait_download(".pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    owner.button(f"Pay {seeded.open_invoice_number} by card").click()
    owner.wait_for(f"form[aria-label='Pay {seeded.open_invoice_number}'] button").click()
    owner.wait_text("#toast", "is paid")
    Select(owner.find("select[name=status]")).select_by_visible_text("Paid")
    owner.find("form.filters button[type=submit]").click()
    owner.wait_text("[data-list=invoices]", seeded.open_invoice_number)


def test_subscription_shows_plan_anniversary_and_cancels(
    console: ConsoleStack, owner: Browser
) -> None:
    owner.open("subscription")
    owner.wait_text("#page", console.seeded.plan_name)
    assert "day 10 of every month" in owner.text("[data-fact=billing-day]")
    assert "active" in owner.text()
    owner.button("Cancel subscription").click()
    owner.accept_confirmation()
    owner.wait_text("#page", "cancelled")


def test_payment_methods_set_the_default(owner: Browser) -> None:
    owner.open("payment-methods")
    owner.wait_text("#page", "···· 5555")
    owner.button("Make card ending 5555 the default").click()
    owner.wait_text("#toast", "ending 5555 is now the default")
    owner.wait_until(
        lambda: (
            not any(
                "Make card ending 5555" in (b.get_attribute("aria-label") or "")
                for b in owner.find_all("#page button")
            )
        )
    )


def test_credits_history_and_remaining(owner: Browser) -> None:
    owner.open("credits")
    owner.wait_text("#page", "Welcome credit")
    assert "$10.00" in owner.text("[data-figure=credit-USD]")


def test_balance_per_phone_number_with_chart_and_transactions(
    console: ConsoleStack, owner: Browser
) -> None:
    owner.open("balance")
    owner.wait_text("#page", console.seeded.channel_phone)
    stubs = Stubs.of(console.stack)
    try:
        balances = stubs.wallet.GetBalance(
            wal.GetBalanceRequest(account_id=console.seeded.account), timeout=10
        ).balances
    finally:
        stubs.close()
    total = sum(b.available_micros for b in balances if b.currency_code == "USD")
    assert f"${total / 1_000_000:,.2f}" in owner.text("[data-figure=total-USD]")
    assert owner.find_all("[data-chart='Balance per phone number'] rect")
    owner.wait_text("[data-list=ledger]", "top up")


def test_usage_history_tabs_show_the_upper_limit_and_active_contacts(owner: Browser) -> None:
    owner.open("usage-history")
    owner.wait_text("[data-figure=upper-limit]", "20")
    assert len(owner.find_all("figure.chart rect")) >= 5
    owner.driver.find_element(By.XPATH, "//button[@role='tab'][.='Unique users']").click()
    owner.wait_text("[data-figure=active-users]", "20")


def test_monthly_usage_and_approximate_charges(owner: Browser) -> None:
    owner.open("monthly-usage")
    owner.wait_text("[data-figure=month-to-date]", "$")
    assert owner.find_all("[data-chart='Messages per month: all, free and paid'] rect")
    Select(owner.find("select[name=channel_id]")).select_by_visible_text("+919000011111")
    owner.find("form.filters button[type=submit]").click()
    owner.wait_text("[data-figure=month-to-date]", "$0.00")


def test_usage_report_rows_and_csv_export(console: ConsoleStack, owner: Browser) -> None:
    owner.open("usage-report")
    owner.wait_text("#page", f"{console.seeded.account}.sales.ch-main")
    assert "CUSTOMER_PHONE" in owner.text()
    owner.find("form.filters .secondary").click()
    exported = owner.wait_download(".csv").read_text()
    assert exported.splitlines()[0].upper().startswith("CONN_ID")


def test_pricing_by_market_and_a_quote(owner: Browser) -> None:
    owner.open("pricing")
    owner.find("input[name=market]").send_keys("India", Keys.ENTER)
    owner.wait_text("#page", "India")
    # The account's own price list: India marketing at 0.015 USD.
    assert "$0.015" in owner.text()
    owner.find("input[name=recipient]").send_keys("+919812345678", Keys.ENTER)
    owner.wait_text("[data-figure=quote]", "India")
    assert "$0.015" in owner.text("[data-figure=quote]")
    assert "meta" not in owner.text().lower()


def test_channels_allocate_and_delete_returning_days(owner: Browser) -> None:
    owner.open("channels")
    owner.wait_text("#page", "+919000011111")
    # 90 days seeded, 30 allocated, and 60 more once the partner invoice was paid by card.
    pool = int(owner.text("[data-figure=pool-days] .value").replace(",", ""))
    assert pool in (60, 120)
    days = owner.find("input[name=days]")
    days.clear()
    days.send_keys("10", Keys.ENTER)
    owner.wait_text("[data-figure=pool-days] .value", str(pool - 10))
    owner.button("Delete channel +919000011111").click()
    owner.accept_confirmation()
    owner.wait_text("#toast", "days returned to the pool")
    owner.wait_until(lambda: "+919000011111" not in owner.text())


def test_organization_details_are_edited(owner: Browser) -> None:
    owner.open("organization")
    name = owner.wait_for("input[name=business_name]")
    assert "Retail" in (name.get_attribute("value") or "")
    name.clear()
    name.send_keys("Acme Stores Pvt Ltd", Keys.ENTER)
    owner.wait_text("#toast", "saved")
    owner.open("invoices")
    owner.open("organization")
    owner.wait_until(
        lambda: (
            owner.find("input[name=business_name]").get_attribute("value") == "Acme Stores Pvt Ltd"
        )
    )


def test_team_invite_rerole_and_remove(console: ConsoleStack, owner: Browser) -> None:
    owner.open("team")
    newcomer = f"newcomer@{console.seeded.account}.example"
    owner.find("form[aria-label='Invite a teammate'] input[name=email]").send_keys(newcomer)
    owner.find("form[aria-label='Invite a teammate'] button").click()
    owner.wait_text("#page", "it is shown once")
    role = Select(owner.find(f"select[aria-label='Role of {newcomer}']"))
    role.select_by_value("admin")
    owner.wait_text("#toast", "is now admin")
    owner.button(f"Remove {newcomer}").click()
    owner.accept_confirmation()
    owner.wait_until(lambda: newcomer not in owner.text("table"))


def test_first_render_with_ten_thousand_invoices_and_ledger_entries(
    console: ConsoleStack, browser: Browser
) -> None:
    browser.sign_in(console.seeded.big_owner, PASSWORD)
    timings = {}
    for page in PAGES:
        browser.open("team" if page != "team" else "invoices")
        seconds = browser.open(page)
        timings[page] = (seconds, browser.render_ms())
    print("\nconsole first render, 10,000 invoices and 10,000 ledger entries behind it:")
    for page, (seconds, render_ms) in timings.items():
        print(f"  {page:16s} {seconds * 1000:7.0f} ms (in the page: {render_ms} ms)")
    browser.open("invoices")
    assert "BULK-" in browser.text()
    assert len(browser.find_all("[data-list=invoices] tbody tr")) == 25
    browser.sign_in(console.seeded.owner, PASSWORD)
