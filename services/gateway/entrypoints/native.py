"""The gateway's own routes: health, documents, tokens, Stripe's webhook, the caller, the team,
and the audit log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from billing.invoicing.v1 import invoicing_service_pb2 as invoicing_pb
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from services.common import validation
from services.common.errors import InvalidArgument, NotFound, PermissionDenied
from services.gateway.domain import conventions
from services.gateway.domain.access import Access, Principal, Role, allows, parse_role
from services.gateway.domain.records import Membership
from services.gateway.entrypoints import http_errors, http_io
from services.gateway.entrypoints.router import HttpRoute
from services.gateway.entrypoints.transcoded import authenticate
from services.gateway.service.audit_trail import AuditTrail
from services.gateway.service.auth import Authenticator
from services.gateway.service.ports.backends import Backends
from services.gateway.service.principals import MAX_REASON_LENGTH, PrincipalSigner, actor_of
from services.gateway.service.rate_limit import RateLimiter
from services.gateway.service.team import Team
from services.gateway.service.user_access import UserAccess
from services.gateway.transcoding.template import compile_template

SERVING = "SERVING"
INVOICING = "billing.invoicing.v1.InvoicingService"
# Stripe's webhook events: no user credential, the raw body and its signature go to invoicing,
# which acts only on a signature that verifies with STRIPE_WEBHOOK_SECRET.
STRIPE_WEBHOOK_PATH = "/v1/payment-events/stripe"
WEBHOOK_TIMEOUT_S = 20.0
# The signed-in user's own opt-in to the account's billing emails.
PREFERENCES_PATH = "/v1/accounts/{account_id}/notification-preferences"


class NativeRoutes:
    def __init__(
        self,
        authenticator: Authenticator,
        team: Team,
        backends: Backends,
        max_body_bytes: int,
        readiness_timeout_s: float,
        documents: Any,
        *,
        limiter: RateLimiter,
        signer: PrincipalSigner,
        audit_trail: AuditTrail,
        forwarded_hops: int = 0,
        user_events: UserAccess | None = None,
        database_answers: Callable[[], bool] = lambda: True,
    ) -> None:
        self._user_events = user_events
        self._authenticator = authenticator
        self._limiter = limiter
        self._signer = signer
        self._audit_trail = audit_trail
        self._forwarded_hops = forwarded_hops
        self._team = team
        self._backends = backends
        self._max_body_bytes = max_body_bytes
        self._readiness_timeout_s = readiness_timeout_s
        self._documents = documents
        self._database_answers = database_answers
        self.draining = False

    def routes(self) -> list[HttpRoute]:
        table = [
            ("GET", "/healthz", self.healthz),
            ("GET", "/readyz", self.readyz),
            ("GET", "/openapi.json", self.openapi),
            ("GET", "/docs", self.docs),
            ("POST", "/v1/auth/tokens", self.create_token),
            ("POST", STRIPE_WEBHOOK_PATH, self.stripe_event),
            ("GET", "/v1/me", self.me),
            ("GET", "/v1/accounts/{account_id}/teammates", self.list_teammates),
            ("POST", "/v1/accounts/{account_id}/teammates", self.invite_teammate),
            ("PATCH", "/v1/accounts/{account_id}/teammates/{user_id}", self.change_teammate),
            ("DELETE", "/v1/accounts/{account_id}/teammates/{user_id}", self.remove_teammate),
            (
                "PUT",
                "/v1/accounts/{account_id}/teammates/{user_id}/billing-access",
                self.set_billing_access,
            ),
            ("GET", "/v1/accounts/{account_id}/audit-entries", self.account_audit),
            ("GET", "/v1/audit-entries", self.audit),
            ("GET", PREFERENCES_PATH, self.get_preferences),
            ("PUT", PREFERENCES_PATH, self.set_preferences),
        ]
        return [
            HttpRoute(method, compile_template(path), handler) for method, path, handler in table
        ]

    async def healthz(self, request: Request, _: dict[str, str]) -> Response:
        return http_io.json_response({"status": "ok"})

    async def readyz(self, request: Request, _: dict[str, str]) -> Response:
        """Ready while not draining and its own database answers: it can then authenticate and
        serve every route whose backend is up (the others answer 503 on their own). A backend
        that is down must not take every gateway out of the load balancer; its status is shown."""
        backends = await self._backends.health(self._readiness_timeout_s)
        database = await run_in_threadpool(self._database_answers)
        ready = not self.draining and database
        body = {
            "status": "ready" if ready else "not_ready",
            "database": SERVING if database else "NOT_SERVING",
            "backends": backends,
        }
        return http_io.json_response(body, 200 if ready else 503)

    async def openapi(self, request: Request, _: dict[str, str]) -> Response:
        return Response(self._documents.openapi_json, media_type="application/json")

    async def docs(self, request: Request, _: dict[str, str]) -> Response:
        return HTMLResponse(self._documents.docs_html)

    async def create_token(self, request: Request, _: dict[str, str]) -> Response:
        data = http_io.decode_object(
            request, await http_io.read_body(request, self._max_body_bytes)
        )
        fields = {"email": "", "password": "", "account_id": ""}
        for key, value in data.items():
            if key not in fields and key != "accountId":
                raise InvalidArgument(key, "unknown field")
            if not isinstance(value, str):
                raise InvalidArgument(key, "expected a string")
            fields["account_id" if key == "accountId" else key] = value
        issued = await run_in_threadpool(
            self._authenticator.issue_token,
            fields["email"],
            fields["password"],
            fields["account_id"],
            http_io.client_address(request, self._forwarded_hops),
        )
        return http_io.json_response(
            {
                "token": issued.token,
                "token_type": "Bearer",
                "expires_in": issued.expires_in_s,
                "account_id": issued.account_id,
                "role": issued.role.value if issued.role else "",
                "operator": issued.operator,
                "billing_access": issued.billing_access,
            }
        )

    async def stripe_event(self, request: Request, _: dict[str, str]) -> Response:
        body = await http_io.read_body(request, self._max_body_bytes)
        forwarded = invoicing_pb.HandlePaymentEventRequest(
            provider="stripe",
            payload=body,
            signature=request.headers.get("stripe-signature", "")[:2048],
        )
        try:
            answer = await self._backends.unary(
                INVOICING,
                "HandlePaymentEvent",
                forwarded,
                invoicing_pb.HandlePaymentEventResponse,
                WEBHOOK_TIMEOUT_S,
                # As the gateway itself: the event is trusted for its signature, not a user.
                self._signer.service_metadata(),
            )
        except grpc.aio.AioRpcError as error:
            return http_errors.from_rpc_error(error)
        return http_io.json_response({"received": True, "duplicate": answer.duplicate})

    async def me(self, request: Request, _: dict[str, str]) -> Response:
        principal = await authenticate(self._authenticator, request, self._limiter)
        return http_io.json_response(
            {
                "subject": principal.subject,
                "account_id": principal.account_id,
                "role": principal.role.value if principal.role else "",
                "operator": principal.operator,
                "name": principal.name,
                "credential_id": principal.credential_id,
                "billing_access": principal.has_billing,
                "permissions": [access.value for access in Access if allows(principal, access)],
            }
        )

    async def list_teammates(self, request: Request, values: dict[str, str]) -> Response:
        _, account_id = await self._team_scope(request, values)
        members = await run_in_threadpool(self._team.list, account_id)
        return http_io.json_response({"teammates": [_teammate(m) for m in members]})

    async def invite_teammate(self, request: Request, values: dict[str, str]) -> Response:
        principal, account_id = await self._team_scope(request, values)
        data = await self._fields(
            request, {"email": str, "role": str, "billing_access": bool, "reason": str}
        )
        if not data.get("email"):
            raise InvalidArgument("email", "is required")
        role = _role(data.get("role", ""))
        invited = await run_in_threadpool(
            self._team.invite,
            account_id,
            data["email"],
            role,
            bool(data.get("billing_access", False)),
            actor_of(principal),
            _reason(principal, data),
        )
        body: dict[str, Any] = {"teammate": _teammate(invited.member)}
        if invited.initial_password:
            body["initial_password"] = invited.initial_password
        return http_io.json_response(body)

    async def change_teammate(self, request: Request, values: dict[str, str]) -> Response:
        principal, account_id = await self._team_scope(request, values)
        data = await self._fields(request, {"role": str, "billing_access": bool, "reason": str})
        role = _role(data["role"]) if "role" in data else None
        member = await run_in_threadpool(
            self._team.change,
            account_id,
            values["user_id"],
            role,
            data.get("billing_access"),
            actor_of(principal),
            _reason(principal, data),
        )
        return http_io.json_response(_teammate(member))

    async def remove_teammate(self, request: Request, values: dict[str, str]) -> Response:
        principal, account_id = await self._team_scope(request, values)
        data = {"reason": request.query_params.get("reason", "")}
        member = await run_in_threadpool(
            self._team.remove,
            account_id,
            values["user_id"],
            actor_of(principal),
            _reason(principal, data),
        )
        return http_io.json_response(_teammate(member))

    async def _fields(self, request: Request, known: dict[str, type]) -> dict[str, Any]:
        """The body's fields (snake_case or lowerCamelCase), each of its expected JSON type."""
        data = http_io.decode_object(
            request, await http_io.read_body(request, self._max_body_bytes)
        )
        camel = {_camel(name): name for name in known}
        fields: dict[str, Any] = {}
        for key, value in data.items():
            name = camel.get(key, key)
            if name not in known:
                raise InvalidArgument(key, "unknown field")
            if not isinstance(value, known[name]):
                kind = "true or false" if known[name] is bool else "a string"
                raise InvalidArgument(name, f"expected {kind}")
            fields[name] = value
        return fields

    async def set_billing_access(self, request: Request, values: dict[str, str]) -> Response:
        principal, account_id = await self._team_scope(request, values)
        data = await self._fields(request, {"billing_access": bool, "reason": str})
        enabled = data.get("billing_access")
        if not isinstance(enabled, bool):
            raise InvalidArgument("billing_access", "expected true or false")
        member = await run_in_threadpool(
            self._team.set_billing_access,
            account_id,
            values["user_id"],
            enabled,
            actor_of(principal),
            _reason(principal, data),
        )
        return http_io.json_response(_teammate(member))

    async def account_audit(self, request: Request, values: dict[str, str]) -> Response:
        """An account's audit log: its owner, or an operator."""
        principal = await authenticate(self._authenticator, request, self._limiter)
        account_id = _account_scope(principal, values, "only the account's owner reads its log")
        return await self._audit_page(request, principal, account_id, ("page_size", "page_token"))

    async def audit(self, request: Request, _: dict[str, str]) -> Response:
        """Every account's audit log, or one's (?account_id=): operators only."""
        principal = await authenticate(self._authenticator, request, self._limiter)
        if not principal.operator:
            raise PermissionDenied("only operators read every account's audit log")
        account_id = request.query_params.get("account_id", "")
        if account_id and not validation.ID_PATTERN.match(account_id):
            raise InvalidArgument("account_id", "is not an account id")
        allowed = ("account_id", "page_size", "page_token")
        return await self._audit_page(request, principal, account_id, allowed)

    async def _audit_page(
        self, request: Request, principal: Principal, account_id: str, allowed: tuple[str, ...]
    ) -> Response:
        for name in request.query_params:
            if name not in allowed:
                raise InvalidArgument(name, "unknown query parameter")
        size_text = request.query_params.get("page_size", "0")
        if not size_text.isdigit() or int(size_text) > conventions.MAX_PAGE_SIZE:
            raise InvalidArgument("page_size", f"must be 0 to {conventions.MAX_PAGE_SIZE}")
        token = request.query_params.get("page_token", "")
        try:
            entries, next_token = await self._audit_trail.page(
                account_id, int(size_text), token, self._signer.metadata(principal)
            )
        except grpc.aio.AioRpcError as error:
            return http_errors.from_rpc_error(error)
        return http_io.json_response({"entries": entries, "next_page_token": next_token})

    async def get_preferences(self, request: Request, values: dict[str, str]) -> Response:
        user_id, account_id = await self._own_membership(request, values)
        enabled = await run_in_threadpool(self._events().billing_emails, user_id, account_id)
        return http_io.json_response({"billing_emails": enabled})

    async def set_preferences(self, request: Request, values: dict[str, str]) -> Response:
        user_id, account_id = await self._own_membership(request, values)
        data = await self._fields(request, {"billing_emails": bool})
        if "billing_emails" not in data:
            raise InvalidArgument("billing_emails", "is required")
        await run_in_threadpool(
            self._events().set_billing_emails, user_id, account_id, data["billing_emails"]
        )
        return http_io.json_response({"billing_emails": data["billing_emails"]})

    def _events(self) -> UserAccess:
        if self._user_events is None:
            raise NotFound("not found")
        return self._user_events

    async def _own_membership(self, request: Request, values: dict[str, str]) -> tuple[str, str]:
        """A signed-in user's own membership of the path's account (API keys have none)."""
        principal = await authenticate(self._authenticator, request, self._limiter)
        account_id = values["account_id"]
        if principal.operator or account_id != principal.account_id:
            raise NotFound("not found")
        member = await run_in_threadpool(self._team.member, principal.subject, account_id)
        if member is None:
            raise PermissionDenied("only a signed-in user has notification preferences")
        return principal.subject, account_id

    async def _team_scope(self, request: Request, values: dict[str, str]) -> tuple[Principal, str]:
        principal = await authenticate(self._authenticator, request, self._limiter)
        return principal, _account_scope(
            principal, values, "only the account's owner manages teammates"
        )


def _account_scope(principal: Principal, values: dict[str, str], refusal: str) -> str:
    """The path's account: the owner's own (another is not found), any for an operator."""
    if not allows(principal, Access.TEAM):
        raise PermissionDenied(refusal)
    account_id = values["account_id"]
    if not principal.operator and account_id != principal.account_id:
        raise NotFound("not found")
    if not validation.ID_PATTERN.match(account_id):
        raise NotFound("not found")
    return account_id


def _reason(principal: Principal, data: dict[str, Any]) -> str:
    """The change's reason; an operator must give one."""
    reason = str(data.get("reason", ""))
    if len(reason) > MAX_REASON_LENGTH or not reason.isprintable():
        raise InvalidArgument("reason", f"at most {MAX_REASON_LENGTH} printable characters")
    if principal.operator and not reason.strip():
        raise InvalidArgument("reason", "operators give a reason for every change")
    return reason


def _role(text: str) -> Role:
    try:
        return parse_role(text)
    except ValueError as error:
        raise InvalidArgument("role", str(error)) from None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _teammate(member: Membership) -> dict[str, Any]:
    return {
        "user_id": member.user_id,
        "email": member.email,
        "role": member.role.value,
        "billing_access": member.billing_access,
    }
