"""A local HTTP server that speaks the part of Stripe's API the payment adapter uses, so that
the adapter runs unchanged in tests (the SDK's base URL pointed here; no network).

Customers, SetupIntents (completed by the test, as the browser would), PaymentMethods
(attached by a completed setup, detached on request), PaymentIntents created then confirmed,
Idempotency-Key replays, and signed webhook events.
Outcomes follow Stripe's test payment methods: pm_card_visa succeeds,
pm_card_chargeDeclined(InsufficientFunds) is declined, pm_card_authenticationRequired needs
3-D Secure; an intent not completed can be cancelled. `hold_confirms` makes a confirm charge
the card and then not answer until released (a timeout after the charge went through).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from tests.harness.ports import free_port

SECRET_KEY = "sk_test_local"
WEBHOOK_SECRET = "whsec_local_test"
PUBLISHABLE_KEY = "pk_test_local"
DECLINES = {
    "pm_card_chargeDeclined": "generic_decline",
    "pm_card_chargeDeclinedInsufficientFunds": "insufficient_funds",
    "pm_card_chargeDeclinedExpiredCard": "expired_card",
}
AUTHENTICATION = "pm_card_authenticationRequired"


class StripeServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.lock = threading.Lock()
        self.objects: dict[str, dict[str, Any]] = {}
        self.replies: dict[str, tuple[int, bytes]] = {}
        self.requests: list[tuple[str, str]] = []
        # PaymentIntent ids whose card was charged (once each).
        self.charged: list[str] = []
        # PaymentMethod ids detached from their customer.
        self.detached: list[str] = []
        self.hold_confirms = threading.Event()
        self.release = threading.Event()
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> StripeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def env(self) -> dict[str, str]:
        return {
            "PAYMENTS_PROVIDER": "stripe",
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
            "STRIPE_API_BASE": self.url,
            "STRIPE_TIMEOUT_SECONDS": "2",
        }

    @contextmanager
    def holding_confirms(self) -> Iterator[None]:
        self.release.clear()
        self.hold_confirms.set()
        try:
            yield
        finally:
            self.hold_confirms.clear()
            self.release.set()

    # What a browser or Stripe itself does outside the API calls of the adapter.

    def complete_setup(self, setup_id: str, payment_method: str = "pm_card_visa") -> None:
        with self.lock:
            self.objects.setdefault(payment_method, _payment_method(payment_method))
            setup = self.objects[setup_id]
            setup.update(status="succeeded", payment_method=payment_method)
            self.objects[payment_method]["customer"] = setup.get("customer")

    def authenticate(self, intent_id: str, succeed: bool = True) -> dict[str, Any]:
        """The customer passes (or fails) 3-D Secure: the intent is decided."""
        with self.lock:
            intent = self.objects[intent_id]
            if succeed:
                intent["status"] = "succeeded"
                self.charged.append(intent_id)
            else:
                intent["status"] = "requires_payment_method"
                intent["last_payment_error"] = {"code": "payment_intent_authentication_failure"}
            return dict(intent)

    def refund(self, intent_id: str, amount: int) -> dict[str, Any]:
        with self.lock:
            intent = self.objects[intent_id]
            intent["amount_refunded"] = intent.get("amount_refunded", 0) + amount
            return {
                "id": f"ch_{intent_id}",
                "object": "charge",
                "payment_intent": intent_id,
                "amount": intent["amount"],
                "amount_refunded": intent["amount_refunded"],
                "currency": intent["currency"],
            }

    def dispute(
        self, intent_id: str, amount: int, status: str = "needs_response"
    ) -> dict[str, Any]:
        with self.lock:
            intent = self.objects[intent_id]
            return {
                "id": f"dp_{intent_id}",
                "object": "dispute",
                "payment_intent": intent_id,
                "amount": amount,
                "currency": intent["currency"],
                "reason": "fraudulent",
                "status": status,
            }

    def event(
        self, event_type: str, thing: dict[str, Any], secret: str = WEBHOOK_SECRET
    ) -> tuple[bytes, str]:
        """A webhook event as Stripe sends it: the body and its Stripe-Signature header."""
        body = json.dumps(
            {
                "id": f"evt_{next(self._ids):08d}",
                "object": "event",
                "type": event_type,
                "api_version": "2026-10-28.endive",
                "created": int(time.time()),
                "data": {"object": thing},
            }
        ).encode()
        stamp = int(time.time())
        mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        return body, f"t={stamp},v1={mac}"

    def intent(self, intent_id: str) -> dict[str, Any]:
        with self.lock:
            return dict(self.objects[intent_id])

    def intents(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(o) for o in self.objects.values() if o["object"] == "payment_intent"]

    # The API.

    def answer(self, method: str, path: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        parts = path.strip("/").split("/")[1:]  # without "v1"
        with self.lock:
            self.requests.append((method, path))
            if method == "POST" and parts == ["customers"]:
                return self._create("cus", "customer", metadata=_nested(form, "metadata"))
            if method == "POST" and parts == ["setup_intents"]:
                made = self._create(
                    "seti",
                    "setup_intent",
                    customer=form.get("customer"),
                    status="requires_payment_method",
                )
                made[1]["client_secret"] = f"{made[1]['id']}_secret_local"
                return made
            if method == "POST" and parts == ["payment_intents"]:
                return self._create_intent(form)
            if (
                method == "POST"
                and len(parts) == 3
                and parts[::2] == ["payment_intents", "confirm"]
            ):
                return self._confirm(parts[1])
            if method == "POST" and len(parts) == 3 and parts[::2] == ["payment_intents", "cancel"]:
                return self._cancel(parts[1])
            if method == "POST" and len(parts) == 3 and parts[::2] == ["payment_methods", "detach"]:
                return self._detach(parts[1])
            if method == "GET" and len(parts) == 2 and parts[1] in self.objects:
                return 200, dict(self.objects[parts[1]])
            if method == "GET" and len(parts) == 2 and parts[0] == "payment_methods":
                self.objects[parts[1]] = _payment_method(parts[1])
                return 200, dict(self.objects[parts[1]])
        return 404, _error("invalid_request_error", "resource_missing", f"No such object: {path}")

    def _create(self, prefix: str, kind: str, **values: Any) -> tuple[int, dict[str, Any]]:
        made = {"id": f"{prefix}_{next(self._ids):08d}", "object": kind, **values}
        self.objects[made["id"]] = made
        return 200, dict(made)

    def _create_intent(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        status, made = self._create(
            "pi",
            "payment_intent",
            amount=int(form["amount"]),
            currency=form["currency"],
            customer=form.get("customer"),
            payment_method=form.get("payment_method"),
            description=form.get("description", ""),
            metadata=_nested(form, "metadata"),
            status="requires_confirmation",
            amount_refunded=0,
        )
        made["client_secret"] = f"{made['id']}_secret_local"
        self.objects[made["id"]]["client_secret"] = made["client_secret"]
        return status, made

    def _confirm(self, intent_id: str) -> tuple[int, dict[str, Any]]:
        intent = self.objects.get(intent_id)
        if intent is None:
            return 404, _error("invalid_request_error", "resource_missing", "No such intent")
        if intent["status"] != "requires_confirmation":
            return 400, _error(
                "invalid_request_error",
                "payment_intent_unexpected_state",
                f"This PaymentIntent's status is {intent['status']}",
            )
        method = str(intent["payment_method"])
        if method in self.detached:
            return 400, _error(
                "invalid_request_error",
                "payment_method_unexpected_state",
                "The PaymentMethod was previously used without being attached to a Customer "
                "or was detached from a Customer, and may not be used again.",
            )
        if method in DECLINES:
            intent["status"] = "requires_payment_method"
            failure = {"code": "card_declined", "decline_code": DECLINES[method]}
            intent["last_payment_error"] = failure
            body = _error("card_error", "card_declined", "Your card was declined.")
            body["error"].update(decline_code=DECLINES[method], payment_intent=dict(intent))
            return 402, body
        if method == AUTHENTICATION:
            intent["status"] = "requires_action"
            intent["next_action"] = {"type": "use_stripe_sdk"}
            return 200, dict(intent)
        intent["status"] = "succeeded"
        self.charged.append(intent_id)
        return 200, dict(intent)

    def _detach(self, method_id: str) -> tuple[int, dict[str, Any]]:
        method = self.objects.get(method_id)
        if method is None:
            return 404, _error("invalid_request_error", "resource_missing", "No such method")
        if method.get("customer") is None:
            return 400, _error(
                "invalid_request_error",
                "payment_method_unexpected_state",
                "The payment method you provided is not attached to a customer so detachment "
                "is impossible.",
            )
        method["customer"] = None
        self.detached.append(method_id)
        return 200, dict(method)

    def _cancel(self, intent_id: str) -> tuple[int, dict[str, Any]]:
        intent = self.objects.get(intent_id)
        if intent is None:
            return 404, _error("invalid_request_error", "resource_missing", "No such intent")
        if intent["status"] in ("succeeded", "canceled"):
            return 400, _error(
                "invalid_request_error",
                "payment_intent_unexpected_state",
                f"You cannot cancel this PaymentIntent because it has a status of "
                f"{intent['status']}.",
            )
        intent["status"] = "canceled"
        intent["cancellation_reason"] = "abandoned"
        return 200, dict(intent)


def _nested(form: dict[str, str], name: str) -> dict[str, str]:
    prefix = f"{name}["
    return {key[len(prefix) : -1]: value for key, value in form.items() if key.startswith(prefix)}


def _payment_method(method_id: str) -> dict[str, Any]:
    return {
        "id": method_id,
        "object": "payment_method",
        "type": "card",
        "customer": None,
        "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2034},
    }


def _error(kind: str, code: str, message: str) -> dict[str, Any]:
    return {"error": {"type": kind, "code": code, "message": message}}


def _handler(server: StripeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            if self.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
                self._send(401, json.dumps(_error("invalid_request_error", "", "bad key")).encode())
                return
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(parse_qsl(self.rfile.read(length).decode()))
            key = self.headers.get("Idempotency-Key")
            if key and method == "POST":
                with server.lock:
                    earlier = server.replies.get(key)
                if earlier is not None:
                    self._send(*earlier)
                    return
            status, body = server.answer(method, self.path.split("?")[0], form)
            payload = json.dumps(body).encode()
            if key and method == "POST":
                with server.lock:
                    server.replies[key] = (status, payload)
            if self.path.endswith("/confirm") and server.hold_confirms.is_set():
                server.release.wait(30)  # charged, but the answer never comes in time
                return
            self._send(status, payload)

        def _send(self, status: int, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Request-Id", "req_local")
            self.end_headers()
            self.wfile.write(payload)

    return Handler
