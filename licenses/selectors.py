"""Reads of licenses: the rows a user's contractor scope is made of (licenses.access builds the
scope from them, once per request)."""

from django.db import connection

from .models import ROLE_FIELDS, LicenseLinkStatus

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
    reads (licenses.access.register_scope_flag)."""
    flag_names = sorted(flags)
    sql = _SCOPE_SQL + "".join(_SCOPE_FLAG_SQL + flags[name] + "\n" for name in flag_names)
    params = [user.pk, user.email, user.pk, LicenseLinkStatus.APPROVED, user.pk, user.pk]
    for name in flag_names:
        params += [name, user.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
