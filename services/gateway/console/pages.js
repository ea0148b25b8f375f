// One function per screen. Each reads only the public REST API through ctx.api.
import { newKey } from "./api.js";
import {
  badge, barChart, count, day, daysAgo, download, field, figure, filter, h, isoDay, micros,
  money, select, table, toast, words,
} from "./ui.js";
import { linkedInvoice, payByCard, requestDays } from "./pages_payments.js";
import { addFunds } from "./add_funds.js";

export { paymentMethods } from "./pages_payments.js";

const PAGE_SIZE = 25;
const KINDS = [
  ["", "All kinds"], ["INVOICE_KIND_SUBSCRIPTION", "Subscription"],
  ["INVOICE_KIND_NOTIFICATIONS", "WhatsApp notifications"], ["INVOICE_KIND_TOP_UP_RECEIPT", "Top-up receipt"],
  ["INVOICE_KIND_PARTNER_DAYS", "Channel days"], ["INVOICE_KIND_CREDIT_NOTE", "Credit note"],
];
const STATUSES = [
  ["", "Any status"], ["INVOICE_STATUS_OPEN", "Open"], ["INVOICE_STATUS_PAID", "Paid"],
  ["INVOICE_STATUS_VOID", "Void"], ["INVOICE_STATUS_ISSUED", "Issued"],
];
const CATEGORIES = [
  ["CATEGORY_MARKETING", "Marketing"], ["CATEGORY_UTILITY", "Utility"],
  ["CATEGORY_AUTHENTICATION", "Authentication"],
  ["CATEGORY_AUTHENTICATION_INTERNATIONAL", "Authentication (international)"],
  ["CATEGORY_SERVICE", "Service"],
];

function heading(text, ...extra) {
  return [h("h1", {}, text), ...extra];
}

function failure(error) {
  return h("p", { class: "error", role: "alert" }, error.message || String(error));
}

async function guarded(root, action) {
  try {
    await action();
  } catch (error) {
    root.querySelector(".page-error")?.remove();
    const shown = failure(error);
    shown.classList.add("page-error");
    root.append(shown);
  }
}

async function channelOptions(ctx) {
  const answer = await ctx.api.get(`${ctx.base}/channels`, { page_size: 200 });
  return [["", "All phone numbers"], ...answer.channels.filter((c) => !c.deleted)
    .map((c) => [c.channel_id, c.display_phone_number || c.channel_id])];
}

// ---- Invoices --------------------------------------------------------------------------------
export async function invoices(ctx, root) {
  const kind = select("kind", KINDS);
  const status = select("status", STATUSES);
  const from = h("input", { type: "date", name: "from_date" });
  const to = h("input", { type: "date", name: "to_date" });
  const order = select("order", [["INVOICE_ORDER_NEWEST_FIRST", "Newest first"],
    ["INVOICE_ORDER_OLDEST_FIRST", "Oldest first"], ["INVOICE_ORDER_AMOUNT_DUE", "Amount due"]]);
  const list = h("div", { "data-list": "invoices" });
  const tokens = [""];
  let page = 0;
  const apply = h("button", { type: "submit" }, "Apply filters");
  const form = h("form", { class: "filters", "aria-label": "Invoice filters" },
    filter("Kind", kind), filter("Status", status), filter("Issued from", from),
    filter("Issued to", to), filter("Sort", order), apply);
  root.replaceChildren(...heading("Invoices"), form, list);
  await guarded(root, async () => form.before(await linkedInvoice(ctx, () => invoices(ctx, root))));

  async function load() {
    const answer = await ctx.api.get(`${ctx.base}/invoices`, {
      page_size: PAGE_SIZE, page_token: tokens[page], kind: kind.value, status: status.value,
      from_date: from.value, to_date: to.value, order: order.value,
    });
    tokens[page + 1] = answer.next_page_token;
    const rows = answer.invoices;
    const columns = [
      { label: "Number", cell: (i) => i.number || "draft" },
      { label: "Kind", cell: (i) => words(i.kind, "INVOICE_KIND_") },
      { label: "Status", cell: (i) => badge(words(i.status, "INVOICE_STATUS_")) },
      { label: "Period", cell: (i) => i.period_start_date ? `${i.period_start_date} – ${i.period_end_date}` : "—" },
      { label: "Issued", cell: (i) => day(i.issue_time) },
      { label: "Total", num: true, cell: (i) => money(i.total) },
      { label: "Due", num: true, cell: (i) => money(i.amount_due) },
      { label: "Actions", cell: (i) => invoiceActions(ctx, i, load) },
    ];
    const pager = h("div", { class: "pager" },
      h("button", { type: "button", class: "secondary", disabled: page === 0,
        onclick: () => { page -= 1; guarded(list, load); } }, "Previous page"),
      h("span", {}, `Page ${page + 1}`),
      h("button", { type: "button", class: "secondary", disabled: !answer.next_page_token,
        onclick: () => { page += 1; guarded(list, load); } }, "Next page"));
    list.replaceChildren(table("Invoice history", columns, rows, "No invoices match."), pager);
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    page = 0;
    tokens.length = 1;
    guarded(list, load);
  });
  await guarded(list, load);
}

