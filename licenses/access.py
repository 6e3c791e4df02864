"""What a user may do as a contractor, from their approved license links and memberships.

Everything a contractor may do needs a verified email address first: a user becomes a
registered contractor for a license only when their address is verified and the link approved.
Permit-level questions ("may this user pay this permit's fees?") are answered in permits.access,
on top of this.
"""

from dataclasses import dataclass, field

from django.db.models import BigIntegerField, Value

from .models import LicenseLink, LicenseLinkStatus, Membership, Role


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


def _verified_and_linked(user) -> tuple[bool, frozenset[int]]:
    """Whether the user's email address is verified, and the licenses of their approved links:
    one query (the links count only with a verified address)."""
    from allauth.account.models import EmailAddress

    if not user.email:
        return False, frozenset()
    verified = (
        EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True)
        .order_by()
        .annotate(kind=Value("verified"), ref=Value(None, output_field=BigIntegerField()))
        .values_list("kind", "ref")
    )
    links = (
        LicenseLink.objects.filter(user=user, status=LicenseLinkStatus.APPROVED)
        .order_by()
        .annotate(kind=Value("license"))
        .values_list("kind", "license_id")
    )
    rows = list(verified.union(links, all=True))
    return (
        any(kind == "verified" for kind, _ in rows),
        frozenset(ref for kind, ref in rows if kind == "license"),
    )


def contractor_scope(user) -> ContractorScope:
    """The user's scope, cached on the user object for the rest of the request."""
    if not getattr(user, "is_authenticated", False):
        return NO_SCOPE
    cached = getattr(user, SCOPE_CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached
    verified, license_ids = _verified_and_linked(user)
    if not verified:
        scope = NO_SCOPE
    else:
        memberships = list(Membership.objects.filter(user=user).select_related("contractor"))
        scope = ContractorScope(
            verified=True,
            license_ids=license_ids,
            roles={membership.contractor_id: membership.roles for membership in memberships},
            business_names={
                membership.contractor_id: membership.contractor.business_name
                for membership in memberships
            },
        )
    setattr(user, SCOPE_CACHE_ATTRIBUTE, scope)
    return scope


def forget_scope(user) -> None:
    """After a change to the user's links or memberships in the same request: forget the scope
    and everything read with it (the `_portal_` values on the user)."""
    for attribute in [name for name in vars(user) if name.startswith("_portal_")]:
        delattr(user, attribute)


def can_manage_business(user, contractor_id: int) -> bool:
    return contractor_scope(user).has_role(contractor_id, Role.MANAGE)
