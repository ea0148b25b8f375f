// The provider's operators: find an account, see its money newest first, credit a bank
// transfer or grant credit with a reason, read its audit log. The gateway refuses customers.
import { AmountError, toMicros as parseMicros } from "./amounts.js";
import { newKey } from "./api.js";
import { badge, field, figure, h, select, table, toast, words } from "./ui.js";

const PAGE_SIZE = 25;
// Typed amounts follow the console's one rule (amounts.js); a bad one is answered null.
function toMicros(text) {
  try {
    return parseMicros(text);
  } catch (error) {
    if (error instanceof AmountError) return null;
    throw error;
  }
}

// "1234500000" -> "1,234.50": exact, at least two decimals, no trailing zeros beyond them.
export function formatMicros(value, currency) {
  let micros = BigInt(value || 0);
  const sign = micros < 0n ? "-" : "";
  if (micros < 0n) micros = -micros;
  const whole = (micros / 1000000n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const fraction = (micros % 1000000n).toString().padStart(6, "0").replace(/0{1,4}$/, "");
  return `${sign}${whole}.${fraction.padEnd(2, "0")} ${currency || ""}`.trim();
}

function when(timestamp) {
  return timestamp ? String(timestamp).replace("T", " ").slice(0, 19) : "—";
}

function shown(error) {
  if (error.status === 403) {
    return h("div", { class: "notice", role: "alert", "data-notice": "operators-only" },
      h("p", {}, "403 · This page is for the provider's operators."),
      h("p", { class: "hint" }, error.message));
  }
  return h("p", { class: "error", role: "alert" }, error.message || String(error));
}

async function guarded(root, action) {
  try {
    await action();
  } catch (error) {
    root.append(shown(error));
  }
}

// Previous / next over page tokens; load(token) renders a page and returns its next token.
function pager(target, load) {
  const tokens = [""];
  let page = 0;
  async function go() {
    const next = await load(tokens[page]);
    tokens[page + 1] = next;
    target.append(h("div", { class: "pager" },
      h("button", { type: "button", class: "secondary", disabled: page === 0,
        onclick: () => { page -= 1; guarded(target, go); } }, "Previous page"),
      h("span", {}, `Page ${page + 1}`),
      h("button", { type: "button", class: "secondary", disabled: !next,
        onclick: () => { page += 1; guarded(target, go); } }, "Next page")));
  }
  return { first: () => { page = 0; tokens.length = 1; return go(); } };
}

// ---- Finding an account ----------------------------------------------------------------------
export async function operatorAccounts(ctx, root) {
  const query = h("input", { type: "search", name: "query", maxlength: "128",
    placeholder: "Account id or display name", "aria-label": "Account id or display name" });
  const form = h("form", { class: "filters", role: "search", "aria-label": "Find an account" },
    query, h("button", { type: "submit" }, "Search"));
  const list = h("div", { "data-list": "accounts" });
  root.replaceChildren(h("h1", {}, "Accounts"), form, list);
  const pages = pager(list, async (token) => {
    const answer = await ctx.api.get("/v1/accounts", { query: query.value.trim(), page_size: PAGE_SIZE, page_token: token });
    list.replaceChildren(table("Accounts", [
      { label: "Account", cell: (a) => h("a", { href: `#/operator-account/${encodeURIComponent(a.account_id)}`,
        "data-account": a.account_id }, a.account_id) },
      { label: "Display name", cell: (a) => a.display_name || "—" },
      { label: "Currency", cell: (a) => a.currency_code },
      { label: "Funding", cell: (a) => words(a.funding_mode, "FUNDING_MODE_") },
      { label: "Status", cell: (a) => badge(words(a.status, "ACCOUNT_STATUS_")) },
    ], answer.accounts, "No account matches."));
    return answer.next_page_token;
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(list, pages.first);
  });
  await guarded(list, pages.first);
}

// ---- One account ---------------------------------------------------------------------------
export async function operatorAccount(ctx, root) {
  const accountId = ctx.param;
  root.replaceChildren(h("p", {}, h("a", { href: "#/operator-accounts" }, "← All accounts")));
  if (!accountId) {
    root.append(h("p", {}, "Choose an account first."));
    return;
  }
  const base = `/v1/accounts/${encodeURIComponent(accountId)}`;
  let account;
  try {
    // Through the operators' search (the gateway refuses customers here), the exact id.
    const found = await ctx.api.get("/v1/accounts", { query: accountId, page_size: 200 });
    account = found.accounts.find((candidate) => candidate.account_id === accountId);
  } catch (error) {
    root.append(shown(error));
    return;
  }
  if (!account) {
    root.append(h("p", { role: "alert" }, `No account ${accountId}.`));
    return;
  }
  const currency = account.currency_code;
  const balances = h("div", { "data-list": "balances" });
  const ledger = h("div", { "data-list": "ledger" });
  const topUps = h("div", { "data-list": "top-ups" });
  const audit = h("div", { "data-list": "audit" });
  const channels = account.balance_scope === "BALANCE_SCOPE_CHANNEL"
    ? (await ctx.api.get(`${base}/channels`, { page_size: 200 })).channels.filter((c) => !c.deleted)
    : [];
  root.append(
    h("h1", {}, account.display_name || account.account_id),
    h("dl", { class: "facts" },
      h("dt", {}, "Account id"), h("dd", { "data-fact": "account-id" }, account.account_id),
      h("dt", {}, "Currency"), h("dd", {}, currency),
      h("dt", {}, "Funding"), h("dd", {}, words(account.funding_mode, "FUNDING_MODE_")),
      h("dt", {}, "Funds kept"), h("dd", {}, channels.length ? "per phone number" : "per account"),
      h("dt", {}, "Status"), h("dd", {}, words(account.status, "ACCOUNT_STATUS_"))),
    h("h2", {}, "Balance"), balances,
    h("div", { class: "columns" },
      transferForm(ctx, base, currency, channels, reload),
      creditForm(ctx, base, currency, reload)),
    h("h2", {}, "Ledger entries, newest first"), ledger,
    h("h2", {}, "Top-ups, newest first"), topUps,
    h("h2", {}, "Audit log"), audit);

  const ledgerPages = pager(ledger, async (token) => {
    const answer = await ctx.api.get(`${base}/ledger-entries`,
      { page_size: PAGE_SIZE, page_token: token, newest_first: true });
    ledger.replaceChildren(table("Ledger entries", [
      { label: "Time", cell: (e) => when(e.create_time) },
      { label: "Kind", cell: (e) => e.kind.replaceAll("_", " ") },
      { label: "Ledger account", cell: (e) => e.ledger_account },
      { label: "Debit", num: true, cell: (e) => Number(e.debit_micros) ? formatMicros(e.debit_micros, e.currency_code) : "" },
      { label: "Credit", num: true, cell: (e) => Number(e.credit_micros) ? formatMicros(e.credit_micros, e.currency_code) : "" },
      { label: "Reference", cell: (e) => e.reference },
    ], answer.entries, "No ledger entries."));
    return answer.next_page_token;
  });
  const topUpPages = pager(topUps, async (token) => {
    const answer = await ctx.api.get(`${base}/top-ups`, { page_size: 10, page_token: token, newest_first: true });
    topUps.replaceChildren(table("Top-ups", [
      { label: "Time", cell: (t) => when(t.create_time) },
      { label: "Amount", num: true, cell: (t) => formatMicros(t.amount?.amount_micros, t.amount?.currency_code) },
      { label: "Source", cell: (t) => (t.source || "").replaceAll("_", " ") },
      { label: "Reference", cell: (t) => t.payment_reference || "—" },
      { label: "Phone number", cell: (t) => t.channel_id || "—" },
    ], answer.top_ups, "No top-ups."));
    return answer.next_page_token;
  });
  const auditPages = pager(audit, async (token) => {
    const answer = await ctx.api.get(`${base}/audit-entries`, { page_size: PAGE_SIZE, page_token: token });
    audit.replaceChildren(table("Audit entries, newest first", [
      { label: "Time", cell: (a) => when(a.occur_time) },
      { label: "Service", cell: (a) => a.service },
      { label: "Action", cell: (a) => h("span", { "data-action": a.action }, a.action) },
      { label: "By", cell: (a) => a.actor.name || a.actor.id || a.actor.caller || a.actor.kind },
      { label: "Reason", cell: (a) => a.reason || "—" },
      { label: "Target", cell: (a) => a.target || "—" },
    ], answer.entries, "Nothing recorded yet."));
    return answer.next_page_token;
  });

  async function loadBalances() {
    const answer = await ctx.api.get(`${base}/balance`);
    const money = answer.balances.filter((b) => b.kind === "ASSET_KIND_MONEY");
    const totals = {};
    for (const b of money) totals[b.currency_code] = (totals[b.currency_code] || 0n) + BigInt(b.available_micros || 0);
    balances.replaceChildren(h("div", { class: "figures" },
      Object.keys(totals).length
        ? Object.entries(totals).map(([code, total]) =>
          figure(`Available (${code})`, formatMicros(total, code), `available-${code}`))
        : figure(`Available (${currency})`, formatMicros(0, currency), `available-${currency}`)),
      money.length > 1 ? table("Per phone number", [
        { label: "Phone number", cell: (b) => b.channel_id || "whole account" },
        { label: "Available", num: true, cell: (b) => formatMicros(b.available_micros, b.currency_code) },
      ], money) : "");
  }

  async function reload() {
    await Promise.all([
      guarded(balances, loadBalances), guarded(ledger, ledgerPages.first),
      guarded(topUps, topUpPages.first), guarded(audit, auditPages.first),
    ]);
  }
  await reload();
}

function amountField(name) {
  return h("input", { name, inputmode: "decimal", required: true, autocomplete: "off",
    pattern: "\\d{1,9}(\\.\\d{1,6})?", title: "An amount such as 1250.50 (at most 6 decimals)" });
}

// One idempotency key per submission: a retried or double-clicked submit is answered, not
// applied twice; any edit of the form makes it a new submission.
function keyedForm(form, submit) {
  let key = newKey();
  form.addEventListener("input", () => { key = newKey(); });
  const button = form.querySelector("button[type=submit]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      if (await submit(key)) {
        key = newKey();
        form.reset();
      }
    } finally {
      button.disabled = false;
    }
  });
}

