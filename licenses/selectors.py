"""Reads of licenses: the rows a user's contractor scope is made of (licenses.scope builds the
scope from them, once per request), and what approving a license link will do."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.db import connection
from django.utils.translation import gettext as _

from core.money import ZERO
from core.sql import expand

from .models import (
    ROLE_FIELDS,
    Contractor,
    License,
    LicenseLink,
    LicenseLinkStatus,
    Membership,
    Role,
)

ROLE_COLUMNS = tuple(ROLE_FIELDS.values())

# The scope's one query, written out: the ORM took about 4 ms a request to build the same
# UNION. Typed NULLs: PostgreSQL reads the NULLs of a UNION's first part as text otherwise. The
# role columns are ROLE_COLUMNS, in order (tests/licenses/test_access.py holds them together).
# Columns: kind, id, text (a business's name, a license's status, a flag's name), the roles,
# and a held license's holder.
_SCOPE_SQL = """
SELECT 'verified', CAST(NULL AS bigint), CAST(NULL AS varchar(200)),
       CAST(NULL AS boolean), CAST(NULL AS boolean), CAST(NULL AS boolean),
       CAST(NULL AS boolean), CAST(NULL AS boolean), CAST(NULL AS bigint)
  FROM account_emailaddress
 WHERE user_id = %s AND UPPER(email) = UPPER(%s) AND verified
UNION ALL
SELECT 'license', k.license_id, l.status, NULL, NULL, NULL, NULL, NULL, NULL
  FROM licenses_licenselink k JOIN licenses_license l ON l.id = k.license_id
 WHERE k.user_id = %s AND k.status = %s
UNION ALL
SELECT 'member', m.contractor_id, c.business_name,
       m.can_manage, m.can_apply, m.can_pay, m.can_inspect, m.can_upload, NULL
  FROM licenses_membership m JOIN licenses_contractor c ON c.id = m.contractor_id
 WHERE m.user_id = %s
UNION ALL
SELECT 'held', l.id, l.status, NULL, NULL, NULL, NULL, NULL, l.holder_id
  FROM licenses_license l
 WHERE l.holder_id IN (
       SELECT contractor_id FROM licenses_membership
        WHERE user_id = %s
          AND (can_manage OR can_apply OR can_pay OR can_inspect OR can_upload))
