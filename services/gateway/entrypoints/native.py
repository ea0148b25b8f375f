"""The gateway's own routes: health, documents, tokens, the caller, teammates' billing access."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from services.common import validation
from services.common.errors import InvalidArgument, NotFound, PermissionDenied
from services.gateway.adapters.backends import Backends
from services.gateway.domain.access import Access, Principal, allows
from services.gateway.domain.records import Membership
from services.gateway.entrypoints import http_io
from services.gateway.entrypoints.router import HttpRoute
from services.gateway.entrypoints.transcoded import authenticate
from services.gateway.service.auth import Authenticator
from services.gateway.service.team import Team
from services.gateway.transcoding.template import compile_template

SERVING = "SERVING"


class NativeRoutes:
    def __init__(
        self,
        authenticator: Authenticator,
        team: Team,
        backends: Backends,
        max_body_bytes: int,
        readiness_timeout_s: float,
        documents: Any,
        database_answers: Callable[[], bool] = lambda: True,
    ) -> None:
        self._authenticator = authenticator
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
            ("GET", "/v1/me", self.me),
            ("GET", "/v1/accounts/{account_id}/teammates", self.list_teammates),
            (
                "PUT",
                "/v1/accounts/{account_id}/teammates/{user_id}/billing-access",
                self.set_billing_access,
            ),
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
        )
        return http_io.json_response(
            {
                "token": issued.token,
                "token_type": "Bearer",
                "expires_in": issued.expires_in_s,
                "account_id": issued.account_id,
                "role": issued.role.value,
                "billing_access": issued.billing_access,
            }
        )

    async def me(self, request: Request, _: dict[str, str]) -> Response:
        principal = await authenticate(self._authenticator, request)
        return http_io.json_response(
            {
                "subject": principal.subject,
                "account_id": principal.account_id,
                "role": principal.role.value if principal.role else "",
                "platform": principal.platform,
                "billing_access": principal.has_billing,
                "permissions": [access.value for access in Access if allows(principal, access)],
            }
        )

    async def list_teammates(self, request: Request, values: dict[str, str]) -> Response:
        account_id = await self._team_scope(request, values)
        members = await run_in_threadpool(self._team.list, account_id)
        return http_io.json_response({"teammates": [_teammate(m) for m in members]})

    async def set_billing_access(self, request: Request, values: dict[str, str]) -> Response:
        account_id = await self._team_scope(request, values)
        data = http_io.decode_object(
            request, await http_io.read_body(request, self._max_body_bytes)
        )
        enabled = data.get("billing_access", data.get("billingAccess"))
        for key in data:
            if key not in ("billing_access", "billingAccess"):
                raise InvalidArgument(key, "unknown field")
        if not isinstance(enabled, bool):
            raise InvalidArgument("billing_access", "expected true or false")
        member = await run_in_threadpool(
            self._team.set_billing_access, account_id, values["user_id"], enabled
        )
        return http_io.json_response(_teammate(member))

    async def _team_scope(self, request: Request, values: dict[str, str]) -> str:
        principal: Principal = await authenticate(self._authenticator, request)
        if not allows(principal, Access.TEAM):
            raise PermissionDenied("only the account's owner manages teammates")
        account_id = values["account_id"]
        if not principal.platform and account_id != principal.account_id:
            raise NotFound("not found")
        if not validation.ID_PATTERN.match(account_id):
            raise NotFound("not found")
        return account_id


def _teammate(member: Membership) -> dict[str, Any]:
    return {
        "user_id": member.user_id,
        "email": member.email,
        "role": member.role.value,
        "billing_access": member.billing_access,
    }
