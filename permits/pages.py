"""Links, notices and sections other apps add to a permit's private page: plan review's
Reviews page and its conditions of approval, an application returned as incomplete. The permit
app knows none of them; each app registers a function from its AppConfig.ready()."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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


@dataclass(frozen=True)
class PermitNotice:
    """Something the permit's parties must know first, shown under its status: a heading, the
    text (kept as written, line breaks and all) and, for who may act on it, a link."""

    title: str
    text: str = ""
    at: Any = None  # when it happened (a date or a datetime), shown after the title
    link: tuple[str, str] | None = None  # (label, url)


PermitNotices = Callable[[Permit, Any], list[PermitNotice]]
_notice_sources: list[PermitNotices] = []


def register_permit_notices(source: PermitNotices) -> None:
    """`source(permit, user)` gives the notices of the permit's private page for this user (no
    query unless the permit's status calls for one: it runs on every private permit page)."""
    if source not in _notice_sources:
        _notice_sources.append(source)


def permit_notices(permit: Permit, user) -> list[PermitNotice]:
    return [notice for source in _notice_sources for notice in source(permit, user)]


@dataclass(frozen=True)
class PageSection:
    """A section of the permit's private page: its template, included with `section` (this)
    and `permit` in its context."""

    template: str
    context: dict = field(default_factory=dict)


PermitSections = Callable[[Permit, object], "PageSection | None"]
_sections: list[PermitSections] = []


def register_permit_page_section(source: PermitSections) -> None:
    """`source(permit, user)` gives a section for the permit's private page as `user` sees it,
    or None (a query or two at most: it runs on every private permit page)."""
    if source not in _sections:
        _sections.append(source)


def permit_page_sections(permit: Permit, user) -> list[PageSection]:
    return [section for source in _sections if (section := source(permit, user)) is not None]
