"""What the rules read of a permit that only the permits app can read: its parties (which
licenses are its license professional, who is named on it as a contact) and the businesses
holding a license on each of some permits. The permits app provides the readers at start-up
(PermitsConfig.ready, `provide_permit_facts`), so that the policy, below it, names none of its
tables; a page of permits reads every row's parties in one query before it asks (permits.scopes
`prefetch_parties`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PermitParties:
    """Which licenses are the permit's license professional, and who is named on it as a
    contact. (A license's holder and status are the user's scope's to know: licenses.scope.)"""

    license_ids: frozenset[int]
    contact_user_ids: frozenset[int]


# Where a permit keeps its parties once read (a request's permit objects).
PARTIES_CACHE_ATTRIBUTE = "_portal_parties"

_readers: dict[str, Callable[..., Any]] = {}


def provide_permit_facts(
    *,
    prefetch_parties: Callable[[Iterable[Any]], None],
    holders_of_all: Callable[[Iterable[int]], frozenset[int]],
) -> None:
    """`prefetch_parties(permits)` sets each permit's PermitParties on PARTIES_CACHE_ATTRIBUTE;
    `holders_of_all(permit_ids)` answers the businesses holding a license on every one."""
    _readers["prefetch_parties"] = prefetch_parties
    _readers["holders_of_all"] = holders_of_all


def permit_parties(permit: Any) -> PermitParties:
    parties = getattr(permit, PARTIES_CACHE_ATTRIBUTE, None)
    if parties is None:
        _readers["prefetch_parties"]([permit])
        parties = getattr(permit, PARTIES_CACHE_ATTRIBUTE)
    return parties


def holders_of_all(permit_ids: Iterable[int]) -> frozenset[int]:
    return _readers["holders_of_all"](permit_ids)
