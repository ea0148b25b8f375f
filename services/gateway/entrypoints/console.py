"""The billing console: static files shipped with the gateway, served under a strict CSP.

The console is a client like any other: it calls only the public REST API with the user's
bearer token. Nothing is loaded from elsewhere, except Stripe.js from Stripe's own origin when
card payments go through Stripe.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from services.gateway.entrypoints.router import HttpRoute
from services.gateway.transcoding.template import compile_template

ASSETS = Path(__file__).resolve().parent.parent / "console"
PREFIX = "/console"
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
STRIPE_JS = "https://js.stripe.com"
STRIPE_FRAMES = ("https://js.stripe.com", "https://hooks.stripe.com")
STRIPE_API = "https://api.stripe.com"


def content_security_policy(payments_provider: str) -> str:
    """Same-origin only; Stripe's script, frames and API only when Stripe takes the cards."""
    stripe = payments_provider == "stripe"
    script = "'self'" + (f" {STRIPE_JS}" if stripe else "")
    connect = "'self'" + (f" {STRIPE_API}" if stripe else "")
    frames = " ".join(STRIPE_FRAMES) if stripe else "'none'"
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src {script}",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            f"connect-src {connect}",
            f"frame-src {frames}",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        )
    )


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str


class Console:
    def __init__(self, payments_provider: str, folder: Path = ASSETS) -> None:
        self._headers = {
            "Content-Security-Policy": content_security_policy(payments_provider),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        }
        # Read once: the console's files are part of the release, not changed while running.
        self._assets = {
            f"{PREFIX}/{path.relative_to(folder).as_posix()}": Asset(
                path.read_bytes(), MEDIA_TYPES[path.suffix]
            )
            for path in sorted(folder.rglob("*"))
            if path.is_file() and path.suffix in MEDIA_TYPES
        }

    def routes(self) -> list[HttpRoute]:
        routes = [HttpRoute("GET", compile_template(PREFIX), self._page)]
        routes += [HttpRoute("GET", compile_template(path), self._file) for path in self._assets]
        return routes

    async def _page(self, request: Request, _: dict[str, str]) -> Response:
        return self._answer(self._assets[f"{PREFIX}/index.html"])

    async def _file(self, request: Request, _: dict[str, str]) -> Response:
        return self._answer(self._assets[request.url.path])

    def _answer(self, asset: Asset) -> Response:
        return Response(asset.body, media_type=asset.media_type, headers=self._headers)
