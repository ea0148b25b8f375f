// Paying: cards on file (saved through the provider's card setup), paying an open invoice by
// card, and requesting channels or days at the contract price. Only the public REST API.
import { newKey } from "./api.js";
import { badge, count, field, h, money, select, toast, words } from "./ui.js";

const STRIPE_JS = "https://js.stripe.com/v3/";
// The fake provider's cards (PAYMENTS_PROVIDER=fake): a completed setup saves the approving
// card; a token with "decline" in it is kept but every charge to it is declined, one with
// "authenticate" in it asks the customer to authenticate (3-D Secure) every charge.
const TEST_CARDS = [
  ["setup", "Visa ending 4242: payments succeed"],
  ["decline", "Visa ending 0341: payments are declined (insufficient funds)"],
  ["authenticate", "Visa ending 3155: the bank asks for authentication"],
];
const TOKEN_TEST_CARDS = {
  decline: { last4: "0341", provider_token: "tok_decline_insufficient_funds" },
  authenticate: { last4: "3155", provider_token: "tok_authenticate_3ds" },
};

function alert(text) {
  return h("p", { class: "error", role: "alert" }, text);
}

function expiry(m) {
  return m.exp_month ? ` (expires ${String(m.exp_month).padStart(2, "0")}/${m.exp_year})` : "";
}

export function cardName(m) {
  return `${m.brand || words(m.kind, "PAYMENT_METHOD_KIND_")} ending ${m.last4}${expiry(m)}`;
}

export async function cardsOnFile(ctx) {
  return (await ctx.api.get(`${ctx.base}/payment-methods`)).payment_methods;
}

// A <select> of the cards, the default one chosen.
export function cardChooser(cards, label = "Card") {
  const chooser = select("payment_method_id", cards.map((m) => [m.payment_method_id,
    `${cardName(m)}${m.is_default ? " · default" : ""}`]),
  (cards.find((m) => m.is_default) || cards[0] || {}).payment_method_id || "");
  return field(label, chooser);
}

// ---- Payment methods -------------------------------------------------------------------------
export async function paymentMethods(ctx, root) {
  const status = h("div", { "data-status": "payment-methods", "aria-live": "polite" });
  root.replaceChildren(h("h1", {}, "Payment methods"), status);
  const refresh = () => paymentMethods(ctx, root);
  const act = async (action) => {
    status.replaceChildren();
    try { await action(); } catch (error) { status.replaceChildren(alert(error.message)); }
  };
  let cards;
  try { cards = await cardsOnFile(ctx); } catch (error) { root.append(alert(error.message)); return; }
  const writer = ctx.can("billing_write");
  const actions = (m) => {
    if (!writer) return "";
    const row = h("div", { class: "actions" });
    if (!m.is_default) {
      row.append(h("button", { type: "button", class: "secondary",
        "aria-label": `Make card ending ${m.last4} the default${expiry(m)}`,
        onclick: () => act(async () => {
          await ctx.api.send("POST", `${ctx.base}/payment-methods/${encodeURIComponent(m.payment_method_id)}:set-default`, {});
          toast(`Card ending ${m.last4} is now the default`);
          await refresh();
        }) }, "Make default"));
    }
    row.append(h("button", { type: "button", class: "danger", "aria-label": `Remove ${cardName(m)}`,
      onclick: () => act(async () => {
        if (!confirm(`Remove the ${cardName(m)}? It can no longer be charged.`)) return;
        await ctx.api.send("DELETE", `${ctx.base}/payment-methods/${encodeURIComponent(m.payment_method_id)}`);
        toast(`Card ending ${m.last4} removed`);
        await refresh();
      }) }, "Remove"));
    return row;
  };
  const rows = cards.map((m) => h("tr", { "data-card": m.payment_method_id },
    h("td", {}, `${m.brand || words(m.kind, "PAYMENT_METHOD_KIND_")} ···· ${m.last4}`),
    h("td", {}, m.exp_month ? `${String(m.exp_month).padStart(2, "0")}/${m.exp_year}` : "—"),
    h("td", {}, m.is_default ? badge("default") : ""),
    h("td", {}, actions(m))));
  root.append(h("table", {}, h("caption", {}, "Cards on file"),
    h("thead", {}, h("tr", {}, ["Card", "Expires", "Default", "Actions"].map((label) => h("th", { scope: "col" }, label)))),
    h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 4 }, "No card on file.")))));
  if (!writer) return;
  const setupArea = h("div", { "data-setup": "card" });
  const start = h("button", { type: "button" }, "Add a card");
  start.addEventListener("click", () => act(async () => {
    start.disabled = true;
    try {
      await cardSetup(ctx, setupArea, async (saved) => {
        toast(`Card ending ${saved.last4} saved`);
        await refresh();
      });
    } finally { start.disabled = false; }
  }));
  root.append(h("h2", {}, "Add a card"),
    h("p", { class: "hint" }, "Card numbers go to the payment provider only; this account keeps the card's brand, last 4 digits and expiry."),
    start, setupArea);
}

