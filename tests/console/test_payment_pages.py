"""Paying from the console in headless Chromium against the real stack (fake card provider):
cards saved through the card setup, invoices paid or declined, the add-funds wizard and
channel days requested at the contract price. What the page shows is checked against what the
services hold, read through gRPC. First-render timings are printed (pytest -s), not asserted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as inv
from billing.wallet.v1 import account_pb2
from billing.wallet.v1 import wallet_service_pb2 as wal
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from services.gateway.domain.access import Role
from tests.console.browser import Browser
from tests.console.seed import PASSWORD, Stubs
from tests.console.stack import ConsoleStack

SETUP_CARD_EXPIRY = "12/2099"
# Every request the page sends: method, URL, body and idempotency key.
RECORD_REQUESTS = """
window.sentRequests = [];
window.loseNext = null;
if (!window.fetchBeforeRecording) {
  window.fetchBeforeRecording = window.fetch;
  window.fetch = async (url, options = {}) => {
    const headers = options.headers || {};
    window.sentRequests.push([options.method || "GET", String(url), options.body || null,
      headers["Idempotency-Key"] || null]);
    const answer = await window.fetchBeforeRecording(url, options);
    if (window.loseNext && window.loseNext(String(url), options)) {
      window.loseNext = null;
      throw new TypeError("connection lost");
    }
    return answer;
  };
}
"""
LOSE_FIRST_FUNDS_ANSWER = """
window.loseNext = (url, options) => options.method === "POST" && url.endsWith("/funds");
"""


@pytest.fixture(scope="module")
def owner(console: ConsoleStack, browser: Browser) -> Browser:
    browser.sign_in(console.seeded.owner, PASSWORD)
    return browser


@pytest.fixture
def stubs(console: ConsoleStack) -> Iterator[Stubs]:
    opened = Stubs.of(console.stack)
    yield opened
    opened.close()


def available_micros(stubs: Stubs, account: str, channel: str) -> int:
    balances = stubs.wallet.GetBalance(wal.GetBalanceRequest(account_id=account), timeout=10)
    return sum(
        b.available_micros
        for b in balances.balances
        if b.channel_id == channel and b.currency_code == "USD"
    )


def cards(stubs: Stubs, account: str) -> list[tuple[str, str, bool]]:
    listed = stubs.invoicing.ListPaymentMethods(
        inv.ListPaymentMethodsRequest(account_id=account), timeout=10
    ).payment_methods
    return [(m.last4, f"{m.exp_month:02d}/{m.exp_year}", m.is_default) for m in listed]


def save_test_card(owner: Browser, value: str) -> None:
    owner.button("Add a card").click()
    chooser = owner.wait_for("form[aria-label='Card details'] select[name=test_card]")
    Select(chooser).select_by_value(value)
    owner.find("form[aria-label='Card details'] button[type=submit]").click()
    owner.wait_text("#toast", "saved")


def test_a_card_is_added_through_the_setup_made_default_and_removed(
    console: ConsoleStack, owner: Browser, stubs: Stubs
) -> None:
    account = console.seeded.account
    owner.open("payment-methods")
    owner.wait_text("#page", "···· 5555")
    save_test_card(owner, "setup")
    owner.wait_text("#page", SETUP_CARD_EXPIRY)
    assert ("4242", SETUP_CARD_EXPIRY, False) in cards(stubs, account)
    owner.button(f"Make card ending 4242 the default (expires {SETUP_CARD_EXPIRY})").click()
    owner.wait_text("#toast", "ending 4242 is now the default")
    owner.wait_until(lambda: ("4242", SETUP_CARD_EXPIRY, True) in cards(stubs, account))
    owner.button("Remove mastercard ending 5555").click()
    owner.accept_confirmation()
    owner.wait_text("#toast", "ending 5555 removed")
    owner.wait_until(lambda: "5555" not in owner.text("#page table"))
    assert [c for c in cards(stubs, account) if c[0] == "5555"] == []
    # Refusals the scenarios provoke are answered 4xx; nothing else may fail in the page.
    assert [e for e in owner.console_errors() if "Failed to load resource" not in e] == []


def save_declining_card_by_keyboard(owner: Browser) -> None:
    """Enter on the button, the arrow key to the second test card, Tab to Save, Enter."""
    owner.button("Add a card").send_keys(Keys.ENTER)
    owner.wait_for("form[aria-label='Card details'] select[name=test_card]")
    owner.wait_until(
        lambda: owner.driver.switch_to.active_element.get_attribute("name") == "test_card"
    )
    assert_labelled(owner)
    owner.driver.switch_to.active_element.send_keys(Keys.ARROW_DOWN)
    owner.wait_until(
        lambda: owner.find("select[name=test_card]").get_attribute("value") == "decline"
    )
    owner.driver.switch_to.active_element.send_keys(Keys.TAB)
    assert owner.driver.switch_to.active_element.text == "Save card"
    owner.driver.switch_to.active_element.send_keys(Keys.ENTER)
    owner.wait_text("#toast", "saved")


def assert_labelled(owner: Browser) -> None:
    """Every control on the page has an accessible name (a label, aria-label or its text)."""
    unnamed = owner.driver.execute_script(
        "return [...document.querySelectorAll('#page input, #page select, #page button')]"
        ".filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')"
        " && !e.textContent.trim()).map(e => e.outerHTML)"
    )
    assert unnamed == []


def test_an_open_invoice_is_declined_with_the_reason_then_paid_by_card(
    console: ConsoleStack, owner: Browser, stubs: Stubs
) -> None:
    number = console.seeded.open_invoice_number
    owner.open("payment-methods")
    save_declining_card_by_keyboard(owner)
    owner.wait_text("#page", "···· 0341")
    owner.open("invoices")
    owner.wait_text("[data-list=invoices]", number)
    owner.button(f"Pay {number} by card").click()
    chooser = Select(owner.wait_for(f"select[aria-label='Card to pay {number} with']"))
    assert "default" in chooser.first_selected_option.text
    chooser.select_by_visible_text(next(o.text for o in chooser.options if "ending 0341" in o.text))
    owner.find(f"form[aria-label='Pay {number}'] button[type=submit]").click()
    owner.wait_text(f"[data-outcome='{number}']", "card_declined: insufficient_funds")
    assert "open" in owner.text("[data-list=invoices]")
    invoice = find_invoice(stubs, console.seeded.account, number)
    assert invoice.status == invoice_pb2.INVOICE_STATUS_OPEN
    owner.button(f"Pay {number} by card").click()
    owner.wait_for(f"select[aria-label='Card to pay {number} with']")
    owner.find(f"form[aria-label='Pay {number}'] button[type=submit]").click()
    owner.wait_text("#toast", f"{number} is paid")
    owner.wait_until(lambda: not owner.find_all(f"button[aria-label='Pay {number} by card']"))
    invoice = find_invoice(stubs, console.seeded.account, number)
    assert invoice.status == invoice_pb2.INVOICE_STATUS_PAID


def test_a_payment_the_bank_asks_to_authenticate_is_not_completed_without_it(
    console: ConsoleStack, owner: Browser, stubs: Stubs
) -> None:
    """The fake provider has no script in the browser to ask the customer: the page says the
    payment was not completed, the invoice stays open and nothing is charged."""
    requested = stubs.invoicing.CreatePartnerDaysInvoice(
        inv.CreatePartnerDaysInvoiceRequest(
            account_id=console.seeded.account, days=3, idempotency_key="console-3ds-days"
        ),
        timeout=10,
    ).invoice
    number = requested.number
    owner.open("payment-methods")
    save_test_card(owner, "authenticate")
    owner.wait_text("#page", "···· 3155")
    owner.open("invoices")
    owner.driver.execute_script(
        "location.hash = arguments[0]", f"#/invoices?invoice={requested.invoice_id}"
    )
    owner.wait_for(f"[data-linked-invoice='{number}']")
    owner.button(f"Pay {number} by card").click()
    chooser = Select(owner.wait_for(f"select[aria-label='Card to pay {number} with']"))
    chooser.select_by_visible_text(next(o.text for o in chooser.options if "ending 3155" in o.text))
    owner.find(f"form[aria-label='Pay {number}'] button[type=submit]").click()
    owner.wait_text(f"[data-outcome='{number}']", "Payment not completed: the bank asks you")
    assert not owner.find_all(f"form[aria-label='Pay {number}']")
    invoice = find_invoice(stubs, console.seeded.account, number)
    assert invoice.status == invoice_pb2.INVOICE_STATUS_OPEN
    assert invoice.amount_due.amount_micros == requested.amount_due.amount_micros > 0


def find_invoice(stubs: Stubs, account: str, number: str) -> invoice_pb2.Invoice:
    listed = stubs.invoicing.ListInvoices(
        inv.ListInvoicesRequest(account_id=account, page_size=100), timeout=10
    ).invoices
    return next(i for i in listed if i.number == number)


def wizard_step(owner: Browser, name: str) -> None:
    owner.wait_until(
        lambda: owner.find("[data-wizard] [data-step]").get_attribute("data-step") == name
    )


def next_step(owner: Browser, name: str) -> None:
    owner.find(f"[data-wizard] form[aria-label='{name}'] button[type=submit]").click()


def test_adding_funds_once_credits_the_balance_exactly_and_a_double_submit_charges_once(
    console: ConsoleStack, owner: Browser, stubs: Stubs
) -> None:
    account = console.seeded.account
    # The provider's fee on top: 2.5% and $0.30, so what the card pays is not what is credited.
    stubs.wallet.UpdateAccount(
        wal.UpdateAccountRequest(
            account_id=account,
            profile=account_pb2.AccountProfile(
                top_up_fee=account_pb2.TopUpFee(basis_points=250, fixed_micros=300_000)
            ),
            update_mask="top_up_fee",
            idempotency_key=f"fee-{account}",
        ),
        timeout=10,
    )
    before = available_micros(stubs, account, "ch-main")
    fundings_before = len(
        stubs.invoicing.ListFundings(
            inv.ListFundingsRequest(account_id=account, page_size=100), timeout=10
        ).fundings
    )
    owner.open("balance")
    owner.button("Add funds").click()
    wizard_step(owner, "Phone number")
    Select(owner.find("[data-wizard] select[name=channel_id]")).select_by_visible_text(
        console.seeded.channel_phone
    )
    next_step(owner, "Phone number")
    wizard_step(owner, "One-time or automatic")
    assert owner.find("#mode-once").is_selected()
    next_step(owner, "One-time or automatic")
    wizard_step(owner, "Balance needed")
    owner.wait_until(lambda: owner.find("[data-estimate]").text != "")
    amount = owner.find("[data-wizard] input[name=amount]")
    amount.clear()
    amount.send_keys("12.345")
    next_step(owner, "Balance needed")
    owner.wait_text("[data-wizard-error]", "Amount to add: use at most 2 decimals")
    amount.clear()
    amount.send_keys("12.34", Keys.ENTER)
    wizard_step(owner, "Fees")
    assert_labelled(owner)
    assert owner.text("[data-quote] [data-amount]") == "$12.34"
    fee = owner.text("[data-quote] [data-fee]")
    total = owner.text("[data-quote] [data-total]")
    # 2.5% of 12.34 is 0.3085, and 0.30 fixed: 0.6085, charged in whole cents.
    assert fee == "$0.61" and total == "$12.95"
    next_step(owner, "Fees")
    wizard_step(owner, "Confirm")
    assert_labelled(owner)
    assert total in owner.text("[data-summary]")
    # The first answer is lost on the way back (the card was charged): the page says so.
    owner.driver.execute_script(RECORD_REQUESTS + LOSE_FIRST_FUNDS_ANSWER)
    submit = "[data-wizard] form[aria-label='Confirm'] button[type=submit]"
    owner.find(submit).click()
    owner.wait_text("[data-wizard-error]", "connection lost")
    # Pressed again, twice before the answer: one request, under the same key, one charge.
    owner.driver.execute_script(
        "const form = document.querySelector(\"[data-wizard] form[aria-label='Confirm']\");"
        "form.requestSubmit(); form.requestSubmit();"
    )
    wizard_step(owner, "Receipt")
    sent = owner.driver.execute_script("return window.sentRequests")
    keys = [r[3] for r in sent if r[0] == "POST" and r[1].endswith("/funds")]
    assert len(keys) == 2 and keys[0] == keys[1] and keys[0]
    owner.wait_text("[data-receipt] [data-added]", "$12.34")
    assert owner.find("[data-receipt] [data-state]").text == "paid"
    assert available_micros(stubs, account, "ch-main") == before + 12_340_000
    fundings = stubs.invoicing.ListFundings(
        inv.ListFundingsRequest(account_id=account, page_size=100), timeout=10
    ).fundings
    assert len(fundings) == fundings_before + 1
    [funding] = [f for f in fundings if f.amount.amount_micros == 12_340_000]
    assert (funding.fee.amount_micros, funding.total.amount_micros) == (610_000, 12_950_000)
    print(f"\nadd funds: $12.34 added, fee {fee}, charged {total}")
    # The balance beside the wizard is read again.
    owner.wait_until(
        lambda: (
            f"${available_micros(stubs, account, 'ch-main') / 1_000_000:,.2f}"
            in owner.text("table")
        )
    )
    owner.find("[data-wizard] a[href*='invoice=']").click()
    owner.wait_until(lambda: owner.find("#page").get_attribute("data-page") == "invoices")
    owner.wait_for("[data-linked-invoice]")
    assert "top up receipt" in owner.text("[data-linked-invoice]")


def test_automatic_renewal_is_saved_and_keeps_its_card(
    console: ConsoleStack, owner: Browser, stubs: Stubs
) -> None:
    account = console.seeded.account
    owner.open("balance")
    owner.button("Add funds").click()
    wizard_step(owner, "Phone number")
    Select(owner.find("[data-wizard] select[name=channel_id]")).select_by_visible_text(
        "+919000011111"
    )
    next_step(owner, "Phone number")
    wizard_step(owner, "One-time or automatic")
    owner.find("#mode-auto").send_keys(Keys.SPACE)
    assert_labelled(owner)
    owner.find("[data-wizard] input[name=threshold]").send_keys("5")
    owner.find("[data-wizard] input[name=recharge_amount]").send_keys("20.50")
    most = owner.find("[data-wizard] input[name=max_per_month]")
    most.clear()
    most.send_keys("3")
    next_step(owner, "One-time or automatic")
    wizard_step(owner, "Balance needed")
    next_step(owner, "Balance needed")
    wizard_step(owner, "Fees")
    assert owner.text("[data-quote] [data-amount]") == "$20.50"
    next_step(owner, "Fees")
    wizard_step(owner, "Confirm")
    assert "at most 3 times a month" in owner.text("[data-summary]")
    next_step(owner, "Confirm")
    wizard_step(owner, "Receipt")
    assert owner.text("[data-receipt] [data-state]") == "on"
    rule = stubs.wallet.GetAutoRecharge(
        wal.GetAutoRechargeRequest(account_id=account, channel_id="ch-support"), timeout=10
    ).auto_recharge
    assert (rule.enabled, rule.threshold_micros, rule.amount_micros, rule.max_per_month) == (
        True,
        5_000_000,
        20_500_000,
        3,
    )
    # The default card pays the renewals: removing it is refused, and the page says why.
    owner.open("payment-methods")
    owner.button(f"Remove visa ending 4242 (expires {SETUP_CARD_EXPIRY})").click()
    owner.accept_confirmation()
    owner.wait_text("[data-status=payment-methods]", "auto-recharge")
    assert ("4242", SETUP_CARD_EXPIRY, True) in cards(stubs, account)


def test_channel_days_are_requested_at_the_contract_price(
    console: ConsoleStack, owner: Browser, stubs: Stubs
) -> None:
    owner.open("channels")
    owner.wait_text("[data-contract=price]", "$20.00 per channel")
    owner.driver.execute_script(RECORD_REQUESTS)
    Select(owner.find("select[name=unit]")).select_by_value("days")
    quantity = owner.find("input[name=quantity]")
    quantity.clear()
    quantity.send_keys("15", Keys.ENTER)
    owner.wait_text("[data-result=request-days]", "for 15 days: $10.00")
    sent = owner.driver.execute_script("return window.sentRequests")
    [(method, _url, body, _key)] = [r for r in sent if "partner-days" in r[1]]
    assert method == "POST" and json.loads(body) == {"days": "15"}
    number = owner.find("[data-result=request-days] a").get_attribute("data-invoice") or ""
    invoice = find_invoice(stubs, console.seeded.account, number)
    assert (invoice.days, invoice.total.amount_micros) == (15, 10_000_000)
    owner.find("[data-result=request-days] a").click()
    owner.wait_for(f"[data-linked-invoice='{number}']")
    assert owner.find_all(
        f"[data-linked-invoice='{number}'] button[aria-label='Pay {number} by card']"
    )


def test_an_agent_with_billing_access_reads_but_cannot_pay(
    console: ConsoleStack, browser: Browser
) -> None:
    reader = f"reader@{console.seeded.account}.example"
    console.stack.admin.add_user(reader, PASSWORD, console.seeded.account, Role.AGENT, True)
    browser.sign_in(reader, PASSWORD)
    try:
        browser.open("payment-methods")
        browser.wait_text("#page", "···· 4242")
        assert browser.find_all("#page button") == []
        browser.open("invoices")
        browser.wait_text("[data-list=invoices]", console.seeded.paid_invoice_number)
        assert not [b for b in browser.find_all("#page button") if b.text == "Pay by card"]
        browser.open("balance")
        assert browser.find_all("[data-wizard]") == []
        browser.open("channels")
        assert browser.find_all("form[aria-label='Request channels or days']") == []
    finally:
        browser.sign_in(console.seeded.owner, PASSWORD)


def test_first_render_of_the_payment_pages(console: ConsoleStack, owner: Browser) -> None:
    timings = {}
    for page in ("payment-methods", "invoices", "balance", "channels"):
        owner.open("team")
        seconds = owner.open(page)
        timings[page] = (seconds, owner.render_ms())
    print("\npayment pages, first render:")
    for page, (seconds, render_ms) in timings.items():
        print(f"  {page:16s} {seconds * 1000:7.0f} ms (in the page: {render_ms} ms)")
    # Refusals the scenarios provoke are answered 4xx; nothing else may fail in the page.
    assert [e for e in owner.console_errors() if "Failed to load resource" not in e] == []