function invoiceActions(ctx, invoice, reload) {
  const actions = h("div", { class: "actions" });
  if (invoice.status !== "INVOICE_STATUS_DRAFT") {
    actions.append(h("button", { type: "button", class: "secondary",
      "aria-label": `Download PDF of ${invoice.number}`,
      onclick: async () => {
        const blob = await ctx.api.blob(`${ctx.base}/invoices/${invoice.invoice_id}/pdf`);
        download(blob, `${invoice.number || invoice.invoice_id}.pdf`);
        toast(`Downloaded ${invoice.number}.pdf`);
      } }, "PDF"));
  }
  if (invoice.status === "INVOICE_STATUS_OPEN" && ctx.can("billing_write")) {
    actions.append(payByCard(ctx, invoice, reload));
  }
  return actions;
}

// ---- Subscription ----------------------------------------------------------------------------
export async function subscription(ctx, root) {
  root.replaceChildren(...heading("Subscription"));
  await guarded(root, async () => {
    const answer = await ctx.api.get(`${ctx.base}/subscriptions`, { page_size: 50 });
    if (!answer.subscriptions.length) {
      root.append(h("p", {}, "This account has no subscription."));
      return;
    }
    for (const sub of answer.subscriptions) {
      const plan = (await ctx.api.get(`/v1/plans/${encodeURIComponent(sub.plan_id)}`)).plan;
      const active = sub.status === "SUBSCRIPTION_STATUS_ACTIVE";
      const panel = h("section", { class: "panel", "aria-label": `Subscription ${plan.name}` },
        h("h2", {}, plan.name, " ", badge(words(sub.status, "SUBSCRIPTION_STATUS_"))),
        h("dl", { class: "facts" },
          h("dt", {}, "Monthly fee"), h("dd", {}, money(plan.monthly_fee)),
          h("dt", {}, "Active users included"), h("dd", {}, count(plan.included_active_users)),
          h("dt", {}, "Each extra active user"), h("dd", {}, money(plan.price_per_extra_user)),
          h("dt", {}, "Billed on"), h("dd", { "data-fact": "billing-day" },
            `day ${sub.anchor_day} of every month (started ${sub.start_date})`),
          h("dt", {}, "Next billing date"), h("dd", {}, sub.next_billing_date || "—"),
          h("dt", {}, "Current cycle since"), h("dd", {}, sub.current_cycle_start_date || "—"),
          sub.end_date ? [h("dt", {}, "Service ends"), h("dd", {}, sub.end_date)] : []),
        h("p", {}, h("a", { href: "#/pricing" }, "Learn more about what messages cost")));
      if (active && ctx.can("billing_write")) {
        const cancel = h("button", { type: "button", class: "danger" }, "Cancel subscription");
        cancel.addEventListener("click", async () => {
          if (!confirm(`Cancel ${plan.name}? Service ends with the current cycle.`)) return;
          await ctx.api.send("POST", `${ctx.base}/subscriptions/${sub.subscription_id}:cancel`, {});
          toast("Subscription cancelled");
          await subscription(ctx, root);
        });
        panel.append(cancel);
      }
      root.append(panel);
    }
  });
}