// StartCardSetup, then the provider's form (Stripe Elements, or the fake provider's test
// cards), then AddPaymentMethod with the completed setup.
export async function cardSetup(ctx, area, onSaved) {
  const setup = await ctx.api.send("POST", `${ctx.base}/payment-methods:setup`, {});
  const key = newKey(); // one per setup: a re-submitted form saves the card once
  const error = h("p", { class: "error", role: "alert" });
  const save = async (body) => {
    const saved = (await ctx.api.send("POST", `${ctx.base}/payment-methods`, body, key)).payment_method;
    area.replaceChildren();
    await onSaved(saved);
  };
  if (setup.provider === "stripe") {
    await stripeForm(area, setup, error, () => save({ setup_id: setup.setup_id }));
    return;
  }
  const chosen = h("select", { name: "test_card" }, TEST_CARDS.map(([value, text]) => h("option", { value }, text)));
  const submit = h("button", { type: "submit" }, "Save card");
  const form = h("form", { class: "form", "aria-label": "Card details" },
    field("Test card", chosen), h("span"), submit, h("span"), error);
  chosen.setAttribute("aria-describedby", "test-provider");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.textContent = "";
    try {
      await save(chosen.value === "setup" ? { setup_id: setup.setup_id } : { payment_method: {
        kind: "PAYMENT_METHOD_KIND_CARD", brand: "visa", exp_month: 12, exp_year: 2099,
        ...TOKEN_TEST_CARDS[chosen.value] } });
    } catch (failure) {
      error.textContent = failure.message;
      submit.disabled = false;
    }
  });
  area.replaceChildren(h("p", { class: "hint", id: "test-provider" }, "Test payment provider: no real card is charged."), form);
  chosen.focus();
}

// Stripe's publishable key, once a card setup has answered it (to authenticate payments later).
let knownPublishableKey = "";

async function publishableKey(ctx) {
  if (!knownPublishableKey) {
    knownPublishableKey = (await ctx.api.send("POST", `${ctx.base}/payment-methods:setup`, {})).publishable_key || "";
  }
  return knownPublishableKey;
}

// The bank asks the customer to authenticate a payment (3-D Secure): Stripe.js asks in the
// browser. A provider with no script in the browser cannot ask, and the customer is told so.
export async function authenticateWithBank(ctx, clientSecret) {
  const key = await publishableKey(ctx);
  if (!key || !clientSecret) {
    throw new Error("the bank asks you to authenticate this payment, and it cannot be done here");
  }
  const stripe = (await loadStripe())(key);
  const done = await stripe.confirmCardPayment(clientSecret);
  if (done.error) throw new Error(done.error.message);
}

function loadStripe() {
  if (window.Stripe) return Promise.resolve(window.Stripe);
  return new Promise((resolve, reject) => {
    const script = h("script", { src: STRIPE_JS });
    script.addEventListener("load", () => resolve(window.Stripe));
    script.addEventListener("error", () => reject(new Error("Stripe.js could not be loaded")));
    document.head.append(script);
  });
}

