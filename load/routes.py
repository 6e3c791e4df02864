"""The portal's URLs the load run requests, written out so the Locust process needs no Django.

Each route names the URL pattern it stands for; tests/load/test_load.py reverses every one, so a
renamed or moved URL fails the test suite rather than the load run.
"""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    url_name: str
    template: str  # placeholders are the URL pattern's own keyword names

    @property
    def pattern(self) -> re.Pattern[str]:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.template))
        return re.compile(f"^{regex}$")


ROUTES: dict[str, Route] = {
    "home": Route("home", "/"),
    "health": Route("health", "/health/"),
    "search": Route("permits:search", "/permits/search/"),
    "search_csv": Route("permits:search_csv", "/permits/search/permits.csv"),
    "permit": Route("permits:detail", "/permits/{number}/"),
    "login": Route("account_login", "/accounts/login/"),
    "logout": Route("account_logout", "/accounts/logout/"),
    "dashboard": Route("dashboard", "/dashboard/"),
    "cart_add": Route("payments:cart_add", "/payments/cart/add/{number}/"),
    "cart": Route("payments:cart", "/payments/cart/"),
    "checkout": Route("payments:checkout", "/payments/checkout/"),
    "receipt": Route("payments:receipt", "/payments/receipts/{receipt_number}/"),
    "trust": Route("payments:trust", "/payments/trust/{contractor_id}/"),
}


def path(name: str, **kwargs: object) -> str:
    """The path of route `name` with its placeholders filled."""
    return ROUTES[name].template.format(**kwargs)


def match(name: str, location: str) -> dict[str, str] | None:
    """The placeholders of `location` (a path, or a URL on any host) if it is route `name`."""
    found = ROUTES[name].pattern.match(re.sub(r"^https?://[^/]+", "", location).split("?")[0])
    return found.groupdict() if found else None
