"""The users of the load run (load/run.py starts Locust with this file and a plan it prepared).

Visitors search permits (by address, number and license), open permits and download a small
CSV. Contractors sign in through the login form, open their dashboard and their permits, put
permits' fees in the cart and pay them from their business's trust account with the checkout
form and its one-time key (now and then twice at once, as a double click does), read the trust
ledger, and sign out and in again. Two colleagues share each business and its trust account, so
their payments meet on the same account lock and the same fees.

Every request either gets the answer a browser would (a page, or the redirect the form leads
to) or is a failure. Outcomes that are not errors (a fee a colleague paid first, a balance that
no longer covers the cart) are counted, not failed.

Plain HTTP on the loopback, with what the city's TLS proxy would add (README, Production):
`X-Forwarded-Proto: https`, and the client's own address in `X-Forwarded-For` (one per user,
read by the portal through TRUSTED_PROXY_COUNT=1, so each user has its own rate limits as
behind the real proxy). The cookie jar counts the loopback hop as the HTTPS the proxy
terminates, so the production settings' Secure cookies come back as a browser sends them.

Bounded twice: by Locust's --run-time, and by --max-requests (this file stops the run when the
budget is spent). The summary (--load-summary) counts statuses, failures and outcomes and keeps
every response time, for exact percentiles per page.
"""

import html
import itertools
import json
import random
import re
import time
from collections import Counter, defaultdict
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, between, events, task

from load.routes import match, path

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
KEY_INPUT = re.compile(r'name="key" value="([0-9a-f-]{36})"')
CART_PERMIT_INPUT = re.compile(r'name="permit" value="(\d+)"')

SECURE_HOPS = ("https", "wss", "http")

PLAN: dict = {}
ACCOUNTS = itertools.count()
CLIENTS = itertools.count(1)
OUTCOMES: Counter = Counter()
STATUSES: Counter = Counter()
TIMES: dict[str, list[float]] = defaultdict(list)
FAILURES: dict[str, list] = defaultdict(list)
BUDGET = {"max": 0, "used": 0, "stopped_by": "run time"}
SUMMARY_PATH: list[str] = []


@events.init_command_line_parser.add_listener
def add_arguments(parser):
    parser.add_argument("--load-plan", default="", help="the plan load/run.py wrote (JSON)")
    parser.add_argument("--load-summary", default="", help="where to write the summary (JSON)")
    parser.add_argument(
        "--max-requests", type=int, default=0, help="stop the run after this many requests"
    )


@events.test_start.add_listener
def read_plan(environment, **kwargs):
    options = environment.parsed_options
    if options is not None and options.load_plan:
        with open(options.load_plan, encoding="utf-8") as plan:
            PLAN.update(json.load(plan))
        BUDGET["max"] = options.max_requests
        if options.load_summary:
            SUMMARY_PATH.append(options.load_summary)


@events.request.add_listener
def tally(request_type, name, response_time, response, exception, **kwargs):
    status = getattr(response, "status_code", 0) or 0
    STATUSES[f"{status // 100}xx" if status else "no answer"] += 1
    TIMES[name].append(response_time)
    if exception is not None:
        FAILURES[name].append(f"{request_type} {status}: {str(exception)[:200]}")
    BUDGET["used"] += 1
    runner = kwargs.get("context", {}).get("runner")
    if BUDGET["max"] and BUDGET["used"] >= BUDGET["max"] and BUDGET["stopped_by"] == "run time":
        BUDGET["stopped_by"] = "request budget"
        if runner is not None:
            gevent.spawn(runner.quit)


@events.test_stop.add_listener
def write_summary(environment, **kwargs):
    if not SUMMARY_PATH:
        return
    summary = {
        "requests": sum(len(times) for times in TIMES.values()),
        "failures": sum(len(found) for found in FAILURES.values()),
        "statuses": dict(STATUSES),
        "outcomes": dict(OUTCOMES),
        "stopped_by": BUDGET["stopped_by"],
        "max_requests": BUDGET["max"],
        "pages": {
            name: {"times_ms": [round(t, 2) for t in times], "failures": FAILURES.get(name, [])}
            for name, times in TIMES.items()
        },
    }
    with open(SUMMARY_PATH[0], "w", encoding="utf-8") as out:
        json.dump(summary, out)