// ---- Usage history ---------------------------------------------------------------------------
export async function usageHistory(ctx, root) {
  const from = h("input", { type: "date", name: "from_date", value: daysAgo(29) });
  const to = h("input", { type: "date", name: "to_date", value: daysAgo(0) });
  const channel = select("channel_id", await channelOptions(ctx).catch(() => [["", "All phone numbers"]]));
  const out = h("div");
  const form = h("form", { class: "filters", "aria-label": "Usage range" },
    filter("From", from), filter("To", to), filter("Phone number", channel),
    h("button", { type: "submit" }, "Show"));
  root.replaceChildren(...heading("Usage history"), form, out);
  let tab = "notifications";

  async function load() {
    const params = { from_date: from.value, to_date: to.value, channel_id: channel.value };
    const [daily, totals] = await Promise.all([
      ctx.api.get(`${ctx.base}/usage/daily`, params),
      ctx.api.get(`${ctx.base}/usage/totals`, params),
    ]);
    const labels = daily.days.map((d) => d.date.slice(5));
    const tabs = h("div", { class: "tabs", role: "tablist" },
      [["notifications", "Notifications"], ["users", "Unique users"]].map(([name, text]) =>
        h("button", { type: "button", role: "tab", "aria-selected": String(tab === name),
          onclick: () => { tab = name; guarded(out, load); } }, text)));
    const notificationsView = tab === "notifications";
    const figures = h("div", { class: "figures" }, notificationsView
      ? [figure("Notifications sent (upper limit of the bill)", count(totals.notifications_sent), "upper-limit"),
         figure("Billable", count(totals.billable_messages), "billable"),
         figure("Charges", money(totals.charges), "charges")]
      : [figure("Monthly active contacts", count(totals.active_users), "active-users"),
         figure("Unique users added", count(totals.unique_users_added), "users-added")]);
    const values = daily.days.map((d) => notificationsView ? d.notifications_sent : d.unique_users_added);
    const name = notificationsView ? "Notifications sent per day" : "Unique users added per day";
    const chart = barChart(name, labels, [{ name, values }]);
    const columns = notificationsView
      ? [{ label: "Date", cell: (d) => d.date },
         { label: "Notifications sent", num: true, cell: (d) => count(d.notifications_sent) },
         { label: "Billable", num: true, cell: (d) => count(d.billable_messages) },
         { label: "Free", num: true, cell: (d) => count(d.free_messages) },
         { label: "Charges", num: true, cell: (d) => money(d.charges) }]
      : [{ label: "Date", cell: (d) => d.date },
         { label: "Unique users added", num: true, cell: (d) => count(d.unique_users_added) }];
    const note = notificationsView
      ? h("p", { class: "hint" }, "The count of notifications is an upper limit: the bill is this count or less, ",
          "only messages sent outside an open 24-hour window are charged.")
      : h("p", { class: "hint" }, "An active contact is a user with at least one delivered incoming or outgoing message.");
    out.replaceChildren(tabs, figures, note, chart, table(name, columns, daily.days));
  }
  form.addEventListener("submit", (event) => { event.preventDefault(); guarded(out, load); });
  await guarded(out, load);
}

// ---- Monthly usage ---------------------------------------------------------------------------
function monthsAgo(n) {
  const date = new Date();
  date.setUTCDate(1);
  date.setUTCMonth(date.getUTCMonth() - n);
  return isoDay(date).slice(0, 7);
}

