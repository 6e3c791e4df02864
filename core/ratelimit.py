"""Limits on how often one client may ask for something, by its address behind the proxy.

The client's address is the one answer the trusted proxy setting gives (TRUSTED_PROXY_COUNT or
TRUSTED_CLIENT_IP_HEADER, handed to allauth as ALLAUTH_TRUSTED_*): the same for allauth's
limits, django-axes's lock-outs, the security log and the limits here. Behind a proxy that is
not configured, every client would be the proxy.

Counts live in the cache, which is Redis shared by every process in production (a process's own
memory in the demo): a count is `cache.incr` on a key per client and time window, atomic in
Redis, so two processes never both read 29 and let a 31st through.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import ngettext

UNKNOWN_ADDRESS = "-"


def client_address(request: HttpRequest | None) -> str:
    """The client's address as the trusted proxy setting tells it, or "-" when there is none
    (a test client's request, a proxy header that is not an address, an X-Forwarded-For shorter
    than the proxies said to add to it)."""
    from allauth.account.adapter import get_adapter

    if request is None:
        return UNKNOWN_ADDRESS
    try:
        return get_adapter(request).get_client_ip(request)
    except (PermissionDenied, ValueError, ImproperlyConfigured):
        return UNKNOWN_ADDRESS


def wait_in_words(seconds: float) -> str:
    """How long to wait, for a person: "45 seconds", "1 minute", "15 minutes" (a part-minute
    past the first counts as a whole one: never "14 minutes" when 14.5 are left)."""
    seconds = max(1, math.ceil(seconds))
    if seconds < 60:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


@dataclass(frozen=True)
class Limit:
    """At most `count` requests in each `seconds`-long window, per client address."""

    scope: str
    count: int
    seconds: int


def hit(limit: Limit, address: str, *, now: float | None = None) -> int | None:
    """Count one request from `address`; the seconds it must wait when it is over the limit,
    None when it may go on."""
    now = time.time() if now is None else now
    window = int(now // limit.seconds)
    key = f"ratelimit:{limit.scope}:{address}:{window}"
    # add() is a no-op when the key exists; incr() is atomic in Redis and under a lock locally.
    cache.add(key, 0, timeout=limit.seconds + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr: this request starts the window again
        cache.add(key, 1, timeout=limit.seconds + 1)
        count = 1
    if count <= limit.count:
        return None
    return max(1, math.ceil((window + 1) * limit.seconds - now))


def rate_limited(
    limit: Callable[[], Limit], *, template: str
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A view refused with 429 (its Retry-After and `template`, which reads `wait`) once the
    client's address has made `limit()` requests in its window. `limit` is called at each
    request, so a setting changed in a test (or by a city) takes effect."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def limited(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            wait = hit(limit(), client_address(request))
            if wait is None:
                return view(request, *args, **kwargs)
            response = HttpResponse(
                render_to_string(template, {"wait": wait_in_words(wait)}, request=request),
                status=429,
            )
            response["Retry-After"] = str(wait)
            response["Cache-Control"] = "private, no-store"
            return response

        return limited

    return decorate
