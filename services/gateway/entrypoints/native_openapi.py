"""The OpenAPI description of the gateway's own routes."""

from __future__ import annotations

from typing import Any

from services.gateway.entrypoints.openapi import error_responses

_ID = {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}
REASON = {
    "type": "string",
    "maxLength": 500,
    "description": "Why: recorded in the audit log; operators must give one.",
}
PREFERENCES = {
    "type": "object",
    "properties": {"billing_emails": {"type": "boolean"}},
    "required": ["billing_emails"],
}
TEAMMATE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["user_id", "email", "role", "billing_access"],
    "properties": {
        "user_id": {"type": "string", "description": "The user's id.", "examples": ["usr_1f2e"]},
        "email": {"type": "string", "description": "The user's sign-in email."},
        "role": {
            "type": "string",
            "enum": ["owner", "admin", "agent"],
            "description": "The user's role on this account.",
        },
        "billing_access": {
            "type": "boolean",
            "description": "Whether the user may see (agent) or change (admin) billing.",
        },
    },
}
TEAMMATE_ROLE = {
    "type": "string",
    "enum": ["admin", "agent"],
    "description": "A teammate's role: the owner is never invited or re-roled.",
}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
    }
    if required:
        schema["required"] = required
    return schema


def native_paths() -> dict[str, Any]:
    health = _object({"status": {"type": "string"}}, ["status"])
    ready = _object(
        {
            "status": {"type": "string", "enum": ["ready", "not_ready"]},
            "database": {"type": "string", "enum": ["SERVING", "NOT_SERVING"]},
            "backends": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        ["status", "database", "backends"],
    )
    token_request = _object(
        {
            "email": {"type": "string", "maxLength": 320},
            "password": {"type": "string", "maxLength": 1024},
            "account_id": {
                "type": "string",
                "description": "Needed for a user of several accounts.",
            },
        },
        ["email", "password"],
    )
    token = _object(
        {
            "token": {"type": "string"},
            "token_type": {"type": "string", "enum": ["Bearer"]},
            "expires_in": {"type": "integer", "description": "Seconds."},
            "account_id": {"type": "string", "description": "Empty for an operator."},
            "role": {"type": "string", "enum": ["", "owner", "admin", "agent"]},
            "operator": {"type": "boolean"},
            "billing_access": {"type": "boolean"},
        },
        ["token", "token_type", "expires_in", "account_id", "role", "operator", "billing_access"],
    )
    me = _object(
        {
            "subject": {"type": "string"},
            "account_id": {"type": "string"},
            "role": {"type": "string", "enum": ["", "owner", "admin", "agent"]},
            "operator": {"type": "boolean"},
            "name": {"type": "string"},
            "credential_id": {"type": "string"},
            "billing_access": {"type": "boolean"},
            "permissions": {"type": "array", "items": {"type": "string"}},
        },
        [
            "subject",
            "account_id",
            "role",
            "operator",
            "name",
            "credential_id",
            "billing_access",
            "permissions",
        ],
    )
    entry = _object(
        {
            "entry_id": {"type": "string"},
            "occur_time": {"type": "string", "format": "date-time"},
            "service": {"type": "string"},
            "action": {"type": "string"},
            "account_id": {"type": "string"},
            "actor": _object(
                {
                    name: {"type": "string"}
                    for name in ("kind", "id", "name", "role", "credential_id", "caller")
                }
            ),
            "reason": {"type": "string"},
            "target": {"type": "string"},
            "before": {"type": "object"},
            "after": {"type": "object"},
        }
    )
    entries = _object(
        {"entries": {"type": "array", "items": entry}, "next_page_token": {"type": "string"}},
        ["entries", "next_page_token"],
    )
    paging = [
        {
            "name": "page_size",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 0, "maximum": 1000},
        },
        {"name": "page_token", "in": "query", "required": False, "schema": {"type": "string"}},
    ]
    invitation = _object(
        {
            "email": {"type": "string", "maxLength": 320, "examples": ["priya@example.com"]},
            "role": TEAMMATE_ROLE,
            "billing_access": {"type": "boolean", "description": "Defaults to false."},
            "reason": REASON,
        },
        ["email", "role"],
    )
    invited = _object(
        {
            "teammate": TEAMMATE,
            "initial_password": {
                "type": "string",
                "description": "Only when the invite created the user: the password to hand over.",
            },
        },
        ["teammate"],
    )
    change = _object(
        {
            "role": TEAMMATE_ROLE,
            "billing_access": {"type": "boolean"},
            "reason": REASON,
        }
    )
    account = {"name": "account_id", "in": "path", "required": True, "schema": _ID}
    user = {"name": "user_id", "in": "path", "required": True, "schema": _ID}
    tag = ["Gateway"]
    return {
        "/healthz": {
            "get": {
                "operationId": "Gateway_Healthz",
                "tags": tag,
                "summary": "The process is alive",
                "security": [],
                "responses": {"200": _json(health)},
            }
        },
        "/readyz": {
            "get": {
                "operationId": "Gateway_Readyz",
                "tags": tag,
                "summary": "Not draining, and the gateway's database answers (backends shown)",
                "security": [],
                "responses": {"200": _json(ready), "503": _json(ready, "Not ready")},
            }
        },
        "/v1/auth/tokens": {
            "post": {
                "operationId": "Gateway_CreateToken",
                "tags": tag,
                "summary": "Exchange a user's email and password for a short-lived bearer token",
                "security": [],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": token_request}},
                },
                "description": (
                    "Failed attempts are throttled per user and per source address: after a "
                    "few, attempts wait (429 with Retry-After), then sign-in locks for a while."
                ),
                "responses": {
                    "200": _json(token),
                    **error_responses({400, 401, 413, 415, 429}),
                },
            }
        },
        "/v1/payment-events/stripe": {
            "post": {
                "operationId": "Gateway_StripeEvent",
                "tags": tag,
                "summary": "Stripe's webhook events; trusted only with a verified Stripe-Signature",
                "security": [],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "responses": {
                    "200": _json(
                        _object({"received": {"type": "boolean"}, "duplicate": {"type": "boolean"}})
                    ),
                    **error_responses({400, 403, 413, 503}),
                },
            }
        },
        "/v1/me": {
            "get": {
                "operationId": "Gateway_Me",
                "tags": tag,
                "summary": "The caller: account, role and permissions",
                "responses": {"200": _json(me), **error_responses({401, 429})},
            }
        },
        "/v1/accounts/{account_id}/teammates": {
            "get": {
                "operationId": "Gateway_ListTeammates",
                "tags": tag,
                "summary": "The account's users, their roles and billing access (owner only)",
                "parameters": [account],
                "responses": {
                    "200": _json(_object({"teammates": {"type": "array", "items": TEAMMATE}})),
                    **error_responses({401, 403, 404, 429}),
                },
            },
            "post": {
                "operationId": "Gateway_InviteTeammate",
                "tags": tag,
                "summary": "Invite a teammate as admin or agent (owner only); again: the same",
                "parameters": [account],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": invitation}},
                },
                "responses": {
                    "200": _json(invited),
                    **error_responses({400, 401, 403, 404, 413, 415, 429}),
                },
            },
        },
        "/v1/accounts/{account_id}/teammates/{user_id}": {
            "patch": {
                "operationId": "Gateway_ChangeTeammate",
                "tags": tag,
                "summary": "Change a teammate's role or billing access (owner only)",
                "parameters": [account, user],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": change}},
                },
                "responses": {
                    "200": _json(TEAMMATE),
                    **error_responses({400, 401, 403, 404, 413, 415, 429}),
                },
            },
            "delete": {
                "operationId": "Gateway_RemoveTeammate",
                "tags": tag,
                "summary": "Remove a teammate (owner only); answers who was removed",
                "parameters": [
                    account,
                    user,
                    {"name": "reason", "in": "query", "required": False, "schema": REASON},
                ],
                "responses": {
                    "200": _json(TEAMMATE),
                    **error_responses({400, 401, 403, 404, 429}),
                },
            },
        },
        "/v1/accounts/{account_id}/teammates/{user_id}/billing-access": {
            "put": {
                "operationId": "Gateway_SetBillingAccess",
                "tags": tag,
                "summary": "Grant or revoke a teammate's access to billing (owner only)",
                "parameters": [account, user],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": _object(
                                {"billing_access": {"type": "boolean"}, "reason": REASON},
                                ["billing_access"],
                            )
                        }
                    },
                },
                "responses": {
                    "200": _json(TEAMMATE),
                    **error_responses({400, 401, 403, 404, 413, 415, 429}),
                },
            }
        },
        "/v1/accounts/{account_id}/audit-entries": {
            "get": {
                "operationId": "Gateway_ListAccountAuditEntries",
                "tags": tag,
                "summary": "The account's audit log, newest first (owner, operators)",
                "parameters": [account, *paging],
                "responses": {
                    "200": _json(entries),
                    **error_responses({400, 401, 403, 404, 429, 503}),
                },
            }
        },
        "/v1/audit-entries": {
            "get": {
                "operationId": "Gateway_ListAuditEntries",
                "tags": tag,
                "summary": "Every account's audit log, newest first (operators)",
                "parameters": [
                    {"name": "account_id", "in": "query", "required": False, "schema": _ID},
                    *paging,
                ],
                "responses": {
                    "200": _json(entries),
                    **error_responses({400, 401, 403, 429, 503}),
                },
            }
        },
        "/v1/accounts/{account_id}/notification-preferences": {
            "get": {
                "operationId": "Gateway_GetNotificationPreferences",
                "tags": tag,
                "summary": "Whether the signed-in user gets this account's billing emails",
                "parameters": [account],
                "responses": {
                    "200": _json(PREFERENCES),
                    **error_responses({401, 403, 404}),
                },
            },
            "put": {
                "operationId": "Gateway_SetNotificationPreferences",
                "tags": tag,
                "summary": (
                    "Opt the signed-in user in or out of this account's billing emails "
                    "(sent to users with billing access who opted in)"
                ),
                "parameters": [account],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": PREFERENCES}},
                },
                "responses": {
                    "200": _json(PREFERENCES),
                    **error_responses({400, 401, 403, 404, 413, 415}),
                },
            },
        },
    }