async function stripeForm(area, setup, error, onConfirmed) {
  if (!setup.publishable_key) throw new Error("card setup answered without Stripe's publishable key");
  knownPublishableKey = setup.publishable_key;
  const stripe = (await loadStripe())(setup.publishable_key);
  const mount = h("div", { class: "card-element", id: "card-element" });
  const submit = h("button", { type: "submit" }, "Save card");
  const form = h("form", { class: "form", "aria-label": "Card details" },
    h("label", { for: "card-element" }, "Card"), mount, h("span"), submit, h("span"), error);
  area.replaceChildren(form);
  const card = stripe.elements().create("card");
  card.mount(mount);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.textContent = "";
    const result = await stripe.confirmCardSetup(setup.client_secret, { payment_method: { card } });
    if (result.error) {
      error.textContent = result.error.message;
      submit.disabled = false;
      return;
    }
    try { await onConfirmed(); } catch (failure) {
      error.textContent = failure.message;
      submit.disabled = false;
    }
  });
}

// ---- Paying an open invoice by card ----------------------------------------------------------
export function payByCard(ctx, invoice, reload) {
  const name = invoice.number || invoice.invoice_id;
  const area = h("div", { class: "pay", "data-pay": name });
  const open = h("button", { type: "button", "aria-label": `Pay ${name} by card`, "aria-expanded": "false" }, "Pay by card");
  const outcome = h("p", { class: "error", role: "alert", "data-outcome": name },
    invoice.payment_failure_reason ? `Last payment declined: ${invoice.payment_failure_reason}` : "");
  open.addEventListener("click", async () => {
    open.disabled = true;
    outcome.textContent = "";
    try {
      const cards = await cardsOnFile(ctx);
      if (!cards.length) {
        area.replaceChildren(h("p", {}, "No card on file. ", h("a", { href: "#/payment-methods" }, "Add a card")));
        return;
      }
      const [label, chooser] = cardChooser(cards);
      chooser.setAttribute("aria-label", `Card to pay ${name} with`);
      const key = newKey(); // this payment; pressing Pay twice charges once
      const pay = h("button", { type: "submit", "aria-label": `Pay ${money(invoice.amount_due)} for ${name}` }, `Pay ${money(invoice.amount_due)}`);
      const form = h("form", { class: "actions", "aria-label": `Pay ${name}` }, label, chooser, pay);
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        pay.disabled = true;
        try {
          const send = () => ctx.api.send("POST", `${ctx.base}/invoices/${encodeURIComponent(invoice.invoice_id)}:pay`,
            { payment_method_id: chooser.value }, key);
          let answer = await send();
          if (answer.payment && answer.payment.status === "PAYMENT_STATUS_REQUIRES_ACTION") {
            try {
              await authenticateWithBank(ctx, answer.payment.action_client_secret);
            } catch (failure) {
              outcome.textContent = `Payment not completed: ${failure.message}`;
              form.remove();
              open.disabled = false;
              return;
            }
            answer = await send(); // the same key: the payment as the bank left it
          }
          if (answer.invoice.status === "INVOICE_STATUS_PAID") {
            toast(`${name} is paid`);
            await reload();
            return;
          }
          const reason = answer.invoice.payment_failure_reason || (answer.payment && answer.payment.failure_reason) || "declined";
          outcome.textContent = `Payment declined: ${reason}`;
          toast(`Payment failed: ${reason}`);
          form.remove();
          open.disabled = false;
        } catch (error) {
          outcome.textContent = `Payment failed: ${error.message}`;
          pay.disabled = false;
        }
      });
      area.replaceChildren(form);
      open.setAttribute("aria-expanded", "true");
      chooser.focus();
    } catch (error) {
      outcome.textContent = error.message;
      open.disabled = false;
    }
  });
  return h("div", {}, open, area, outcome);
}