export async function monthlyUsage(ctx, root) {
  const from = h("input", { type: "month", name: "from_month", value: monthsAgo(11) });
  const to = h("input", { type: "month", name: "to_month", value: monthsAgo(0) });
  const channel = select("channel_id", await channelOptions(ctx).catch(() => [["", "All phone numbers"]]));
  const out = h("div");
  const form = h("form", { class: "filters", "aria-label": "Months" },
    filter("From month", from), filter("To month", to), filter("Phone number", channel),
    h("button", { type: "submit" }, "Show"));
  root.replaceChildren(...heading("Monthly usage"), form, out);

  async function load() {
    const scope = { channel_id: channel.value };
    const [monthly, charges] = await Promise.all([
      ctx.api.get(`${ctx.base}/usage/monthly`, { ...scope, from_month: from.value, to_month: to.value }),
      ctx.api.get(`${ctx.base}/usage/approximate-charges`, scope),
    ]);
    const labels = monthly.months.map((m) => m.month);
    const series = [
      { name: "All", values: monthly.months.map((m) => m.all_messages) },
      { name: "Free", values: monthly.months.map((m) => m.free_messages), color: "#5d8fc9" },
      { name: "Paid", values: monthly.months.map((m) => m.paid_messages), color: "#c0622b" },
    ];
    const currency = charges.month_to_date.currency_code;
    out.replaceChildren(
      barChart("Messages per month: all, free and paid", labels, series),
      table("Messages and conversations per month", [
        { label: "Month", cell: (m) => m.month },
        { label: "All", num: true, cell: (m) => count(m.all_messages) },
        { label: "Free", num: true, cell: (m) => count(m.free_messages) },
        { label: "Paid", num: true, cell: (m) => count(m.paid_messages) },
        { label: "Conversations (free / paid)", num: true,
          cell: (m) => `${count(m.free_conversations)} / ${count(m.paid_conversations)}` },
        { label: "Charges", num: true, cell: (m) => money(m.charges) },
      ], monthly.months),
      h("h2", {}, `Approximate charges for ${charges.month}`),
      h("div", { class: "figures" },
        figure("Month to date", money(charges.month_to_date), "month-to-date"),
        figure("Projected at month end", money(charges.projected_month_end), "projected")),
      barChart(`Approximate charges for ${charges.month}`, ["Month to date", "Projected"], [{
        name: "Charges", values: [charges.month_to_date.amount_micros, charges.projected_month_end.amount_micros],
      }], (value) => micros(value, currency)),
      h("p", { class: "hint" },
        `Projected = month to date × ${charges.days_in_month} days ÷ ${charges.days_elapsed} days elapsed.`));
  }
  form.addEventListener("submit", (event) => { event.preventDefault(); guarded(out, load); });
  await guarded(out, load);
}