function transferForm(ctx, base, currency, channels, reload) {
  const amount = amountField("amount");
  const code = select("currency_code", [[currency, currency]], currency);
  const reference = h("input", { name: "transfer_reference", required: true, maxlength: "200" });
  const reason = h("input", { name: "reason", required: true, maxlength: "500" });
  const channel = channels.length
    ? select("channel_id", channels.map((c) => [c.channel_id, c.display_phone_number || c.channel_id]))
    : null;
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "form", "aria-label": "Credit a bank transfer", novalidate: true },
    field("Amount", amount), field("Currency", code),
    channel ? field("Phone number", channel) : [],
    field("Transfer reference", reference), field("Reason", reason),
    h("span"), h("button", { type: "submit" }, "Credit transfer"), h("span"), error);
  keyedForm(form, async (key) => {
    error.textContent = "";
    const micros = toMicros(amount.value);
    const missing = [[micros, "Amount: a positive amount with at most 6 decimals"],
      [reference.value.trim(), "Transfer reference is required"], [reason.value.trim(), "Reason is required"]]
      .find(([value]) => !value);
    if (missing) {
      error.textContent = missing[1];
      return false;
    }
    try {
      const body = { amount: { currency_code: code.value, amount_micros: micros },
        transfer_reference: reference.value.trim(), reason: reason.value.trim() };
      if (channel) body.channel_id = channel.value;
      await ctx.api.send("POST", `${base}/top-ups`, body, key);
      toast(`Credited ${formatMicros(micros, code.value)} (transfer ${body.transfer_reference})`);
      await reload();
      return true;
    } catch (problem) {
      error.textContent = problem.field ? `${problem.field}: ${problem.message}` : problem.message;
      return false;
    }
  });
  return h("section", { class: "panel" }, h("h2", {}, "Credit a bank transfer"), form);
}