"""
_SCOPE_FLAG_SQL = "UNION ALL SELECT 'flag', NULL, %s, NULL, NULL, NULL, NULL, NULL, NULL WHERE "


def scope_rows(user, flags: dict[str, str]) -> list[tuple]:
    """One query: (kind, id, text, *ROLE_COLUMNS, holder) rows of the user's verified address
    ("verified"), the licenses of their approved links with each license's status
    ("license"), their memberships with each business's name and roles ("member"), the
    licenses of the businesses where they hold a role with each license's status and holder
    ("held"), and each of `flags` that holds ("flag", the flag's name in the text column).
    `flags`: name -> SQL of a condition on the user's id, written by the app whose tables it
    reads (licenses.scope.register_scope_flag)."""
    flag_names = sorted(flags)
    sql = _SCOPE_SQL + "".join(_SCOPE_FLAG_SQL + flags[name] + "\n" for name in flag_names)
    params = [user.pk, user.email, user.pk, LicenseLinkStatus.APPROVED, user.pk, user.pk]
    for name in flag_names:
        params += [name, user.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# What approving a license link will do -------------------------------------------------------

# Other apps' facts about a license for the reviewer ("22 permits name this license", "a trust
# account of $1,925.81"): each takes the license and returns a sentence or None. Registered from
# AppConfig.ready(), as the scope's flags are: this layer reads no app above it.
APPROVAL_FACTS: list[Callable[[License], str | None]] = []


@dataclass(frozen=True)
class LicenseFigures:
    """The permits naming a license (or several): how many, how many active, the fees due."""

    permits: int = 0
    active: int = 0
    fees_due: Decimal = ZERO


# The permits app counts a business's licenses' permits and fees (this layer reads none):
# license ids -> each one's figures, and all of them together.
FiguresSource = Callable[[list[int]], tuple[dict[int, LicenseFigures], LicenseFigures]]
_FIGURES: list[FiguresSource] = []


def provide_license_figures(source: FiguresSource) -> None:
    _FIGURES[:] = [source]


def register_approval_fact(fact: Callable[[License], str | None]) -> None:
    if fact not in APPROVAL_FACTS:
        APPROVAL_FACTS.append(fact)


@dataclass(frozen=True)
class BusinessLicense:
    license: License
    figures: LicenseFigures
    requested: bool


@dataclass(frozen=True)
class ApprovalPreview:
    """What approving `link` does, said before it is done: the role the applicant will hold at
    the business, and what they will act for through it (every license of the business once
    they hold any role there, otherwise only the license they asked for)."""

    business: Contractor
    becomes_manager: bool
    already_member: bool
    managers: list[str]
    role: str
    licenses: list[BusinessLicense]
    total: LicenseFigures
    sees_every_license: bool
    facts: list[str]

    @property
    def seen(self) -> LicenseFigures:
        """What the applicant will see and act for once approved."""
        if self.sees_every_license:
            return self.total
        return next(row.figures for row in self.licenses if row.requested)


def approval_preview(link: LicenseLink) -> ApprovalPreview:
    """The applicant joins the license holder's business; the first approved user of a business
    without a Manager becomes its Manager (licenses.services.license_link_approve)."""
    business = link.license.holder
    memberships = list(Membership.objects.filter(contractor=business).select_related("user"))
    managers = [m for m in memberships if m.can_manage]
    own = next((m for m in memberships if m.user_id == link.user_id), None)
    if not managers:
        others = ", ".join(str(Role(value).label) for value in Role.values if value != Role.MANAGE)
        role = _("Manager: every role (%(roles)s)") % {"roles": others}
    elif own is not None and own.can_manage:
        role = _("Manager, as now")
    elif own is not None and own.roles:
        role = _("%(roles)s, as now") % {"roles": ", ".join(own.role_labels)}
    else:
        role = _("No role until a Manager of the business grants one")
    # Any role at the business opens every license it holds (licenses.scope: "held").
    sees_every_license = not managers or (own is not None and bool(own.roles))
    licenses = list(
        License.objects.filter(holder=business).select_related("license_type").order_by("number")
    )
    ids = [license.pk for license in licenses]
    each, total = _FIGURES[0](ids) if _FIGURES else ({}, LicenseFigures())
    return ApprovalPreview(
        business=business,
        becomes_manager=not managers,
        already_member=own is not None,
        managers=sorted(m.user.get_full_name() or m.user.get_username() for m in managers),
        role=role,
        licenses=[
            BusinessLicense(
                license=license,
                figures=each.get(license.pk, LicenseFigures()),
                requested=license.pk == link.license_id,
            )
            for license in licenses
        ],
        total=total,
        sees_every_license=sees_every_license,
        facts=[text for fact in APPROVAL_FACTS if (text := fact(link.license))],
    )


LICENSE_LABELS_SQL = """
SELECT l.id, c.business_name, l.number
  FROM licenses_license l JOIN licenses_contractor c ON c.id = l.holder_id
 WHERE l.id IN %s
"""


LABEL_CACHE_KEY = "license-label:v1:{}"
LABEL_CACHE_SECONDS = 3600


def license_labels(license_ids: set[int]) -> dict[int, tuple[str, str]]:
    """Each license's (holder's business name, number): how a list of permits names its license
    professionals (permits.selectors.attach_professionals). Read through the shared cache (one
    round trip to Redis for a page, rather than a query), which licenses.signals empties for a
    license or business that changes."""
    if not license_ids:
        return {}
    keys = {LABEL_CACHE_KEY.format(license_id): license_id for license_id in license_ids}
    cached = cache.get_many(list(keys))
    labels = {keys[key]: tuple(label) for key, label in cached.items()}
    missing = sorted(set(license_ids) - set(labels))
    if missing:
        with connection.cursor() as cursor:
            cursor.execute(*expand(LICENSE_LABELS_SQL, [missing]))
            found = {license_id: (business, number) for license_id, business, number in cursor}
        cache.set_many(
            {LABEL_CACHE_KEY.format(license_id): label for license_id, label in found.items()},
            LABEL_CACHE_SECONDS,
        )
        labels.update(found)
    return labels


def forget_license_labels(license_ids) -> None:
    cache.delete_many([LABEL_CACHE_KEY.format(license_id) for license_id in license_ids])


def pending_license_numbers(user) -> list[str]:
    """The licenses the user asked to act for that the permit office has not decided yet."""
    return list(
        LicenseLink.objects.filter(user=user, status=LicenseLinkStatus.PENDING)
        .order_by("license__number")
        .values_list("license__number", flat=True)
    )
