"""A fake Stripe at the HTTP boundary: the real stripe library talks to it through this HTTP
client, so everything above the wire (parameters, idempotency keys, errors) is exercised.

Checkout Sessions, their expiry and refunds are kept in memory; `FAKE` lets a test act as the
payer ("pay", "decline"), break the network, or slow Stripe down (`slow`): a request then takes
that long at Stripe, and the client gives up after its timeout while Stripe carries on, as the
real `RequestsClient` and Stripe do. Webhook signatures are made for real with the test secret
(`sign`).

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
        # Work Stripe was still doing for an earlier test is dropped, not done in this one's.
        self.generation = getattr(self, "generation", 0) + 1
        self.sessions: dict[str, dict] = {}
        self.intents: dict[str, dict] = {}
        self.refunds: list[dict] = []
        self.idempotent: dict[str, tuple[str, int, dict]] = {}
        # Keys of requests Stripe is still working on: another with the same key gets a 409.
        self.in_progress: set[str] = set()
        self.requests: list[tuple[str, str, dict]] = []
        self.down = False
        self.counter = itertools.count(1)
        self.atomic_depth_at_rest: int | None = None
        self.calls_in_transaction: list[str] = []
        # Seconds each kind of request takes at Stripe ("create", "retrieve", "expire", "list",
        # ...), and callbacks run when one arrives (a payer paying, a webhook, meanwhile).
        self.latency: dict[str, float] = {}
        self.on_request: dict[str, list] = {}
        self.late_work: list[threading.Thread] = []
        self.now = time.time

    def slow(self, operation: str, seconds: float) -> None:
        self.latency[operation] = seconds

    def when(self, operation: str, callback) -> None:
        """Run `callback(params)` once, when the next `operation` request arrives at Stripe."""
        self.on_request.setdefault(operation, []).append(callback)

    def finish_late_work(self) -> None:
        """Wait for the requests Stripe was still working on when their client gave up."""
        for thread in self.late_work:
            thread.join()

    def guard_transactions(self) -> None:
        """From now on, refuse a call made inside a transaction the code under test opened. The
        depth the test runs at (pytest-django wraps a non-transactional test in atomic blocks;
        a transactional one runs at depth 0) is the baseline."""
        self.atomic_depth_at_rest = len(transaction.get_connection().atomic_blocks)

    # What a payer or Stripe does ------------------------------------------------------------

    def pay(self, session_id: str, *, async_method: bool = False) -> dict:
        session = self.session(session_id)
        # Stripe's page takes no payment for a session that is not open.
        assert session["status"] == "open", f"{session_id} is {session['status']}: not payable"
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

    def session(self, session_id: str) -> dict:
        """The session as Stripe has it now: an open one past its `expires_at` has expired."""
        session = self.sessions[session_id]
        expires_at = session.get("expires_at")
        if session["status"] == "open" and expires_at and expires_at <= self.now():
            session["status"] = "expired"
        return session

    def payable_sessions(self) -> list[dict]:
        return [
            self.session(sid)
            for sid in list(self.sessions)
            if self.session(sid)["status"] == "open"
        ]

    # The HTTP API ---------------------------------------------------------------------------

    def handle(
        self, method: str, url: str, headers, post_data, timeout: float | None = None
    ) -> tuple[str, int]:
        method = method.lower()
        parsed = urlparse(url)
        path = parsed.path
        depth = len(transaction.get_connection().atomic_blocks)
        if self.atomic_depth_at_rest is not None and depth > self.atomic_depth_at_rest:
            self.calls_in_transaction.append(f"{method.upper()} {path}")
            raise AssertionError(
                f"Stripe called inside a database transaction: {method.upper()} {path}"
            )
        if self.down:
            raise stripe.APIConnectionError("fake network down")
        query = parsed.query if method == "get" else post_data
        params = dict(parse_qsl(query or "", keep_blank_values=True))
        self.requests.append((method, path, params))
        operation = operation_of(method, path)
        for callback in self.on_request.pop(operation, []):
            callback(params)
        key = (headers or {}).get("Idempotency-Key")
        generation = self.generation
        with self.lock:
            if key and key in self.in_progress:
                return error(
                    409,
                    "There is currently another in-progress request using this Idempotent Key. "
                    "Please try again later.",
                    kind="idempotency_error",
                )
            if key:
                self.in_progress.add(key)

        def work() -> tuple[str, int]:
            try:
                return answer()
            finally:
                with self.lock:
                    self.in_progress.discard(key)

        def answer() -> tuple[str, int]:
            time.sleep(self.latency.get(operation, 0))
            with self.lock:
                if generation != self.generation:
                    return error(500, "the test this request belonged to is over")
                if key and key in self.idempotent:
                    # Stripe replays the first answer, and only for the same parameters.
                    body, status, first_params = self.idempotent[key]
                    if first_params != params:
                        return error(
                            400,
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with.",
                            kind="idempotency_error",
                        )
                    return body, status
                body, status = self.route(method, path, params)
                if key and method == "post":
                    self.idempotent[key] = (body, status, params)
                return body, status

        if timeout is None or self.latency.get(operation, 0) <= timeout:
            return work()
        # Stripe carries on with the request; the client gives up waiting for the answer.
        late = threading.Thread(target=work, daemon=True)
        late.start()
        self.late_work.append(late)
        time.sleep(timeout)
        raise stripe.APIConnectionError(
            f"Request timed out after {timeout} s (fake)", should_retry=True
        )

    def route(self, method: str, path: str, params: dict) -> tuple[str, int]:
        parts = path.strip("/").split("/")
        if parts[:3] == ["v1", "checkout", "sessions"]:
            if len(parts) == 3 and method == "post":
                return self.create_session(params)
            if len(parts) == 3 and method == "get":
                return self.list_sessions(params)
            if parts[3] not in self.sessions:
                return error(404, f"No such checkout.session: '{parts[3]}'")
            session = self.session(parts[3])
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
        expires_at = int(params["expires_at"]) if params.get("expires_at") else None
        if expires_at is not None and not (
            self.now() + 30 * 60 <= expires_at <= self.now() + 24 * 60 * 60
        ):
            return error(
                400, "The `expires_at` timestamp must be between 30 minutes and 24 hours from now."
            )
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
            "metadata": {
                name[len("metadata[") : -1]: value
                for name, value in params.items()
                if name.startswith("metadata[")
            },
            "payment_method_types": [
                value for name, value in params.items() if name.startswith("payment_method_types")
            ],
            "payment_intent": None,
            "success_url": params.get("success_url"),
            "created": int(self.now()),
            "expires_at": expires_at or int(self.now()) + 24 * 60 * 60,
        }
        self.sessions[session["id"]] = session
        return json.dumps(session), 200

    def list_sessions(self, params: dict) -> tuple[str, int]:
        """Newest first, filtered by `created[gte|gt|lte|lt]`, paged by `limit` and
        `starting_after`, as Stripe lists them."""
        bounds = {
            "gte": lambda created, value: created >= value,
            "gt": lambda created, value: created > value,
            "lte": lambda created, value: created <= value,
            "lt": lambda created, value: created < value,
        }
        found = [
            self.session(sid)
            for sid in reversed(list(self.sessions))
            if params.get("status", self.session(sid)["status"]) == self.session(sid)["status"]
            and all(
                test(self.sessions[sid]["created"], int(params[f"created[{name}]"]))
                for name, test in bounds.items()
                if f"created[{name}]" in params
            )
        ]
        if "starting_after" in params:
            ids = [session["id"] for session in found]
            found = found[ids.index(params["starting_after"]) + 1 :]
        limit = int(params.get("limit", 10))
        page = {
            "object": "list",
            "url": "/v1/checkout/sessions",
            "has_more": len(found) > limit,
            "data": found[:limit],
        }
        return json.dumps(page), 200


def operation_of(method: str, path: str) -> str:
    parts = path.strip("/").split("/")
    if parts[:3] == ["v1", "checkout", "sessions"]:
        if len(parts) == 3:
            return "create" if method == "post" else "list"
        return "expire" if parts[-1] == "expire" else "retrieve"
    return {"payment_intents": "intent", "refunds": "refund"}.get(parts[1], path)


def error(status: int, message: str, kind: str = "invalid_request_error") -> tuple[str, int]:
    return json.dumps({"error": {"type": kind, "message": message}}), status


FAKE = FakeStripe()


class FakeStripeHTTPClient(stripe.HTTPClient):
    name = "fake"

    def __init__(self, *args, timeout: float | None = None, **kwargs) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        body, status = FAKE.handle(method, url, headers, post_data, self.timeout)
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
