"""What a user may do as a contractor, from their approved license links and memberships.

Everything a contractor may do needs a verified email address first: a user becomes a
registered contractor for a license only when their address is verified and the link approved.
Permit-level questions ("may this user pay this permit's fees?") are answered in permits.access,
on top of this.
"""

from dataclasses import dataclass, field

from django.db.models import BigIntegerField, BooleanField, CharField, F, Value
from django.db.models.functions import Cast

from .models import ROLE_FIELDS, LicenseLink, LicenseLinkStatus, Membership, Role


def email_verified(user) -> bool:
    from allauth.account.models import EmailAddress

    if not user.is_authenticated or not user.email:
        return False
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


@dataclass(frozen=True)
class ContractorScope:
    """A user's standing as a contractor, read once per request."""

    verified: bool = False
    # Licenses the user is a registered contractor for (approved, and email verified).
    license_ids: frozenset[int] = frozenset()
    # Business id -> the roles the user holds there (verified users only).
    roles: dict[int, frozenset[str]] = field(default_factory=dict)
    # Business id -> its name, for the same businesses.
    business_names: dict[int, str] = field(default_factory=dict)

    def businesses_with(self, role: str | None = None) -> frozenset[int]:
        """Businesses where the user holds `role` (or any role at all, when None)."""
        return frozenset(
            contractor_id
            for contractor_id, roles in self.roles.items()
            if (role in roles if role else roles)
        )

    def has_role(self, contractor_id: int, role: str) -> bool:
        return role in self.roles.get(contractor_id, frozenset())


NO_SCOPE = ContractorScope()
SCOPE_CACHE_ATTRIBUTE = "_portal_contractor_scope"


ROLE_COLUMNS = tuple(ROLE_FIELDS.values())


def _read_scope(user) -> ContractorScope:
    """One query: whether the user's email address is verified, the licenses of their approved
    links, and their memberships with each business's name (links and memberships count only
    with a verified address)."""
    from allauth.account.models import EmailAddress

    if not user.email:
        return NO_SCOPE
    # Annotation names must not be the models' own field names.
    flags = tuple(f"flag_{column}" for column in ROLE_COLUMNS)
    columns = ("kind", "ref", "business", *flags)
    # Typed NULLs: PostgreSQL reads two untyped NULLs of a UNION as text.
    nothing = {
        "ref": Cast(Value(None), BigIntegerField()),
        "business": Cast(Value(None), CharField()),
        **{flag: Cast(Value(None), BooleanField()) for flag in flags},
    }

    def part(queryset, kind: str, **values):
        return (
            queryset.order_by()
            .annotate(kind=Value(kind), **{**nothing, **values})
            .values_list(*columns)
        )

    verified = part(
        EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True),
        "verified",
    )
    links = part(
        LicenseLink.objects.filter(user=user, status=LicenseLinkStatus.APPROVED),
        "license",
        ref=F("license_id"),
    )
    memberships = part(
        Membership.objects.filter(user=user),
        "member",
        ref=F("contractor_id"),
        business=F("contractor__business_name"),
        **{flag: F(column) for flag, column in zip(flags, ROLE_COLUMNS, strict=True)},
    )
    rows = list(verified.union(links, memberships, all=True))
    if not any(row[0] == "verified" for row in rows):
        return NO_SCOPE
    members = [
        (
            contractor_id,
            name,
            Membership(**dict(zip(ROLE_COLUMNS, values, strict=True))).roles,
        )
        for kind, contractor_id, name, *values in rows
        if kind == "member"
    ]
    return ContractorScope(
        verified=True,
        license_ids=frozenset(row[1] for row in rows if row[0] == "license"),
        roles={contractor_id: roles for contractor_id, _, roles in members},
        business_names={contractor_id: name for contractor_id, name, _ in members},
    )


def contractor_scope(user) -> ContractorScope:
    """The user's scope, cached on the user object for the rest of the request."""
    if not getattr(user, "is_authenticated", False):
        return NO_SCOPE
    cached = getattr(user, SCOPE_CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached
    scope = _read_scope(user)
    setattr(user, SCOPE_CACHE_ATTRIBUTE, scope)
    return scope


def forget_scope(user) -> None:
    """After a change to the user's links or memberships in the same request: forget the scope
    and everything read with it (the `_portal_` values on the user)."""
    for attribute in [name for name in vars(user) if name.startswith("_portal_")]:
        delattr(user, attribute)


def can_manage_business(user, contractor_id: int) -> bool:
    return contractor_scope(user).has_role(contractor_id, Role.MANAGE)
