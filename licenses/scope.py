"""A user's standing as a contractor, read once per request: their verified address, approved
license links and memberships with their roles (ContractorScope, contractor_scope).

Facts only: no rule is decided here. Every "may this user ...?" question, of a permit or of a
business, is answered in the policy package (`policy/`) from this scope. A user counts as
a registered contractor for a license only when their address is verified and the link
approved; without a verified address the scope is empty. Each license comes with its
status: the policy lets a suspended, revoked or expired license show its history but not act.
"""

from dataclasses import dataclass, field

from .models import LicenseStatus, Membership
from .selectors import ROLE_COLUMNS, scope_rows


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
    # Business id -> the licenses it holds, for the businesses where the user holds a role.
    held_by: dict[int, frozenset[int]] = field(default_factory=dict)
    # Every license above (registered for, or held) -> its status (LicenseStatus).
    license_statuses: dict[int, str] = field(default_factory=dict)
    # Other apps' facts about the user (register_scope_flag), e.g. "contact".
    flags: frozenset[str] = frozenset()

    @property
    def held_license_ids(self) -> frozenset[int]:
        """The licenses of the businesses where the user holds a role."""
        return frozenset().union(*self.held_by.values())

    def businesses_with(self, role: str | None = None) -> frozenset[int]:
        """Businesses where the user holds `role` (or any role at all, when None)."""
        return frozenset(
            contractor_id
            for contractor_id, roles in self.roles.items()
            if (role in roles if role else roles)
        )

    def licenses_held_with(self, role: str | None = None) -> frozenset[int]:
        """The licenses of the businesses where the user holds `role` (any role when None)."""
        return frozenset().union(
            *(self.held_by.get(contractor_id, ()) for contractor_id in self.businesses_with(role))
        )

    def active(self, license_ids: frozenset[int]) -> frozenset[int]:
        """Those of `license_ids` (licenses of this scope) that are active: not suspended,
        revoked or expired."""
        return frozenset(
            license_id
            for license_id in license_ids
            if self.license_statuses.get(license_id) == LicenseStatus.ACTIVE
        )

    def inactive_license_ids(self) -> frozenset[int]:
        """The scope's licenses that are suspended, revoked or expired."""
        return frozenset(self.license_statuses) - self.active(frozenset(self.license_statuses))

    def has_role(self, contractor_id: int, role: str) -> bool:
        return role in self.roles.get(contractor_id, frozenset())


NO_SCOPE = ContractorScope()
SCOPE_CACHE_ATTRIBUTE = "_portal_contractor_scope"

# Other apps' yes-or-no facts about a user, read in the scope's query rather than in one query
# each: name -> SQL of a condition on the user's id (one %s), e.g. permits' "named as a contact
# on some permit". Registered from AppConfig.ready().
SCOPE_FLAGS: dict[str, str] = {}


def register_scope_flag(name: str, condition_sql: str) -> None:
    """`condition_sql` is true for the user whose id is its one parameter, e.g.
    "EXISTS (SELECT 1 FROM app_table WHERE user_id = %s)"; the scope then has `name` in its
    `flags` when it holds."""
    SCOPE_FLAGS[name] = condition_sql


def _read_scope(user) -> ContractorScope:
    """One query: whether the user's email address is verified, the licenses of their approved
    links, their memberships with each business's name and the licenses those businesses hold,
    and the other apps' flags (links, memberships and flags count only with a verified
    address)."""
    if not user.email:
        return NO_SCOPE
    rows = scope_rows(user, SCOPE_FLAGS)
    if not any(row[0] == "verified" for row in rows):
        return NO_SCOPE
    members = [
        (
            contractor_id,
            name,
            Membership(**dict(zip(ROLE_COLUMNS, map(bool, values), strict=True))).roles,
        )
        for kind, contractor_id, name, *values, _ in rows
        if kind == "member"
    ]
    held_by: dict[int, set[int]] = {}
    for kind, license_id, _, *_, holder_id in rows:
        if kind == "held":
            held_by.setdefault(holder_id, set()).add(license_id)
    return ContractorScope(
        verified=True,
        license_ids=frozenset(row[1] for row in rows if row[0] == "license"),
        roles={contractor_id: roles for contractor_id, _, roles in members},
        business_names={contractor_id: name for contractor_id, name, _ in members},
        held_by={holder_id: frozenset(ids) for holder_id, ids in held_by.items()},
        license_statuses={row[1]: row[2] for row in rows if row[0] in ("license", "held")},
        flags=frozenset(row[2] for row in rows if row[0] == "flag"),
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
