"""A fake Stripe at the HTTP boundary: the real stripe library talks to it through this HTTP
client, so everything above the wire (parameters, idempotency keys, errors) is exercised.

Checkout Sessions, their expiry and refunds are kept in memory; `FAKE` lets a test act as the
payer ("pay", "decline") or break the network. Webhook signatures are made for real with the
test secret (`sign`).

No database transaction may be open while Stripe is called (a slow Stripe would hold row locks
for as long): once `guard_transactions()` has noted how deep the test itself sits in atomic
blocks, a call made deeper than that is recorded and refused with an AssertionError."""

import hashlib
import hmac
import itertools
import json
import threading
import time
from urllib.parse import parse_qsl, urlparse

import stripe
from django.db import transaction

WEBHOOK_SECRET = "whsec_test_portal_secret"
SECRET_KEY = "sk_test_portal_fake"


class FakeStripe:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.sessions: dict[str, dict] = {}
        self.intents: dict[str, dict] = {}
        self.refunds: list[dict] = []
        self.idempotent: dict[str, tuple[str, int]] = {}
        self.requests: list[tuple[str, str, dict]] = []
        self.down = False
        self.counter = itertools.count(1)
        self.atomic_depth_at_rest: int | None = None
        self.calls_in_transaction: list[str] = []

    def guard_transactions(self) -> None:
        """From now on, refuse a call made inside a transaction the code under test opened. The
        depth the test runs at (pytest-django wraps a non-transactional test in atomic blocks;
        a transactional one runs at depth 0) is the baseline."""
        self.atomic_depth_at_rest = len(transaction.get_connection().atomic_blocks)

    # What a payer or Stripe does ------------------------------------------------------------

    def pay(self, session_id: str, *, async_method: bool = False) -> dict:
        session = self.sessions[session_id]
        session["status"] = "complete"
        session["payment_status"] = "unpaid" if async_method else "paid"
        session["payment_intent"] = f"pi_{session_id}"
        self.intents[session["payment_intent"]] = {
            "id": session["payment_intent"],
            "object": "payment_intent",
            "status": "processing" if async_method else "succeeded",
        }
        return session

    def settle_async(self, session_id: str, *, succeeded: bool) -> dict:
        """A bank debit clears or fails: a failed one leaves the session "unpaid", and only its
        payment intent says it failed."""
        session = self.sessions[session_id]
        session["payment_status"] = "paid" if succeeded else "unpaid"
        intent = self.intents[session["payment_intent"]]
        intent["status"] = "succeeded" if succeeded else "requires_payment_method"
        return session

    def expire(self, session_id: str) -> dict:
        session = self.sessions[session_id]
        session["status"] = "expired"
        return session

    def last_session(self) -> dict:
        return list(self.sessions.values())[-1]

    # The HTTP API ---------------------------------------------------------------------------

    def handle(self, method: str, url: str, headers, post_data) -> tuple[str, int]:
        method = method.lower()
        path = urlparse(url).path
        depth = len(transaction.get_connection().atomic_blocks)
        if self.atomic_depth_at_rest is not None and depth > self.atomic_depth_at_rest:
            self.calls_in_transaction.append(f"{method.upper()} {path}")
            raise AssertionError(
                f"Stripe called inside a database transaction: {method.upper()} {path}"
            )
        if self.down:
            raise stripe.APIConnectionError("fake network down")
        params = dict(parse_qsl(post_data or "", keep_blank_values=True))
        self.requests.append((method, path, params))
        key = (headers or {}).get("Idempotency-Key")
        with self.lock:
            if key and key in self.idempotent:
                return self.idempotent[key]
            body, status = self.route(method, path, params)
            if key and method == "post":
                self.idempotent[key] = (body, status)
            return body, status

    def route(self, method: str, path: str, params: dict) -> tuple[str, int]:
        parts = path.strip("/").split("/")
        if parts[:3] == ["v1", "checkout", "sessions"]:
            if len(parts) == 3 and method == "post":
                return self.create_session(params)
            session = self.sessions.get(parts[3])
            if session is None:
                return error(404, f"No such checkout.session: '{parts[3]}'")
            if len(parts) == 5 and parts[4] == "expire":
                if session["status"] != "open":
                    return error(
                        400, "Only Checkout Sessions with a status of open can be expired."
                    )
                session["status"] = "expired"
            return json.dumps(session), 200
        if parts[:2] == ["v1", "payment_intents"] and len(parts) == 3 and method == "get":
            intent = self.intents.get(parts[2])
            if intent is None:
                return error(404, f"No such payment_intent: '{parts[2]}'")
            return json.dumps(intent), 200
        if parts == ["v1", "refunds"] and method == "post":
            refund = {
                "id": f"re_{next(self.counter)}",
                "object": "refund",
                "status": "succeeded",
                "amount": int(params["amount"]),
                "payment_intent": params["payment_intent"],
            }
            self.refunds.append(refund)
            return json.dumps(refund), 200
        return error(404, f"Unrecognized request URL ({method.upper()}: {path})")

    def create_session(self, params: dict) -> tuple[str, int]:
        number = next(self.counter)
        amounts = [
            int(value)
            for name, value in params.items()
            if name.endswith("[price_data][unit_amount]")
        ]
        session = {
            "id": f"cs_test_{number:04d}",
            "object": "checkout.session",
            "url": f"https://checkout.stripe.test/pay/cs_test_{number:04d}",
            "status": "open",
            "payment_status": "unpaid",
            "amount_total": sum(amounts),
            "currency": params.get("line_items[0][price_data][currency]", "usd"),
            "client_reference_id": params.get("client_reference_id"),
            "metadata": {"payment_id": params.get("metadata[payment_id]")},
            "payment_method_types": [
                value for name, value in params.items() if name.startswith("payment_method_types")
            ],
            "payment_intent": None,
            "success_url": params.get("success_url"),
        }
        self.sessions[session["id"]] = session
        return json.dumps(session), 200


def error(status: int, message: str) -> tuple[str, int]:
    return json.dumps({"error": {"type": "invalid_request_error", "message": message}}), status


FAKE = FakeStripe()


class FakeStripeHTTPClient(stripe.HTTPClient):
    name = "fake"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        body, status = FAKE.handle(method, url, headers, post_data)
        return body, status, {"request-id": "req_fake"}

    def close(self) -> None:
        return None


def event(kind: str, session: dict, *, event_id: str | None = None) -> bytes:
    return json.dumps(
        {
            "id": event_id or f"evt_{kind.replace('.', '_')}_{session['id']}",
            "object": "event",
            "type": kind,
            "data": {"object": session},
        }
    ).encode()


def sign(payload: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A real Stripe-Signature header: t=<ts>,v1=<HMAC-SHA256(secret, "ts.payload")>."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"
