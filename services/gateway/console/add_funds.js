// The add-funds wizard: phone number → one-time or automatic renewal → balance needed →
// fees → confirm → receipt. One idempotency key per run of the wizard: pressing confirm again
// (or retrying after a lost answer) reuses it, so the card is charged once.
import { newKey } from "./api.js";
import { AmountError, chargeMicros, fromMicros } from "./amounts.js";
import { authenticateWithBank, cardChooser, cardName, cardsOnFile } from "./pages_payments.js";
import { field, h, micros, money, toast } from "./ui.js";

const STEPS = ["Phone number", "One-time or automatic", "Balance needed", "Fees", "Confirm", "Receipt"];
const DEFAULT_DAYS = "30";
const DEFAULT_MAX_PER_MONTH = "10";
const SECONDS_PER_HOUR = 3600;
const FINISHED = ["FUNDING_STATE_COMPLETED", "FUNDING_STATE_CREDITED", "FUNDING_STATE_PAID"];

export function addFunds(ctx, refresh, currency = "USD") {
  const panel = h("section", { class: "panel wizard", "aria-labelledby": "add-funds-title", "data-wizard": "add-funds" });
  const startButton = h("button", { type: "button" }, "Add funds");
  startButton.addEventListener("click", () => wizard(ctx, panel, refresh, currency));
  panel.append(h("h2", { id: "add-funds-title" }, "Add funds"),
    h("p", { class: "hint" }, "Pay by card into a phone number's balance, once or automatically when it runs low."),
    startButton);
  return panel;
}

