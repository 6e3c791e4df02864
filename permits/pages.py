"""Links other apps add to a permit's private page: plan review's Reviews page, for one. The
permit app knows none of them; each app registers a function from its AppConfig.ready()."""

from collections.abc import Callable

from .models import Permit

PermitLinks = Callable[[Permit], list[tuple[str, str]]]
_sources: list[PermitLinks] = []


def register_permit_page_links(source: PermitLinks) -> None:
    """`source(permit)` gives (label, url) pairs for the permit's private page (a query at
    most: it runs on every private permit page)."""
    if source not in _sources:
        _sources.append(source)


def permit_page_links(permit: Permit) -> list[tuple[str, str]]:
    return [link for source in _sources for link in source(permit)]
