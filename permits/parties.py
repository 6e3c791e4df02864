"""The parties of a permit: everyone who may hear what happens to it, each once, with every role
they hold on it. The one answer every subscriber asks (who is the applicant, the owner, the
contacts, the users of the license professional's business by their role there).

The permit app knows its contacts and its license professional's business; apps above it add what
they know (the applications app: the applicant, the owner, the contacts typed into the
application) with `register_party_source`, as they add issue checks, so that this app names none
of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from licenses.models import Membership, Role

from .models import Permit, PermitContact, PermitLicense

APPLICANT = "applicant"
OWNER = "owner"
CONTACT = "contact"
# A user of the license professional's business, by a role they hold there: "business:pay".
BUSINESS = "business"

# Membership's flag for each business role.
ROLE_FLAGS = {
    Role.MANAGE: "can_manage",
    Role.APPLY: "can_apply",
    Role.PAY: "can_pay",
    Role.INSPECTIONS: "can_inspect",
    Role.UPLOAD: "can_upload",
}


@dataclass(frozen=True)
class Party:
    """One person on a permit: an address, a name, their account if they have one, and every
    role they hold on it ("applicant", "contact", "business:pay", ...)."""

    email: str
    name: str
    user_id: int | None
    roles: frozenset[str]

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


PartySource = Callable[[Permit], Iterable[Party]]
ManyPartySource = Callable[[list[Permit]], dict[int, list[Party]]]
_sources: list[PartySource] = []
_many_sources: dict[PartySource, ManyPartySource] = {}


def register_party_source(source: PartySource, *, many: ManyPartySource | None = None) -> None:
    """`source(permit)` lists parties an app above this one knows of (each with its roles);
    `many(permits)`, when given, the same for many permits at once ({permit id: parties}, in a
    few queries), for `parties_of_many`."""
    if source not in _sources:
        _sources.append(source)
    if many is not None:
        _many_sources[source] = many


def parties_of(permit: Permit) -> list[Party]:
    """Everyone on the permit, each address once with all their roles: the applicant first,
    then the owner, the contacts, the business's users."""
    found: list[Party] = []
    for source in (*_sources, _contacts, _business_users):
        found.extend(source(permit))
    return _merged(found)


def parties_of_many(permits: Iterable[Permit]) -> dict[int, list[Party]]:
    """`parties_of` for many permits at once ({permit id: parties}), in a few queries whatever
    their number (a night's reminders of a contractor's thousands of permits)."""
    permits = list(permits)
    found: dict[int, list[Party]] = {permit.pk: [] for permit in permits}
    for source in (*_sources, _contacts, _business_users):
        many = _many_sources.get(source)
        if many is None:
            for permit in permits:
                found[permit.pk].extend(source(permit))
            continue
        for permit_id, parties in many(permits).items():
            found[permit_id].extend(parties)
    return {permit_id: _merged(parties) for permit_id, parties in found.items()}


def _merged(found: list[Party]) -> list[Party]:
    merged: dict[str, Party] = {}
    for party in found:
        key = party.email.strip().lower()
        if not key:
            continue
        if key in merged:
            known = merged[key]
            merged[key] = Party(
                known.email,
                known.name or party.name,
                known.user_id or party.user_id,
                known.roles | party.roles,
            )
        else:
            merged[key] = party
    return list(merged.values())


def addresses(parties: Iterable[Party], *roles: str) -> list[str]:
    """The addresses of the parties holding any of these roles, in order."""
    return [party.email for party in parties if party.has(*roles)]


def applicant_and_contacts(permit: Permit) -> list[str]:
    """Who hears of an application's review, fees and issuance: the applicant and the permit's
    contacts (each address once)."""
    return addresses(parties_of(permit), APPLICANT, CONTACT)


def _contacts(permit: Permit) -> list[Party]:
    return _contacts_many([permit]).get(permit.pk, [])


def _contacts_many(permits: list[Permit]) -> dict[int, list[Party]]:
    contacts = PermitContact.objects.filter(permit__in=permits).select_related("user")
    found: dict[int, list[Party]] = {}
    for c in contacts:
        if c.user.is_active:
            found.setdefault(c.permit_id, []).append(
                Party(c.user.email, c.user.get_full_name(), c.user_id, frozenset({CONTACT}))
            )
    return found


def _business_users(permit: Permit) -> list[Party]:
    holders = PermitLicense.objects.filter(permit=permit).values("license__holder_id")
    memberships = Membership.objects.filter(
        contractor_id__in=holders, user__is_active=True
    ).select_related("user")
    return [_member(m) for m in memberships]


def _business_users_many(permits: list[Permit]) -> dict[int, list[Party]]:
    holders: dict[int, set[int]] = {}
    for permit_id, holder_id in PermitLicense.objects.filter(permit__in=permits).values_list(
        "permit_id", "license__holder_id"
    ):
        holders.setdefault(permit_id, set()).add(holder_id)
    members: dict[int, list[Party]] = {}
    memberships = Membership.objects.filter(
        contractor_id__in={holder for found in holders.values() for holder in found},
        user__is_active=True,
    ).select_related("user")
    for m in memberships.order_by("pk"):
        members.setdefault(m.contractor_id, []).append(_member(m))
    return {
        permit_id: [party for holder in sorted(found) for party in members.get(holder, [])]
        for permit_id, found in holders.items()
    }


def _member(m: Membership) -> Party:
    return Party(
        m.user.email,
        m.user.get_full_name(),
        m.user_id,
        # Manage brings every role (the policy's rule).
        frozenset(
            f"{BUSINESS}:{role}"
            for role, flag in ROLE_FLAGS.items()
            if m.can_manage or getattr(m, flag)
        ),
    )


_many_sources[_contacts] = _contacts_many
_many_sources[_business_users] = _business_users_many