// ---- Balance ---------------------------------------------------------------------------------
export async function balance(ctx, root, addFundsPanel) {
  root.replaceChildren(...heading("Balance"));
  await guarded(root, async () => {
    const [answer, channels] = await Promise.all([
      ctx.api.get(`${ctx.base}/balance`),
      ctx.api.get(`${ctx.base}/channels`, { page_size: 200 }).catch(() => ({ channels: [] })),
    ]);
    const names = Object.fromEntries(channels.channels.map((c) => [c.channel_id, c.display_phone_number]));
    const money_ = answer.balances.filter((b) => b.kind === "ASSET_KIND_MONEY");
    const byCurrency = {};
    for (const b of money_) byCurrency[b.currency_code] = (byCurrency[b.currency_code] || 0) + Number(b.available_micros);
    const label = (b) => b.channel_id ? (names[b.channel_id] || b.channel_id) : "Whole account";
    root.append(
      h("div", { class: "figures" }, Object.entries(byCurrency).map(([currency, total]) =>
        figure(`Total available (${currency})`, micros(total, currency), `total-${currency}`))),
      money_.length > 1 ? barChart("Balance per phone number", money_.map(label),
        [{ name: "Available", values: money_.map((b) => b.available_micros) }],
        (value) => micros(value, money_[0].currency_code)) : "",
      table("Balance breakdown", [
        { label: "Phone number", cell: label },
        { label: "Available", num: true, cell: (b) => micros(b.available_micros, b.currency_code) },
        { label: "Reserved for sends in flight", num: true, cell: (b) => micros(b.reserved_micros, b.currency_code) },
      ], money_, "No money on this account yet."),
      h("p", { class: "hint" }, "At zero balance paid messages are refused; incoming messages and free ",
        "messages continue."),
      h("h2", {}, "Transactions"));
    if (ctx.can("billing_write")) {
      root.querySelector(".figures").after(addFundsPanel || addFunds(ctx, (panel) => balance(ctx, root, panel),
        money_.length ? money_[0].currency_code : "USD"));
    }
    const ledger = h("div", { "data-list": "ledger" });
    root.append(ledger);
    const tokens = [""];
    let page = 0;
    const loadLedger = async () => {
      const entries = await ctx.api.get(`${ctx.base}/ledger-entries`, { page_size: PAGE_SIZE, page_token: tokens[page] });
      tokens[page + 1] = entries.next_page_token;
      ledger.replaceChildren(
        table("Ledger entries", [
          { label: "Date", cell: (e) => day(e.create_time) },
          { label: "Kind", cell: (e) => e.kind.replaceAll("_", " ") },
          { label: "Ledger account", cell: (e) => e.ledger_account },
          { label: "Debit", num: true, cell: (e) => Number(e.debit_micros) ? micros(e.debit_micros, e.currency_code) : "" },
          { label: "Credit", num: true, cell: (e) => Number(e.credit_micros) ? micros(e.credit_micros, e.currency_code) : "" },
          { label: "Reference", cell: (e) => e.reference },
        ], entries.entries, "No transactions yet."),
        h("div", { class: "pager" },
          h("button", { type: "button", class: "secondary", disabled: page === 0,
            onclick: () => { page -= 1; guarded(ledger, loadLedger); } }, "Previous page"),
          h("span", {}, `Page ${page + 1}`),
          h("button", { type: "button", class: "secondary", disabled: !entries.next_page_token,
            onclick: () => { page += 1; guarded(ledger, loadLedger); } }, "Next page")));
    };
    await guarded(ledger, loadLedger);
  });
}

// ---- Credits ---------------------------------------------------------------------------------
export async function credits(ctx, root) {
  root.replaceChildren(...heading("Credits"));
  await guarded(root, async () => {
    const answer = await ctx.api.get(`${ctx.base}/credits`, { page_size: 100 });
    const remaining = {};
    for (const c of answer.credits) {
      const code = c.remaining.currency_code;
      remaining[code] = (remaining[code] || 0) + Number(c.remaining.amount_micros);
    }
    const numbers = {};
    const invoiceIds = [...new Set(answer.redemptions.map((r) => r.invoice_id))].slice(0, 50);
    await Promise.all(invoiceIds.map(async (id) => {
      try {
        numbers[id] = (await ctx.api.get(`${ctx.base}/invoices/${encodeURIComponent(id)}`)).invoice.number;
      } catch { numbers[id] = id; }
    }));
    root.append(
      h("div", { class: "figures" }, Object.entries(remaining).map(([code, total]) =>
        figure(`Credit remaining (${code})`, micros(total, code), `credit-${code}`))),
      h("p", { class: "hint" }, "Credits are redeemed against the WhatsApp notifications invoice."),
      table("Credits added", [
        { label: "Added", cell: (c) => day(c.create_time) },
        { label: "Reason", cell: (c) => c.reason || "—" },
        { label: "Amount", num: true, cell: (c) => money(c.granted) },
        { label: "Remaining", num: true, cell: (c) => money(c.remaining) },
        { label: "Expires", cell: (c) => day(c.expire_time) },
        { label: "May pay for", cell: (c) => (c.applies_to || []).join(", ").replaceAll("_", " ") || "anything" },
      ], answer.credits, "No credits yet."),
      h("h2", {}, "Redemptions"),
      table("Credits redeemed against invoices", [
        { label: "Date", cell: (r) => day(r.create_time) },
        { label: "Invoice", cell: (r) => numbers[r.invoice_id] || r.invoice_id },
        { label: "Amount", num: true, cell: (r) => money(r.amount) },
      ], answer.redemptions, "No credit has been redeemed yet."));
  });
}

