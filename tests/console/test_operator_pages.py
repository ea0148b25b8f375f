"""The operator's view in headless Chromium against the real stack: an operator finds an account
among 10,000 others, credits a bank transfer with its reference and reason, sees the balance
change and the audit entry, grants credit; a customer never sees these pages and is refused
(403) when going to them. First-render times are printed (pytest -s), not asserted."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from selenium.webdriver.common.by import By

from tests.console.browser import Browser
from tests.console.seed import BULK, PASSWORD
from tests.console.stack import ConsoleStack

TRANSFER = "form[aria-label='Credit a bank transfer']"
CREDIT = "form[aria-label='Grant promotional credit']"


@pytest.fixture(scope="module")
def operator(console: ConsoleStack, browser: Browser) -> Browser:
    browser.sign_in(console.seeded.ops.operator, PASSWORD)
    return browser


def open_account(page: Browser, account_id: str) -> float:
    """The account's page by its address; returns the seconds until its first render."""
    page.open("operator-accounts")
    started = time.perf_counter()
    page.driver.execute_script("location.hash = arguments[0]", f"#/operator-account/{account_id}")
    page.wait_until(
        lambda: (
            page.find("#page").get_attribute("data-page") == "operator-account"
            and page.find("#page").get_attribute("data-ready") == "true"
        )
    )
    return time.perf_counter() - started


def available(page: Browser) -> str:
    return page.find("[data-figure=available-USD] .value").text


def rows(page: Browser, listing: str) -> list[str]:
    return [row.text for row in page.find_all(f"[data-list={listing}] tbody tr")]


def fill(page: Browser, form: str, values: dict[str, str]) -> None:
    for name, value in values.items():
        element = page.find(f"{form} [name={name}]")
        element.clear()
        if value:
            element.send_keys(value)


def test_operators_see_only_the_operator_pages(console: ConsoleStack, operator: Browser) -> None:
    links = [link.get_attribute("data-page") for link in operator.find_all("#nav a")]
    assert links == ["operator-accounts"]
    assert "operator" in operator.text("#who")
    assert operator.console_errors() == []


def test_find_an_account_among_many(console: ConsoleStack, operator: Browser) -> None:
    ops = console.seeded.ops
    operator.open("operator-account")  # no account chosen: to measure Accounts afresh
    first_render = operator.open("operator-accounts")
    in_page = operator.render_ms()
    assert len(rows(operator, "accounts")) == 25
    print(
        f"\noperator accounts, first page of {BULK + 4:,} accounts: "
        f"{first_render * 1000:.0f} ms (in the page: {in_page} ms)"
    )
    search = operator.find("input[name=query]")
    search.send_keys(ops.target_name.upper()[:14])
    operator.find("form[aria-label='Find an account'] button[type=submit]").click()
    operator.wait_until(lambda: rows(operator, "accounts") and len(rows(operator, "accounts")) == 1)
    assert ops.target_account in rows(operator, "accounts")[0]
    # By the start of its id as well; many matches come a page at a time.
    search.clear()
    search.send_keys("shop0")
    operator.find("form[aria-label='Find an account'] button[type=submit]").click()
    operator.wait_until(lambda: "shop00000" in operator.text("[data-list=accounts]"))
    assert len(rows(operator, "accounts")) == 25
    operator.button("Next page").click()
    operator.wait_until(lambda: "shop00025" in operator.text("[data-list=accounts]"))
    search.clear()
    search.send_keys(ops.target_account)
    operator.find("form[aria-label='Find an account'] button[type=submit]").click()
    operator.wait_until(
        lambda: len(operator.find_all(f"a[data-account='{ops.target_account}']")) == 1
    )
    operator.find(f"a[data-account='{ops.target_account}']").click()
    operator.wait_until(
        lambda: (
            operator.find("#page").get_attribute("data-page") == "operator-account"
            and operator.find("#page").get_attribute("data-ready") == "true"
        )
    )
    assert operator.text("[data-fact=account-id]") == ops.target_account


