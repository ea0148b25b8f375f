// The console's shell: sign-in, the caller's permissions, navigation and the hash router.
import { Api, signIn } from "./api.js";
import * as pages from "./pages.js";
import { notifications } from "./pages_notifications.js";
import { operatorAccount, operatorAccounts } from "./pages_operator.js";
import { h } from "./ui.js";

const TOKEN = "billing.console.token";
const PAGES = [
  { path: "invoices", title: "Invoices", group: "Billing", needs: "billing_read", render: pages.invoices },
  { path: "subscription", title: "Subscription", group: "Billing", needs: "billing_read", render: pages.subscription },
  { path: "payment-methods", title: "Payment methods", group: "Billing", needs: "billing_read", render: pages.paymentMethods },
  { path: "credits", title: "Credits", group: "Billing", needs: "billing_read", render: pages.credits },
  { path: "balance", title: "Balance", group: "Billing", needs: "billing_read", render: pages.balance },
  { path: "usage-history", title: "Usage history", group: "Usage", needs: "billing_read", render: pages.usageHistory },
  { path: "monthly-usage", title: "Monthly usage", group: "Usage", needs: "billing_read", render: pages.monthlyUsage },
  { path: "usage-report", title: "Usage report", group: "Usage", needs: "billing_read", render: pages.usageReport },
  { path: "pricing", title: "Pricing", group: "Usage", needs: "billing_read", render: pages.pricing },
  { path: "channels", title: "Channels and days", group: "Account", needs: "billing_read", render: pages.channels },
  { path: "organization", title: "Organization", group: "Account", needs: "billing_read", render: pages.organization },
  { path: "team", title: "Team", group: "Account", needs: "team", render: pages.team },
  // Reachable by address for every member (agents are told who manages webhooks).
  { path: "notifications", title: "Notifications", group: "Account", needs: "operations", render: notifications, direct: true },
  // Operators only: customers never see them; the API refuses them (403) if they go there.
  { path: "operator-accounts", title: "Accounts", group: "Operator", operator: true, direct: true, render: operatorAccounts },
  { path: "operator-account", title: "Account", group: "Operator", operator: true, direct: true, hidden: true, render: operatorAccount },
];

const state = { api: null, me: null };

function byId(id) {
  return document.getElementById(id);
}

function showSignIn(message = "") {
  sessionStorage.removeItem(TOKEN);
  state.api = null;
  byId("sign-in").hidden = false;
  byId("page").hidden = true;
  byId("nav").hidden = true;
  byId("sign-out").hidden = true;
  byId("who").textContent = "";
  byId("sign-in-error").textContent = message;
  byId("email").focus();
}

async function start(token) {
  state.api = new Api(token, () => showSignIn("Your session has ended; please sign in again."));
  state.me = await state.api.get("/v1/me");
  byId("sign-in").hidden = true;
  byId("page").hidden = false;
  byId("sign-out").hidden = false;
  byId("who").textContent = state.me.operator
    ? `${state.me.name || state.me.subject} · operator`
    : `${state.me.account_id} · ${state.me.role}`;
  buildNav();
  await route();
}

function can(permission) {
  return state.me.permissions.includes(permission);
}

function allowed() {
  if (state.me.operator) return PAGES.filter((page) => page.operator);
  return PAGES.filter((page) => !page.operator && can(page.needs));
}

function buildNav() {
  const nav = byId("nav");
  const links = [];
  let group = "";
  for (const page of allowed().filter((candidate) => !candidate.hidden)) {
    if (page.group !== group) {
      group = page.group;
      links.push(h("div", { class: "group", role: "presentation" }, group));
    }
    links.push(h("a", { href: `#/${page.path}`, "data-page": page.path }, page.title));
  }
  nav.replaceChildren(...links);
  nav.hidden = links.length === 0;
}

async function route() {
  if (!state.api) return;
  const root = byId("page");
  const visible = allowed();
  if (!state.me.operator && !visible.some((page) => page.needs === "billing_read")) {
    root.replaceChildren(h("h1", {}, "Billing"), h("div", { class: "notice", role: "status", "data-notice": "no-billing" },
      h("p", {}, "You don't have access to billing for this account."),
      h("p", {}, "Ask the account's owner to give you billing access in Team settings.")));
    return;
  }
  const route = location.hash.replace(/^#\//, "").split("?")[0] || visible[0].path;
  const [wanted, ...rest] = route.split("/");
  const page = visible.find((candidate) => candidate.path === wanted)
    || PAGES.find((candidate) => candidate.direct && candidate.path === wanted) || visible[0];
  const param = decodeURIComponent(rest.join("/"));
  for (const link of byId("nav").querySelectorAll("a")) {
    if (link.dataset.page === (page.hidden ? "operator-accounts" : page.path)) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `${page.title} · Billing console`;
  const ctx = { api: state.api, me: state.me, can, param, base: `/v1/accounts/${encodeURIComponent(state.me.account_id)}` };
  root.dataset.ready = "false";
  root.dataset.page = page.path;
  const started = performance.now();
  try {
    await page.render(ctx, root);
  } catch (error) {
    root.append(h("p", { class: "error", role: "alert" }, error.message || String(error)));
  }
  root.dataset.renderMs = String(Math.round(performance.now() - started));
  root.dataset.ready = "true";
  byId("main").focus();
}

byId("sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  byId("sign-in-error").textContent = "";
  try {
    const issued = await signIn(byId("email").value.trim(), byId("password").value, byId("account").value.trim());
    sessionStorage.setItem(TOKEN, issued.token);
    byId("password").value = "";
    await start(issued.token);
  } catch (error) {
    byId("sign-in-error").textContent = error.status === 401 ? "Wrong email or password." : error.message;
  }
});

byId("sign-out").addEventListener("click", () => showSignIn());
window.addEventListener("hashchange", () => { route(); });

const saved = sessionStorage.getItem(TOKEN);
if (saved) start(saved).catch(() => showSignIn());
else showSignIn();