class PortalUser(FastHttpUser):
    """What both kinds of user share: the proxy's headers, forms with their CSRF token."""

    abstract = True
    wait_time = between(1, 3)
    # Queued behind the sign-ins of 30 users at once, a page may wait; gunicorn's own 30 s
    # timeout is the limit that counts.
    network_timeout = 60.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        # The user's runner, so that the request listener can stop the run on the budget.
        self.runner = self.environment.runner
        number = next(CLIENTS)
        self.client_address = f"10.77.{number // 250}.{number % 250 + 1}"
        self.origin = "https://" + self.host.split("://", 1)[1].rstrip("/")
        # The browser's side of the TLS hop: Secure cookies go back over the loopback too.
        self.client.cookiejar.set_policy(DefaultCookiePolicy(secure_protocols=SECURE_HOPS))
        # Never follow a redirect: every request here checks its own. (Locust's per-request
        # allow_redirects=False swaps this setting in and out, so of two requests at once, as
        # in a double click, one would follow its redirect after all.)
        self.client.client.redirect_response_codes = frozenset()

    def context(self) -> dict:
        return {"runner": getattr(self, "runner", None)}

    def headers(self, referer: str = "") -> dict:
        return {
            "X-Forwarded-For": self.client_address,
            "X-Forwarded-Proto": "https",
            "Referer": self.origin + (referer or path("home")),
            "User-Agent": "permit-portal-load",
        }

    def get(self, route: str, name: str, *, query: dict | None = None, expect: str = "", **kw):
        """GET a page; a failure unless it is a 200 (and contains `expect`)."""
        url = path(route, **kw) + (f"?{urlencode(query)}" if query else "")
        with self.client.get(
            url, name=name, headers=self.headers(), allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} for {url}")
            elif expect and expect not in (response.text or ""):
                response.failure(f"{url}: no “{expect}” on the page")
            return response

    def get_redirect(self, route: str, name: str, **kw):
        """GET a page that may send the user elsewhere (an empty cart's checkout): the
        response, or None for a status that is neither 200 nor a redirect."""
        url = path(route, **kw)
        with self.client.get(
            url, name=name, headers=self.headers(), allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code not in (200, 302):
                response.failure(f"{response.status_code} for {url}")
                return None
            return response

    def post(
        self, route: str, name: str, data: dict, *, goes_to: tuple[str, ...], referer="", **kw
    ):
        """POST a form as a browser does (Origin, Referer, the CSRF token in the data); a
        failure unless it redirects to one of the routes `goes_to`. Returns (route, its
        placeholders) of where it went, or None."""
        url = path(route, **kw)
        headers = {
            **self.headers(referer),
            "Origin": self.origin,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        with self.client.post(
            url,
            name=name,
            data=urlencode(data),
            headers=headers,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "") if response.headers else ""
            if response.status_code == 302:
                for target in goes_to:
                    found = match(target, location)
                    if found is not None:
                        return target, found
            response.failure(f"{response.status_code} for POST {url} (to “{location}”)")
            return None


def csrf_of(page) -> str:
    found = CSRF_INPUT.search(page.text or "")
    return found.group(1) if found else ""


class Visitor(PortalUser):
    """Anyone: Search Permits, a permit's public page, a small CSV."""

    weight = 2

    @task(4)
    def search_address(self) -> None:
        address = random.choice(PLAN["public"]["addresses"])
        self.get("search", "search: address", query={"address": address}, expect="Search Permits")

    @task(3)
    def search_permit_number(self) -> None:
        number = random.choice(PLAN["public"]["permit_numbers"])
        # The whole number, or its beginning as people type it.
        query = number if random.random() < 0.5 else number[: random.randint(7, len(number) - 1)]
        self.get("search", "search: permit number", query={"permit_number": query})

    @task(3)
    def search_license(self) -> None:
        license_number = random.choice(PLAN["public"]["licenses"])
        self.get("search", "search: license", query={"license_number": license_number})

    @task(5)
    def permit_detail(self) -> None:
        number = random.choice(PLAN["public"]["permit_numbers"])
        self.get("permit", "permit detail", number=number, expect=number)

    @task(1)
    def search_csv(self) -> None:
        # A license's permits: a few rows, as a contractor's office downloads them.
        license_number = random.choice(PLAN["public"]["licenses"])
        self.get("search_csv", "search CSV (small)", query={"license_number": license_number})

    @task(1)
    def home(self) -> None:
        self.get("home", "home")


class Contractor(PortalUser):
    """A contractor with Pay at a business with a funded trust account and fees due."""

    weight = 3

    def on_start(self) -> None:
        super().on_start()
        accounts = PLAN["accounts"]
        self.account = accounts[next(ACCOUNTS) % len(accounts)]
        self.payable = list(self.account["permits"])
        self.sign_in()

    def sign_in(self) -> None:
        form = self.get("login", "sign-in form", expect="Contractor Login")
        data = {
            "csrfmiddlewaretoken": csrf_of(form),
            "login": self.account["username"],
            "password": self.account["password"],
        }
        if self.post("login", "sign-in", data, goes_to=("dashboard",), referer=path("login")):
            OUTCOMES["sign-ins"] += 1

    @task(8)
    def dashboard(self) -> None:
        self.get("dashboard", "dashboard", expect=html.escape(self.account["business"]))

    @task(6)
    def own_permit(self) -> None:
        number = random.choice(self.account["permits"])
        self.get("permit", "permit detail (signed in)", number=number, expect=number)

    @task(2)
    def search_signed_in(self) -> None:
        # Never cached for a signed-in user: the search runs every time.
        address = random.choice(PLAN["public"]["addresses"])
        self.get("search", "search: address (signed in)", query={"address": address})

    @task(4)
    def trust_ledger(self) -> None:
        self.get(
            "trust",
            "trust account",
            contractor_id=self.account["contractor_id"],
            expect="Trust",
        )

    @task(1)
    def sign_out_and_in(self) -> None:
        # About once a run per contractor: a sign-in costs half a CPU-second of PBKDF2.
        page = self.get("dashboard", "dashboard", expect=html.escape(self.account["business"]))
        data = {"csrfmiddlewaretoken": csrf_of(page)}
        if self.post("logout", "sign-out", data, goes_to=("home",), referer=path("dashboard")):
            self.sign_in()

    @task(8)
    def pay_fees(self) -> None:
        """Pay Fees Due on one to three permits, then checkout from the trust account."""
        if not self.payable:
            OUTCOMES["nothing left to pay"] += 1
            return
        added = 0
        for number in random.sample(self.payable, min(len(self.payable), random.randint(1, 3))):
            page = self.get("permit", "permit detail (signed in)", number=number, expect=number)
            if path("cart_add", number=number) not in (page.text or ""):
                # Paid meanwhile (by a colleague), or held by a payment under way.
                self.payable.remove(number)
                continue
            went = self.post(
                "cart_add",
                "cart: add (Pay Fees Due)",
                {"csrfmiddlewaretoken": csrf_of(page)},
                goes_to=("cart", "permit"),
                referer=path("permit", number=number),
                number=number,
            )
            if went and went[0] == "cart":
                added += 1
        if not added:
            return
        self.get("cart", "cart", expect="View Cart")
        self.checkout()

    def checkout(self) -> None:
        page = self.get_redirect("checkout", "checkout")
        if page is None or page.status_code == 302:  # the cart emptied meanwhile
            OUTCOMES["cart emptied before checkout"] += 1
            return
        text = page.text or ""
        choice = f"trust:{self.account['account_id']}"
        key = KEY_INPUT.search(text)
        if f'value="{choice}"' not in text or key is None:
            # The balance no longer covers the cart: the trust account is not offered.
            OUTCOMES["trust balance short: not offered"] += 1
            self.empty_cart()
            return
        data = {"csrfmiddlewaretoken": csrf_of(page), "choice": choice, "key": key.group(1)}
        double = random.random() < 0.1
        clicks = [
            gevent.spawn(
                self.post,
                "checkout",
                "checkout: pay from trust",
                data,
                # The receipt; the checkout again with a message (refused); or the cart, when
                # it emptied after the page was shown (a colleague paid its fees, or the other
                # click of a double click did).
                goes_to=("receipt", "checkout", "cart"),
                referer=path("checkout"),
            )
            for _ in range(2 if double else 1)
        ]
        gevent.joinall(clicks)
        results = [click.value for click in clicks]
        receipts = {
            found["receipt_number"]
            for target, found in filter(None, results)
            if target == "receipt"
        }
        targets = [went[0] for went in results if went]
        if double:
            OUTCOMES["double clicks"] += 1
            if len(receipts) > 1:
                # One click, one payment: two receipts would be a fee paid twice.
                self.fail_outcome(f"one checkout form gave receipts {sorted(receipts)}")
            if receipts and "cart" in targets:
                OUTCOMES["double clicks: one receipt, the other click on the emptied cart"] += 1
        if receipts:
            OUTCOMES["paid"] += 1
            receipt = receipts.pop()
            self.get("receipt", "receipt", receipt_number=receipt, expect=receipt)
        elif targets and len(targets) == len(results):
            if "checkout" in targets:
                # Refused with a message (a fee paid meanwhile, or the balance fell short).
                OUTCOMES["refused at checkout"] += 1
                self.get_redirect("checkout", "checkout")
            else:
                OUTCOMES["cart emptied while at checkout"] += 1
            self.empty_cart()

    def empty_cart(self) -> None:
        page = self.get("cart", "cart")
        for permit_id in CART_PERMIT_INPUT.findall(page.text or ""):
            self.post(
                "cart",
                "cart: remove",
                {"csrfmiddlewaretoken": csrf_of(page), "permit": permit_id},
                goes_to=("cart",),
                referer=path("cart"),
            )

    def fail_outcome(self, message: str) -> None:
        events.request.fire(
            request_type="CHECK",
            name="checkout: one payment per form",
            response_time=0,
            response_length=0,
            response=None,
            exception=AssertionError(message),
            context=self.context(),
            start_time=time.time(),
            url="",
        )
