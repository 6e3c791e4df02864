"""Reads of licenses: the rows a user's contractor scope is made of (licenses.scope builds the
scope from them, once per request), and what approving a license link will do."""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection

from core.sql import expand

from .models import ROLE_FIELDS, Contractor, License, LicenseLink, LicenseLinkStatus, Membership

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


def register_approval_fact(fact: Callable[[License], str | None]) -> None:
    if fact not in APPROVAL_FACTS:
        APPROVAL_FACTS.append(fact)


@dataclass(frozen=True)
class ApprovalPreview:
    """What approving `link` does, said before it is done."""

    business: Contractor
    becomes_manager: bool
    already_member: bool
    managers: list[str]
    facts: list[str]


def approval_preview(link: LicenseLink) -> ApprovalPreview:
    """The applicant joins the license holder's business; the first approved user of a business
    without a Manager becomes its Manager (licenses.services.license_link_approve)."""
    business = link.license.holder
    memberships = Membership.objects.filter(contractor=business).select_related("user")
    managers = [m for m in memberships if m.can_manage]
    return ApprovalPreview(
        business=business,
        becomes_manager=not managers,
        already_member=any(m.user_id == link.user_id for m in memberships),
        managers=sorted(m.user.get_full_name() or m.user.get_username() for m in managers),
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