function wizard(ctx, panel, refresh, currency) {
  const run = {
    key: newKey(), submitted: false, pending: null, channel: "", phone: "", mode: "once", currency,
    amount: "", threshold: "", maxPerMonth: DEFAULT_MAX_PER_MONTH, coolOffHours: "1",
    estimate: null, quote: null, channels: [],
  };
  const title = h("h2", { id: "add-funds-title" }, "Add funds");
  const progress = h("p", { class: "hint", "data-step": "" });
  const body = h("div");
  const error = h("p", { class: "error", role: "alert", "data-wizard-error": "" });
  panel.replaceChildren(title, progress, body, error);

  const show = (index, ...content) => {
    progress.textContent = `Step ${index + 1} of ${STEPS.length}: ${STEPS[index]}`;
    progress.dataset.step = STEPS[index];
    error.textContent = "";
    body.replaceChildren(...content);
    const first = body.querySelector("input, select, button");
    if (first) first.focus();
  };
  const guard = (action) => async (event) => {
    if (event) event.preventDefault();
    error.textContent = "";
    try { await action(); } catch (failure) { error.textContent = failure.message || String(failure); }
  };
  const nav = (index, nextLabel) => h("div", { class: "actions" },
    index > 0 ? h("button", { type: "button", class: "secondary", onclick: guard(() => steps[index - 1]()) }, "Back") : "",
    h("button", { type: "submit" }, nextLabel),
    h("button", { type: "button", class: "secondary", onclick: () => panel.replaceWith(addFunds(ctx, refresh, currency)) }, "Cancel"));
  const form = (label, index, submit, nextLabel, ...fields) => {
    const element = h("form", { class: "form", "aria-label": label }, ...fields, h("span"), nav(index, nextLabel));
    element.addEventListener("submit", guard(submit));
    return element;
  };
  const amountText = (value) => `${value} ${run.currency}`;

  const steps = [
    async function phone() {
      if (!run.channels.length) {
        const answer = await ctx.api.get(`${ctx.base}/channels`, { page_size: 200 });
        run.channels = answer.channels.filter((c) => !c.deleted);
      }
      const options = run.channels.length
        ? run.channels.map((c) => [c.channel_id, c.display_phone_number || c.channel_id])
        : [["", "Whole account"]];
      const chooser = h("select", { name: "channel_id" }, options.map(([value, text]) =>
        h("option", { value, selected: value === run.channel }, text)));
      show(0, form("Phone number", 0, () => {
        run.channel = chooser.value;
        run.phone = chooser.selectedOptions[0].textContent;
        return steps[1]();
      }, "Next", field("Phone number", chooser)));
    },
    function how() {
      const once = h("input", { type: "radio", name: "mode", value: "once", id: "mode-once", checked: run.mode === "once" });
      const auto = h("input", { type: "radio", name: "mode", value: "auto", id: "mode-auto", checked: run.mode === "auto" });
      const threshold = h("input", { name: "threshold", inputmode: "decimal", value: run.threshold, placeholder: "e.g. 10.00", autocomplete: "off" });
      const amount = h("input", { name: "recharge_amount", inputmode: "decimal", value: run.amount, placeholder: "e.g. 50.00", autocomplete: "off" });
      const most = h("input", { name: "max_per_month", type: "number", min: "1", max: "1000", step: "1", value: run.maxPerMonth });
      const hours = h("input", { name: "cool_off_hours", type: "number", min: "0", max: "744", step: "1", value: run.coolOffHours });
      const autoFields = h("fieldset", { class: "form", "data-auto": "" },
        h("legend", {}, "Automatic renewal"),
        field(`When the balance falls below (${run.currency})`, threshold),
        field(`Add (${run.currency})`, amount),
        field("At most this many times a month", most),
        field("At least this many hours apart", hours));
      const sync = () => { autoFields.hidden = !auto.checked; };
      once.addEventListener("change", sync);
      auto.addEventListener("change", sync);
      sync();
      const choice = h("fieldset", { class: "choice" }, h("legend", {}, "How to pay"),
        h("div", {}, once, h("label", { for: "mode-once" }, "One-time payment")),
        h("div", {}, auto, h("label", { for: "mode-auto" }, "Automatic renewal (charges the default card when the balance runs low)")));
      show(1, form("One-time or automatic", 1, () => {
        run.mode = auto.checked ? "auto" : "once";
        if (run.mode === "auto") {
          run.threshold = threshold.value.trim();
          run.amount = amount.value.trim();
          run.maxPerMonth = most.value.trim();
          run.coolOffHours = hours.value.trim();
          named("When the balance falls below", () => chargeMicros(run.threshold, run.currency, { allowZero: true }));
          named("Add", () => chargeMicros(run.amount, run.currency));
          if (!/^\d{1,4}$/.test(run.maxPerMonth) || +run.maxPerMonth < 1 || +run.maxPerMonth > 1000) {
            throw new Error("At most this many times a month: a whole number from 1 to 1000");
          }
          if (!/^\d{1,3}$/.test(run.coolOffHours) || +run.coolOffHours > 744) {
            throw new Error("At least this many hours apart: a whole number from 0 to 744");
          }
        }
        return steps[2]();
      }, "Next", choice, autoFields));
    },
    async function estimate() {
      const days = h("input", { name: "days", type: "number", min: "1", max: "366", step: "1", value: run.days || DEFAULT_DAYS });
      const figures = h("div", { "data-estimate": "", "aria-live": "polite" });
      const amount = h("input", { name: "amount", inputmode: "decimal", value: run.mode === "once" ? run.amount : "", placeholder: "e.g. 25.00", autocomplete: "off" });
      const load = async () => {
        run.days = days.value;
        try {
          const found = await ctx.api.get(`${ctx.base}/funds:estimate`, { channel_id: run.channel, days: days.value });
          run.estimate = found;
          run.currency = (found.amount && found.amount.currency_code) || run.currency;
          figures.replaceChildren(h("dl", { class: "facts" },
            h("dt", {}, `Paid use ${found.from_date} to ${found.to_date}`), h("dd", {}, money(found.consumption)),
            h("dt", {}, `Balance needed for ${found.days} days`), h("dd", { "data-needed": "" }, money(found.amount)),
            h("dt", {}, "Fee on that amount"), h("dd", {}, money(found.fee))));
          if (run.mode === "once" && !amount.value && Number(found.amount.amount_micros) > 0) {
            amount.value = fromMicros(found.amount.amount_micros, run.currency);
          }
        } catch (failure) {
          run.estimate = null;
          figures.replaceChildren(h("p", { class: "hint" }, `No estimate yet: ${failure.message}`));
        }
      };
      const recalculate = h("button", { type: "button", class: "secondary", onclick: guard(load) }, "Estimate");
      const fields = [field("Days to cover", days), h("span"), recalculate, figures];
      if (run.mode === "once") fields.push(...field(`Amount to add (${run.currency})`, amount));
      show(2, form("Balance needed", 2, () => {
        if (run.mode === "once") {
          run.amount = amount.value.trim();
          named("Amount to add", () => chargeMicros(run.amount, run.currency));
        }
        return steps[3]();
      }, "Next", ...fields));
      await load();
    },
    async function fees() {
      const amountMicros = chargeMicros(run.amount, run.currency);
      const quote = (await ctx.api.send("POST", `${ctx.base}/funds:quote`, {
        channel_id: run.channel, amount: { currency_code: run.currency, amount_micros: amountMicros },
      })).quote;
      run.quote = quote;
      const each = run.mode === "auto" ? "Each renewal adds" : "Added to the balance";
      show(3, form("Fees", 3, () => steps[4](), "Next", h("dl", { class: "facts", "data-quote": "" },
        h("dt", {}, "Phone number"), h("dd", {}, quote.display_phone_number || run.phone),
        h("dt", {}, each), h("dd", { "data-amount": "" }, money(quote.amount)),
        h("dt", {}, "Transaction fee"), h("dd", { "data-fee": "" }, money(quote.fee)),
        h("dt", {}, "Charged to the card"), h("dd", { "data-total": "" }, money(quote.total)))));
    },
    async function confirmStep() {
      const cards = await cardsOnFile(ctx);
      if (!cards.length) {
        show(4, h("p", {}, "There is no card on file to charge. ", h("a", { href: "#/payment-methods" }, "Add a card"), " and start again."));
        return;
      }
      const summary = run.mode === "auto"
        ? `When ${run.phone} falls below ${amountText(run.threshold)}, add ${money(run.quote.amount)} (charged ${money(run.quote.total)} with the fee) to the default card, at most ${run.maxPerMonth} times a month.`
        : `Charge ${money(run.quote.total)} to the card and add ${money(run.quote.amount)} to ${run.phone}.`;
      const defaultCard = cards.find((m) => m.is_default);
      const fields = [h("p", { "data-summary": "" }, summary)];
      let chooser = null;
      if (run.mode === "once") {
        const [label, select] = cardChooser(cards, "Card to charge");
        chooser = select;
        fields.push(label, select);
      } else {
        if (!defaultCard) throw new Error("Automatic renewal charges the default card: make one card the default first");
        fields.push(h("span", {}, "Card"), h("span", {}, cardName(defaultCard)));
      }
      const label = run.mode === "auto" ? "Turn on automatic renewal" : `Pay ${money(run.quote.total)}`;
      const element = form("Confirm", 4, () => {
        // A second press while the first is under way waits for it rather than asking again.
        if (run.pending) return run.pending;
        run.submitted = true; // from here the run's key is spent: no going back to change it
        for (const button of element.querySelectorAll("button")) button.disabled = true;
        run.pending = (run.mode === "auto" ? saveRenewal() : pay(chooser.value)).finally(() => {
          run.pending = null;
          for (const button of element.querySelectorAll("button")) {
            button.disabled = button.textContent === "Back";
          }
        });
        return run.pending;
      }, label, ...fields);
      show(4, element);
    },
  ];

  async function pay(paymentMethodId) {
    let funding = (await ctx.api.send("POST", `${ctx.base}/funds`,
      { quote_id: run.quote.quote_id, payment_method_id: paymentMethodId }, run.key)).funding;
    if (funding.state === "FUNDING_STATE_REQUIRES_ACTION") funding = await authenticate(funding);
    if (funding.state === "FUNDING_STATE_DECLINED" || funding.state === "FUNDING_STATE_EXPIRED") {
      throw new Error(`Payment declined: ${funding.failure_reason || "the card was declined"}. Nothing was added. Cancel and start again to pay with another card.`);
    }
    receipt(h("dl", { class: "facts", "data-receipt": funding.funding_id },
      h("dt", {}, "Payment"), h("dd", {}, funding.funding_id),
      h("dt", {}, "State"), h("dd", { "data-state": funding.state }, FINISHED.includes(funding.state) ? "paid" : funding.state.replace("FUNDING_STATE_", "").toLowerCase()),
      h("dt", {}, "Added"), h("dd", { "data-added": "" }, money(funding.amount)),
      h("dt", {}, "Fee"), h("dd", {}, money(funding.fee)),
      h("dt", {}, "Charged"), h("dd", {}, money(funding.total)),
      funding.receipt_invoice_id ? [h("dt", {}, "Receipt"), h("dd", {},
        h("a", { href: `#/invoices?invoice=${encodeURIComponent(funding.receipt_invoice_id)}` }, "Show the receipt"))] : []));
    toast(`${money(funding.amount)} added`);
  }

  async function saveRenewal() {
    const rule = (await ctx.api.send("PUT", `${ctx.base}/auto-recharge`, { auto_recharge: {
      channel_id: run.channel, enabled: true, currency_code: run.currency,
      threshold_micros: chargeMicros(run.threshold, run.currency, { allowZero: true }),
      amount_micros: chargeMicros(run.amount, run.currency),
      max_per_month: Number(run.maxPerMonth), cool_off_seconds: String(Number(run.coolOffHours) * SECONDS_PER_HOUR),
    } }, run.key)).auto_recharge;
    receipt(h("dl", { class: "facts", "data-receipt": "auto-recharge" },
      h("dt", {}, "Automatic renewal"), h("dd", { "data-state": rule.enabled ? "on" : "off" }, rule.enabled ? "on" : "off"),
      h("dt", {}, "Phone number"), h("dd", {}, run.phone),
      h("dt", {}, "When the balance falls below"), h("dd", { "data-threshold": "" }, micros(rule.threshold_micros, rule.currency_code)),
      h("dt", {}, "Add each time"), h("dd", { "data-added": "" }, micros(rule.amount_micros, rule.currency_code)),
      h("dt", {}, "At most"), h("dd", {}, `${rule.max_per_month} times a month`)));
    toast("Automatic renewal is on");
  }

  async function authenticate(funding) {
    try {
      await authenticateWithBank(ctx, funding.action_client_secret);
    } catch (failure) {
      throw new Error(`Payment not completed: ${failure.message}. Nothing was added.`);
    }
    return (await ctx.api.get(`${ctx.base}/fundings/${encodeURIComponent(funding.funding_id)}`)).funding;
  }

  async function receipt(details) {
    progress.textContent = `Step ${STEPS.length} of ${STEPS.length}: ${STEPS[5]}`;
    progress.dataset.step = STEPS[5];
    const again = h("button", { type: "button", class: "secondary", onclick: () => wizard(ctx, panel, refresh, currency) }, "Add funds again");
    body.replaceChildren(details, again);
    again.focus();
    await refresh(panel);
  }

  steps[0]().catch((failure) => { error.textContent = failure.message; });
}

function named(label, check) {
  try { return check(); } catch (failure) {
    if (failure instanceof AmountError) throw new Error(`${label}: ${failure.message}`);
    throw failure;
  }
}