// ---- Channels and days -----------------------------------------------------------------------
export async function channels(ctx, root) {
  root.replaceChildren(...heading("Channels and days"));
  await guarded(root, async () => {
    const answer = await ctx.api.get(`${ctx.base}/channels`, { page_size: 200 });
    const live = answer.channels.filter((c) => !c.deleted);
    const parts = [
      h("div", { class: "figures" }, figure("Days in the pool", count(answer.pool_days), "pool-days"),
        figure("Channels", count(live.length), "channel-count")),
      table("Channels", [
        { label: "Phone number", cell: (c) => c.display_phone_number || c.channel_id },
        { label: "Paid days left", num: true, cell: (c) => count(c.days_remaining) },
        { label: "Paid through", cell: (c) => c.paid_through_date || "—" },
        { label: "Actions", cell: (c) => ctx.can("operations") ? h("button", {
            type: "button", class: "danger", "aria-label": `Delete channel ${c.display_phone_number || c.channel_id}`,
            onclick: async () => {
              if (!confirm(`Delete ${c.display_phone_number || c.channel_id}? Unused days go back to the pool.`)) return;
              const gone = await ctx.api.send("DELETE", `${ctx.base}/channels/${encodeURIComponent(c.channel_id)}`);
              toast(`Channel deleted; ${gone.returned_days} days returned to the pool`);
              await channels(ctx, root);
            } }, "Delete") : "" },
      ], live, "No channels yet."),
    ];
    if (ctx.can("billing_write") && live.length) {
      const channel = select("channel_id", live.map((c) => [c.channel_id, c.display_phone_number || c.channel_id]));
      const days = h("input", { type: "number", name: "days", min: "1", max: "36500", required: true, value: "30" });
      const error = h("p", { class: "error", role: "alert" });
      const form = h("form", { class: "form", "aria-label": "Allocate days" },
        field("Channel", channel), field("Days", days), h("span"), h("button", { type: "submit" }, "Allocate days"), h("span"), error);
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        try {
          const done = await ctx.api.send("POST", `${ctx.base}/channels/${encodeURIComponent(channel.value)}:allocate-days`,
            { days: days.value });
          toast(`${days.value} days allocated; ${done.pool_days} left in the pool`);
          await channels(ctx, root);
        } catch (failure_) { error.textContent = failure_.message; }
      });
      parts.push(h("h2", {}, "Allocate days from the pool"), form);
    }
    parts.push(await requestDays(ctx));
    root.append(...parts);
  });
}

// ---- Usage report ----------------------------------------------------------------------------
export async function usageReport(ctx, root) {
  const from = h("input", { type: "date", name: "from_date", value: daysAgo(6) });
  const to = h("input", { type: "date", name: "to_date", value: daysAgo(0) });
  const channel = select("channel_id", await channelOptions(ctx).catch(() => [["", "All phone numbers"]]));
  const out = h("div");
  const exportButton = h("button", { type: "button", class: "secondary" }, "Export CSV");
  const form = h("form", { class: "filters", "aria-label": "Report filters" },
    filter("From", from), filter("To", to), filter("Phone number", channel),
    h("button", { type: "submit" }, "Show"), exportButton);
  root.replaceChildren(...heading("Usage report"), form, out);
  const params = () => ({ from_date: from.value, to_date: to.value, channel_id: channel.value });
  const SHOWN = 200;

  async function load() {
    const rows = (await ctx.api.get(`${ctx.base}/usage/report`, params())).map((item) => item.row);
    out.replaceChildren(
      h("p", { class: "hint" }, `${count(rows.length)} interactions`,
        rows.length > SHOWN ? ` (the first ${SHOWN} are shown; export the CSV for all)` : ""),
      table("Official WhatsApp billing report", [
        { label: "CONN_ID", cell: (r) => r.chat_id },
        { label: "SESSION_ID", cell: (r) => r.session_id },
        { label: "DATE", cell: (r) => (r.occur_time || "").replace("T", " ").slice(0, 19) },
        { label: "CUSTOMER_PHONE", cell: (r) => r.customer_phone },
        { label: "TEMPLATE", cell: (r) => r.template ? "yes" : "no" },
        { label: "DESTINY", cell: (r) => r.destination },
      ], rows.slice(0, SHOWN), "No interactions in this range."));
  }
  exportButton.addEventListener("click", () => guarded(out, async () => {
    const blob = await ctx.api.blob(`${ctx.base}/usage/report.csv`, params());
    download(blob, `usage-${from.value}-${to.value}.csv`);
    toast("CSV exported");
  }));
  form.addEventListener("submit", (event) => { event.preventDefault(); guarded(out, load); });
  await guarded(out, load);
}

