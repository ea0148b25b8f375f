// Webhook endpoints and their delivery log: owners and admins (the gateway refuses agents).
import { newKey } from "./api.js";
import { badge, field, filter, h, select, table, toast, words } from "./ui.js";

const PAGE_SIZE = 25;
const STATES = [
  ["", "Any state"], ["DELIVERY_STATE_PENDING", "Pending"],
  ["DELIVERY_STATE_SUCCEEDED", "Succeeded"], ["DELIVERY_STATE_FAILED", "Failed"],
];

function when(timestamp) {
  return timestamp ? String(timestamp).replace("T", " ").slice(0, 19) : "—";
}

function failure(error) {
  return h("p", { class: "error", role: "alert" }, error.message || String(error));
}

// A datetime-local value for a moment, in the browser's time zone.
function localInput(date) {
  const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return shifted.toISOString().slice(0, 16);
}

function secretPanel(title, secret) {
  return h("section", { class: "panel notice", role: "status", "aria-label": title, "data-secret": "shown" },
    h("h2", {}, title),
    h("p", {}, "Copy the signing secret now: it is shown this once and cannot be read again."),
    h("p", {}, h("code", { "data-secret-value": "" }, secret)));
}

export async function notifications(ctx, root) {
  root.replaceChildren(h("h1", {}, "Notifications"));
  if (!ctx.can("operations")) {
    root.append(h("div", { class: "notice", role: "status", "data-notice": "no-webhooks" },
      h("p", {}, "Webhook endpoints are managed by the account's owner and admins."),
      h("p", {}, "Ask the account's owner if you need events sent to your systems.")));
    return;
  }
  const shown = h("div", { "data-secret-slot": "" });
  const list = h("div", { "data-list": "endpoints" });
  const log = h("div", { "data-list": "deliveries" });
  let kinds = [];
  try {
    kinds = (await ctx.api.get("/v1/webhook-event-types")).event_types;
  } catch (error) {
    root.append(failure(error));
    return;
  }
  const hooks = `${ctx.base}/webhook-endpoints`;
  root.append(
    h("p", { class: "hint" }, "Billing events are POSTed to your endpoints, signed per the Standard Webhooks ",
      "specification; each delivery is retried for 3 days until your endpoint answers 2xx."),
    shown, h("h2", {}, "Endpoints"), list, createForm(), log);

  function createForm() {
    const url = h("input", { type: "url", name: "url", required: true, maxlength: "2000",
      placeholder: "https://example.com/billing-events" });
    const description = h("input", { name: "description", maxlength: "500" });
    const boxes = kinds.map((kind) => h("label", { class: "choice", title: kind.description },
      h("input", { type: "checkbox", name: "event_types", value: kind.name }),
      h("code", {}, kind.name), " ", h("span", { class: "hint" }, kind.description)));
    const error = h("p", { class: "error", role: "alert" });
    const form = h("form", { class: "form", "aria-label": "Add an endpoint" },
      field("Endpoint URL", url), field("Description", description),
      h("span", {}, "Event types"),
      h("fieldset", { class: "choices" }, h("legend", { class: "hint" }, "None checked: every type"), boxes),
      h("span"), h("button", { type: "submit" }, "Add endpoint"), h("span"), error);
    // One key per submission: a retried click cannot add the endpoint twice.
    let key = newKey();
    form.addEventListener("input", () => { key = newKey(); });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      const chosen = boxes.map((box) => box.querySelector("input")).filter((box) => box.checked).map((box) => box.value);
      try {
        const made = await ctx.api.send("POST", hooks,
          { url: url.value.trim(), description: description.value, event_types: chosen }, key);
        key = newKey();
        form.reset();
        shown.replaceChildren(secretPanel(`Signing secret of ${made.endpoint.url}`, made.secret));
        toast("Endpoint added");
        await loadEndpoints();
      } catch (problem) {
        error.textContent = problem.message;
      }
    });
    return h("section", {}, h("h2", {}, "Add an endpoint"), form);
  }

  async function loadEndpoints() {
    const answer = await ctx.api.get(hooks, { page_size: 50 });
    list.replaceChildren(table("Webhook endpoints", [
      { label: "URL", cell: (e) => h("span", { "data-endpoint-url": e.url }, e.url) },
      { label: "Description", cell: (e) => e.description || "—" },
      { label: "Event types", cell: (e) => (e.event_types || []).length ? e.event_types.join(", ") : "every type" },
      { label: "State", cell: (e) => [badge(e.enabled ? "enabled" : "disabled"),
        e.disabled_reason ? h("div", { class: "hint" }, e.disabled_reason) : ""] },
      { label: "Actions", cell: (e) => endpointActions(e) },
    ], answer.endpoints, "No endpoints yet: add one below."));
  }

  function endpointActions(endpoint) {
    const path = `${hooks}/${encodeURIComponent(endpoint.endpoint_id)}`;
    const act = (label, text, action, kind = "secondary") => h("button", {
      type: "button", class: kind, "aria-label": `${label} ${endpoint.url}`,
      onclick: async (event) => {
        event.currentTarget.disabled = true;
        try { await action(); } catch (problem) { toast(problem.message); await loadEndpoints(); }
      } }, text);
    return h("div", { class: "actions" },
      act("Deliveries of", "Deliveries", () => showDeliveries(endpoint)),
      act(endpoint.enabled ? "Disable" : "Enable", endpoint.enabled ? "Disable" : "Enable", async () => {
        await ctx.api.send("PATCH", path, { enabled: !endpoint.enabled });
        toast(endpoint.enabled ? "Endpoint disabled" : "Endpoint enabled");
        await loadEndpoints();
      }),
      act("Rotate the secret of", "Rotate secret", async () => {
        if (!confirm(`Rotate the signing secret of ${endpoint.url}? The old one keeps signing for a day.`)) {
          await loadEndpoints();
          return;
        }
        const rotated = await ctx.api.send("POST", `${path}:rotateSecret`, {});
        shown.replaceChildren(secretPanel(`New signing secret of ${endpoint.url}`, rotated.secret));
        toast("Secret rotated");
        await loadEndpoints();
      }),
      act("Delete", "Delete", async () => {
        if (!confirm(`Delete ${endpoint.url}? Deliveries waiting for it stop.`)) {
          await loadEndpoints();
          return;
        }
        await ctx.api.send("DELETE", path);
        toast("Endpoint deleted");
        log.replaceChildren();
        await loadEndpoints();
      }, "danger"));
  }

  async function showDeliveries(endpoint) {
    const path = `${hooks}/${encodeURIComponent(endpoint.endpoint_id)}/deliveries`;
    const state = select("state", STATES);
    const tokens = [""];
    let page = 0;
    const rows = h("div", { "data-list": "delivery-rows" });
    const filters = h("form", { class: "filters", "aria-label": "Delivery filters" },
      filter("State", state), h("button", { type: "submit" }, "Show"));
    const since = h("input", { type: "datetime-local", name: "since_time", required: true,
      value: localInput(new Date(Date.now() - 86400000)) });
    const replayError = h("p", { class: "error", role: "alert" });
    const replayForm = h("form", { class: "filters", "aria-label": "Replay failed deliveries" },
      filter("Failed since", since), h("button", { type: "submit", class: "secondary" }, "Replay failed deliveries"),
      replayError);
    log.replaceChildren(h("h2", {}, "Delivery log of ", h("code", {}, endpoint.url)), filters, rows, replayForm);

    async function load() {
      const answer = await ctx.api.get(path, { page_size: PAGE_SIZE, page_token: tokens[page], state: state.value });
      tokens[page + 1] = answer.next_page_token;
      const replay = (d) => h("button", { type: "button", class: "secondary",
        "aria-label": `Replay delivery ${d.delivery_id}`,
        onclick: async () => {
          try {
            await ctx.api.send("POST", `${path}/${encodeURIComponent(d.delivery_id)}:replay`, {});
            toast(`Delivery ${d.delivery_id} sent again`);
            await load();
          } catch (problem) { toast(problem.message); }
        } }, "Replay");
      rows.replaceChildren(table("Deliveries, newest first", [
        { label: "Created", cell: (d) => when(d.create_time) },
        { label: "Event type", cell: (d) => h("code", {}, d.event_type) },
        { label: "Status", cell: (d) => h("span", { "data-delivery-state": words(d.state, "DELIVERY_STATE_") },
          badge(words(d.state, "DELIVERY_STATE_"))) },
        { label: "Attempts", num: true, cell: (d) => h("span", { "data-attempts": "" }, String(d.attempt_count || 0)) },
        { label: "Last response", cell: (d) => lastResponse(d) },
        { label: "Webhook id", cell: (d) => h("code", { "data-delivery-id": d.delivery_id }, d.delivery_id) },
        { label: "Actions", cell: replay },
      ], answer.deliveries, "No deliveries yet."),
      h("div", { class: "pager" },
        h("button", { type: "button", class: "secondary", disabled: page === 0,
          onclick: () => { page -= 1; load().catch((e) => rows.append(failure(e))); } }, "Previous page"),
        h("span", {}, `Page ${page + 1}`),
        h("button", { type: "button", class: "secondary", disabled: !answer.next_page_token,
          onclick: () => { page += 1; load().catch((e) => rows.append(failure(e))); } }, "Next page"),
        h("button", { type: "button", class: "secondary", onclick: () => load().catch((e) => rows.append(failure(e))) },
          "Refresh")));
    }
    filters.addEventListener("submit", (event) => {
      event.preventDefault();
      page = 0;
      tokens.length = 1;
      load().catch((e) => rows.append(failure(e)));
    });
    replayForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      replayError.textContent = "";
      try {
        const answer = await ctx.api.send("POST", `${path}:replayFailed`,
          { since_time: new Date(since.value).toISOString() });
        toast(`${answer.replayed_count || 0} failed deliveries queued again`);
        await load();
      } catch (problem) { replayError.textContent = problem.message; }
    });
    await load().catch((e) => rows.append(failure(e)));
    log.scrollIntoView({ block: "start" });
  }

  try {
    await loadEndpoints();
  } catch (error) {
    list.append(failure(error));
  }
}

function lastResponse(delivery) {
  const [last] = delivery.attempts || [];
  if (!last) return "—";
  const code = last.status_code ? `HTTP ${last.status_code}` : "no answer";
  return h("span", { "data-response-code": String(last.status_code || 0), title: last.response_excerpt || "" },
    code, last.latency_ms ? ` · ${last.latency_ms} ms` : "");
}