// ---- Requesting channels or days at the contract price ---------------------------------------
export async function requestDays(ctx) {
  const section = h("section", { "aria-labelledby": "request-days-title", "data-section": "request-days" },
    h("h2", { id: "request-days-title" }, "Request channels or days"));
  if (!ctx.can("billing_write")) return section;
  let contract = null;
  try { contract = (await ctx.api.get(`${ctx.base}/partner-contract`)).contract; } catch { contract = null; }
  const price = contract && contract.price_per_channel_month;
  if (!price || !Number(price.amount_micros)) {
    section.append(h("p", { class: "hint" }, "This account has no contract price for channels yet; ask your account manager."));
    return section;
  }
  const unit = select("unit", [["channels", "Channels (30 days each)"], ["days", "Days for the pool"]]);
  const quantity = h("input", { type: "number", name: "quantity", min: "1", max: "10000", step: "1", required: true, value: "1", inputmode: "numeric" });
  const error = h("p", { class: "error", role: "alert" });
  const result = h("div", { "aria-live": "polite", "data-result": "request-days" });
  const submit = h("button", { type: "submit" }, "Request");
  const form = h("form", { class: "form", "aria-label": "Request channels or days" },
    field("What", unit), field("How many", quantity), h("span"), submit, h("span"), error);
  let key = newKey(); // this request; a second press answers the same invoice
  for (const input of [unit, quantity]) input.addEventListener("change", () => { key = newKey(); });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    if (!/^[1-9]\d{0,4}$/.test(quantity.value.trim())) {
      error.textContent = "How many: enter a whole number from 1 to 10000";
      return;
    }
    submit.disabled = true;
    try {
      // The price is never sent: the invoice is made at the contract's price.
      const answer = await ctx.api.send("POST", `${ctx.base}/invoices:partner-days`,
        { [unit.value]: quantity.value.trim() }, key);
      const invoice = answer.invoice;
      result.replaceChildren(h("div", { class: "notice", role: "status" },
        h("p", {}, "Invoice ", h("a", { href: `#/invoices?invoice=${encodeURIComponent(invoice.invoice_id)}`, "data-invoice": invoice.number },
          invoice.number || invoice.invoice_id), ` for ${count(invoice.days)} days: ${money(invoice.total)}, `,
        words(invoice.status, "INVOICE_STATUS_"), "."),
        h("p", {}, "The days are added to the pool once it is paid.")));
      toast(`Invoice ${invoice.number} created`);
    } catch (failure) {
      error.textContent = failure.message;
    } finally {
      submit.disabled = false;
    }
  });
  section.append(h("p", { class: "hint", "data-contract": "price" },
    `At your contract price: ${money(price)} per channel per 30 days; a day is a thirtieth of that.`), form, result);
  return section;
}

// The invoice a link named (#/invoices?invoice=<id>), above the list, with its Pay button.
export async function linkedInvoice(ctx, reload) {
  const wanted = new URLSearchParams(location.hash.split("?")[1] || "").get("invoice");
  if (!wanted) return "";
  const invoice = (await ctx.api.get(`${ctx.base}/invoices/${encodeURIComponent(wanted)}`)).invoice;
  const open = invoice.status === "INVOICE_STATUS_OPEN" && ctx.can("billing_write");
  return h("section", { class: "panel", "data-linked-invoice": invoice.number, "aria-label": `Invoice ${invoice.number}` },
    h("h2", {}, `Invoice ${invoice.number} `, badge(words(invoice.status, "INVOICE_STATUS_"))),
    h("dl", { class: "facts" },
      h("dt", {}, "Kind"), h("dd", {}, words(invoice.kind, "INVOICE_KIND_")),
      h("dt", {}, "Total"), h("dd", {}, money(invoice.total)),
      h("dt", {}, "Due"), h("dd", {}, money(invoice.amount_due))),
    open ? payByCard(ctx, invoice, reload) : "");
}