// ---- Pricing ---------------------------------------------------------------------------------
export async function pricing(ctx, root) {
  const market = h("input", { type: "search", name: "market", placeholder: "e.g. India" });
  const out = h("div");
  const form = h("form", { class: "filters", "aria-label": "Find a market" }, filter("Market", market),
    h("button", { type: "submit" }, "Find"));
  const recipient = h("input", { type: "tel", name: "recipient", placeholder: "+919812345678", required: true });
  const category = select("category", CATEGORIES);
  const quoteOut = h("div", { "aria-live": "polite" });
  const quote = h("form", { class: "form", "aria-label": "Price of one message" },
    field("Recipient number", recipient), field("Category", category),
    h("span"), h("button", { type: "submit" }, "Get the price"));
  root.replaceChildren(...heading("Pricing"),
    h("p", { class: "hint" }, "What this account pays per message, by market and category, under the rate card in force."),
    h("h2", {}, "Price of one message"), quote, quoteOut, h("h2", {}, "Price list"), form, out);

  async function load() {
    const answer = await ctx.api.get(`${ctx.base}/prices`, { market: market.value });
    const categories = ["marketing", "utility", "authentication", "authentication-international", "service"];
    const price = (m, name) => {
      const found = m.prices.find((p) => p.category === name);
      return found ? money(found.price) : "—";
    };
    out.replaceChildren(
      h("p", { class: "hint" }, `Prices in ${answer.currency_code}, per ${answer.pricing_model === "PRICING_MODEL_CONVERSATION" ? "conversation" : "message"}, `,
        `rate card effective ${answer.rate_card_effective_date}. Volume tiers can lower the utility and authentication prices.`),
      table("Price per message by market", [
        { label: "Market", cell: (m) => m.market },
        ...categories.map((name) => ({ label: name.replace("-", " "), num: true, cell: (m) => price(m, name) })),
      ], answer.markets, "No market matches."));
  }
  quote.addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(quoteOut, async () => {
      const answer = await ctx.api.get(`${ctx.base}/prices:quote`, { recipient: recipient.value, category: category.value });
      quoteOut.replaceChildren(h("div", { class: "figures" },
        figure(`${answer.market} · ${answer.category}`, answer.billable ? money(answer.price) : "free", "quote")));
    });
  });
  form.addEventListener("submit", (event) => { event.preventDefault(); guarded(out, load); });
  await guarded(out, load);
}

