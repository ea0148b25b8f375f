// The public REST API, with the signed-in user's bearer token: nothing else is called.

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || "";
    this.field = error.field || "";
  }
}

function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== "") search.append(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export function newKey() {
  return crypto.randomUUID();
}

export class Api {
  constructor(token, onExpired) {
    this.token = token;
    this.onExpired = onExpired;
  }

  async request(method, path, { params, body, key } = {}) {
    const headers = { Authorization: `Bearer ${this.token}`, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (key) headers["Idempotency-Key"] = key;
    const response = await fetch(path + query(params), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
    if (response.status === 401 && this.onExpired) this.onExpired();
    if (!response.ok) {
      let detail = null;
      try { detail = await response.json(); } catch { detail = null; }
      throw new ApiError(response.status, detail);
    }
    return response;
  }

  async get(path, params) {
    return (await this.request("GET", path, { params })).json();
  }

  async send(method, path, body, key = newKey()) {
    return (await this.request(method, path, { body, key })).json();
  }

  async blob(path, params) {
    return (await this.request("GET", path, { params })).blob();
  }
}

export async function signIn(email, password, accountId) {
  const body = { email, password };
  if (accountId) body.account_id = accountId;
  const response = await fetch("/v1/auth/tokens", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}