function creditForm(ctx, base, currency, reload) {
  const amount = amountField("credit_amount");
  const expires = h("input", { type: "date", name: "expire_date", required: true });
  const uses = select("applies_to", [["messages", "Messages"], ["notifications_invoice", "Notifications invoices"]]);
  const reason = h("input", { name: "credit_reason", required: true, maxlength: "200" });
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "form", "aria-label": "Grant promotional credit", novalidate: true },
    field(`Amount (${currency})`, amount), field("Expires on", expires), field("May pay for", uses),
    field("Reason", reason), h("span"), h("button", { type: "submit" }, "Grant credit"), h("span"), error);
  keyedForm(form, async (key) => {
    error.textContent = "";
    const micros = toMicros(amount.value);
    const missing = [[micros, "Amount: a positive amount with at most 6 decimals"],
      [expires.value, "Expires on is required"], [reason.value.trim(), "Reason is required"]]
      .find(([value]) => !value);
    if (missing) {
      error.textContent = missing[1];
      return false;
    }
    try {
      await ctx.api.send("POST", `${base}/credits`, {
        amount: { currency_code: currency, amount_micros: micros },
        expire_time: `${expires.value}T23:59:59Z`, applies_to: [uses.value], reason: reason.value.trim(),
      }, key);
      toast(`Granted ${formatMicros(micros, currency)} of credit`);
      await reload();
      return true;
    } catch (problem) {
      error.textContent = problem.field ? `${problem.field}: ${problem.message}` : problem.message;
      return false;
    }
  });
  return h("section", { class: "panel" }, h("h2", {}, "Grant promotional credit"), form);
}
