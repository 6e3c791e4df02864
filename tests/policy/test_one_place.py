"""The policy is the one place that decides: no module outside it asks Django for a permission
by name, and no template works a rule out by comparing users."""

import re
from pathlib import Path

from tests.test_import_contracts import REPO, app_modules

PERMISSION_BY_NAME = re.compile(r"\.(has_perm|has_perms|with_perm)\(")
USER_COMPARISON = re.compile(
    r"(user_id|owner_id|user\.pk|user\.id)\s*==|==\s*(request\.)?user\.(pk|id)\b"
    r"|user\.(is_staff|is_superuser)\b"
)


def test_no_module_outside_the_policy_asks_for_a_permission_by_name():
    asking = [
        str(path.relative_to(REPO))
        for path in app_modules()
        if path.relative_to(REPO).parts[0] != "policy"
        and PERMISSION_BY_NAME.search(path.read_text())
    ]
    assert asking == []


def test_no_template_decides_by_comparing_users():
    templates = [*REPO.glob("templates/**/*.html"), *REPO.glob("*/templates/**/*.html")]
    assert templates
    deciding = [
        str(path.relative_to(REPO))
        for path in templates
        if USER_COMPARISON.search(path.read_text())
    ]
    assert deciding == []


def test_the_checks_find_what_they_look_for():
    assert PERMISSION_BY_NAME.search('request.user.has_perm("permits.view_permitdocument")')
    assert PERMISSION_BY_NAME.search("User.objects.with_perm(name)")
    assert USER_COMPARISON.search("{% if entry.payment.user_id == user.pk %}")
    assert not USER_COMPARISON.search("{% if may_see_receipt %}")
    assert USER_COMPARISON.search("{% if user.is_staff %}")
    assert Path(__file__).parent.name == "policy"