// ---- Organization ----------------------------------------------------------------------------
export async function organization(ctx, root) {
  root.replaceChildren(...heading("Organization"));
  await guarded(root, async () => {
    const org = (await ctx.api.get(`${ctx.base}/organization`)).organization;
    const editable = ctx.can("billing_write");
    const inputs = {
      business_name: h("input", { name: "business_name", value: org.business_name || "", maxlength: "200" }),
      address: h("input", { name: "address", value: org.address || "", maxlength: "500" }),
      tax_id: h("input", { name: "tax_id", value: org.tax_id || "", maxlength: "64" }),
      billing_email: h("input", { name: "billing_email", type: "email", value: org.billing_email || "" }),
      country: h("input", { name: "country", value: org.country || "", maxlength: "2", pattern: "[A-Za-z]{2}" }),
    };
    for (const input of Object.values(inputs)) input.disabled = !editable;
    const error = h("p", { class: "error", role: "alert" });
    const form = h("form", { class: "form", "aria-label": "Organization details" },
      field("Business name", inputs.business_name), field("Address", inputs.address),
      field("Tax id", inputs.tax_id), field("Billing email", inputs.billing_email),
      field("Country (ISO code)", inputs.country),
      editable ? [h("span"), h("button", { type: "submit" }, "Save")] : [], h("span"), error);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      // Only what the buyer edits: the tax rate and pending changes are output only.
      const changed = {};
      for (const [name, input] of Object.entries(inputs)) changed[name] = input.value.trim();
      changed.country = changed.country.toUpperCase();
      try {
        await ctx.api.send("PUT", `${ctx.base}/organization`, { organization: changed });
        error.textContent = "";
        toast("Organization details saved");
      } catch (failure_) { error.textContent = failure_.message; }
    });
    root.append(h("p", { class: "hint" }, "The billing email receives every billing message."), form);
  });
}

// ---- Team ------------------------------------------------------------------------------------
export async function team(ctx, root) {
  root.replaceChildren(...heading("Team"));
  await guarded(root, async () => {
    const answer = await ctx.api.get(`${ctx.base}/teammates`);
    const path = (m) => `${ctx.base}/teammates/${encodeURIComponent(m.user_id)}`;
    const refresh = () => team(ctx, root);
    const roleSelect = (m) => {
      const chooser = select("role", [["admin", "Admin"], ["agent", "Agent"]], m.role);
      chooser.setAttribute("aria-label", `Role of ${m.email}`);
      chooser.addEventListener("change", async () => {
        await ctx.api.send("PATCH", path(m), { role: chooser.value });
        toast(`${m.email} is now ${chooser.value}`);
        await refresh();
      });
      return chooser;
    };
    const access = (m) => {
      const box = h("input", { type: "checkbox", checked: m.billing_access, "aria-label": `Billing access for ${m.email}` });
      box.addEventListener("change", async () => {
        await ctx.api.send("PATCH", path(m), { billing_access: box.checked });
        toast(`Billing access ${box.checked ? "granted to" : "revoked from"} ${m.email}`);
      });
      return box;
    };
    root.append(table("Teammates", [
      { label: "Email", cell: (m) => m.email },
      { label: "Role", cell: (m) => m.role === "owner" ? "owner" : roleSelect(m) },
      { label: "Billing access", cell: (m) => m.role === "owner" ? "always" : access(m) },
      { label: "Actions", cell: (m) => m.role === "owner" ? "" : h("button", {
          type: "button", class: "danger", "aria-label": `Remove ${m.email}`,
          onclick: async () => {
            if (!confirm(`Remove ${m.email} from the team?`)) return;
            await ctx.api.send("DELETE", path(m));
            toast(`${m.email} removed`);
            await refresh();
          } }, "Remove") },
    ], answer.teammates));
    const email = h("input", { type: "email", name: "email", required: true });
    const role = select("role", [["agent", "Agent"], ["admin", "Admin"]]);
    const billing = h("input", { type: "checkbox", name: "billing_access" });
    const result = h("div", { "aria-live": "polite" });
    const form = h("form", { class: "form", "aria-label": "Invite a teammate" },
      field("Email", email), field("Role", role), field("Billing access", billing),
      h("span"), h("button", { type: "submit" }, "Invite"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      guarded(result, async () => {
        const invited = await ctx.api.send("POST", `${ctx.base}/teammates`,
          { email: email.value, role: role.value, billing_access: billing.checked });
        await refresh();
        if (invited.initial_password) {
          root.append(h("p", { class: "notice", role: "status" }, `${invited.teammate.email} can sign in with the password `,
            h("code", {}, invited.initial_password), ". Hand it over privately; it is shown once."));
        }
        toast(`${invited.teammate.email} invited`);
      });
    });
    root.append(h("h2", {}, "Invite a teammate"), form, result);
  });
}