def test_credit_a_bank_transfer_with_its_reason(console: ConsoleStack, operator: Browser) -> None:
    target = console.seeded.ops.target_account
    open_account(operator, target)
    before = available(operator)
    assert before == "0.00 USD"
    # Everything is required: nothing is sent without a reason.
    fill(operator, TRANSFER, {"amount": "1250.50", "transfer_reference": "BANK-2026-0001"})
    operator.find(f"{TRANSFER} button[type=submit]").click()
    operator.wait_text(f"{TRANSFER} .error", "Reason is required")
    fill(operator, TRANSFER, {"amount": "12.1234567", "reason": "Wire received"})
    operator.find(f"{TRANSFER} button[type=submit]").click()
    operator.wait_text(f"{TRANSFER} .error", "at most 6 decimals")
    assert available(operator) == before

    fill(operator, TRANSFER, {"amount": "1250.000001", "reason": "Wire received 1 Dec"})
    # One submission sent twice (a double submit, a retry): the same key, credited once.
    operator.driver.execute_script(
        "const form = document.querySelector(arguments[0]);"
        "form.requestSubmit(); form.requestSubmit();",
        TRANSFER,
    )
    operator.wait_text("#toast", "Credited 1,250.000001 USD")
    operator.wait_until(lambda: available(operator) == "1,250.000001 USD")
    operator.wait_until(lambda: "BANK-2026-0001" in operator.text("[data-list=top-ups]"))
    top_ups = [r for r in rows(operator, "top-ups") if "BANK-2026-0001" in r]
    assert len(top_ups) == 1 and "1,250.000001" in top_ups[0] and "bank transfer" in top_ups[0]
    # Newest first: the transfer's legs lead the ledger.
    assert "1,250.000001" in rows(operator, "ledger")[0]
    operator.wait_until(lambda: "TopUp" in operator.text("[data-list=audit]"))
    entry = next(r for r in rows(operator, "audit") if "TopUp" in r)
    assert "Wire received 1 Dec" in entry and console.seeded.ops.operator in entry
    assert operator.console_errors() == []
    # The same reference again is refused, naming the field; the balance stays.
    fill(
        operator,
        TRANSFER,
        {"amount": "5", "transfer_reference": "BANK-2026-0001", "reason": "Second try"},
    )
    operator.find(f"{TRANSFER} button[type=submit]").click()
    operator.wait_text(f"{TRANSFER} .error", "transfer_reference")
    assert available(operator) == "1,250.000001 USD"
    operator.console_errors()  # read: the 409 above is logged by the browser


def test_grant_promotional_credit_with_a_reason(console: ConsoleStack, operator: Browser) -> None:
    open_account(operator, console.seeded.ops.target_account)
    expires = (dt.date.today() + dt.timedelta(days=90)).isoformat()
    fill(operator, CREDIT, {"credit_amount": "25", "credit_reason": "Launch promotion"})
    operator.driver.execute_script(
        "arguments[0].value = arguments[1]", operator.find(f"{CREDIT} [name=expire_date]"), expires
    )
    operator.find(f"{CREDIT} button[type=submit]").click()
    operator.wait_text("#toast", "Granted 25.00 USD of credit")
    operator.wait_until(lambda: "GrantCredit" in operator.text("[data-list=audit]"))
    entry = next(r for r in rows(operator, "audit") if "GrantCredit" in r)
    assert "Launch promotion" in entry


def test_first_render_of_an_account_with_ten_thousand_entries(
    console: ConsoleStack, operator: Browser
) -> None:
    seconds = open_account(operator, console.seeded.big_account)
    in_page = operator.render_ms()
    print(
        f"\noperator account page, {BULK:,} ledger entries, newest first: "
        f"{seconds * 1000:.0f} ms (in the page: {in_page} ms)"
    )
    ledger = rows(operator, "ledger")
    assert len(ledger) == 25
    # The newest bulk entry (the last written) comes first.
    assert f"bulk-{(BULK - 1) // 2}" in ledger[0]
    operator.find_all("[data-list=ledger] .pager button")[1].click()
    operator.wait_until(
        lambda: f"bulk-{(BULK - 1) // 2 - 12}" in operator.text("[data-list=ledger]")
    )


def test_a_customer_never_sees_operator_pages_and_is_refused(
    console: ConsoleStack, browser: Browser
) -> None:
    browser.sign_in(console.seeded.owner, PASSWORD)
    links = [link.get_attribute("data-page") for link in browser.find_all("#nav a")]
    assert not [link for link in links if link and link.startswith("operator")]
    assert "Operator" not in browser.text("#nav")
    browser.open("operator-accounts")
    browser.wait_for("[data-notice=operators-only]")
    assert "403" in browser.text("[data-notice=operators-only]")
    assert browser.find_all("[data-list=accounts] tbody tr") == []
    browser.open("invoices")
    browser.driver.execute_script(
        "location.hash = arguments[0]", f"#/operator-account/{console.seeded.account}"
    )
    browser.wait_until(
        lambda: (
            browser.find("#page").get_attribute("data-page") == "operator-account"
            and browser.find_all("[data-notice=operators-only]")
        )
    )
    assert browser.find_all(TRANSFER) == []
    status = browser.driver.execute_script(
        "return fetch('/v1/accounts?query=a', {headers: {Authorization: 'Bearer ' + "
        "sessionStorage.getItem('billing.console.token')}}).then(r => r.status)"
    )
    assert status == 403
    assert browser.find_all("#page a[data-account]") == []
    assert browser.driver.find_elements(By.CSS_SELECTOR, "[data-figure^=available]") == []
