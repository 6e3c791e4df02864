"""SQL written by hand names only its own app's tables (docs: CONVENTIONS, "SQL in one app never
names another app's tables unless that app's selectors own it"). A page that wants several apps'
rows in one query joins the parts each app's selectors write (core.sql.union_all); it never
names their tables itself. Every string in every app module is read (migrations, whose triggers
span apps, are exempt, as are the tests and the bench).
"""

import ast
import re

import pytest
from django.apps import apps

from tests.test_import_contracts import REPO, app_modules


def table_owners() -> dict[str, str]:
    """Each project table's name -> the app (top package) whose models define it."""
    owners = {}
    for model in apps.get_models(include_auto_created=True):
        package = model._meta.app_config.name.split(".")[0]
        if (REPO / package / "apps.py").exists():
            owners[model._meta.db_table] = package
    return owners


def strings(source: str) -> list[tuple[int, str]]:
    """(line, text) of every string literal, f-strings' literal parts included."""
    return [
        (node.lineno, node.value)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def foreign_tables(source: str, app: str, owners: dict[str, str]) -> list[tuple[int, str]]:
    found = []
    for line, text in strings(source):
        for word in re.findall(r"(?<![\w.])[a-z][a-z0-9_]*(?![\w])", text):
            if word in owners and owners[word] != app:
                found.append((line, word))
    return found


def test_no_app_names_another_apps_tables():
    owners = table_owners()
    found = []
    for path in app_modules():
        relative = path.relative_to(REPO)
        app = relative.parts[0]
        for line, table in foreign_tables(path.read_text(encoding="utf-8"), app, owners):
            found.append(f"{relative.as_posix()}:{line}: names {table} ({owners[table]})")
    assert not found, "SQL naming another app's tables:\n" + "\n".join(found)


def test_the_tables_are_known():
    # A checker that knew no table would pass anything.
    owners = table_owners()
    assert owners["permits_permit"] == "permits"
    assert owners["inspections_inspectionlicense"] == "inspections"
    assert owners["payments_cartline"] == "payments"


@pytest.mark.parametrize(
    ("app", "source", "named"),
    [
        (
            "portal",
            'SQL = "SELECT COUNT(*) FROM permits_permitlicense"\n',
            ["permits_permitlicense"],
        ),
        (
            "inspections",
            'def f(x):\n    return f"SELECT 1 FROM inspections_inspection i'
            ' JOIN permits_permit p ON p.id = {x}"\n',
            ["permits_permit"],
        ),
        ("permits", 'SQL = "SELECT holder_id FROM licenses_license"\n', ["licenses_license"]),
    ],
)
def test_the_checker_catches_another_apps_table(app, source, named):
    assert [table for _, table in foreign_tables(source, app, table_owners())] == named


@pytest.mark.parametrize(
    ("app", "source"),
    [
        ("permits", 'SQL = "SELECT 1 FROM permits_permitlicense WHERE license_id IN %s"\n'),
        ("portal", 'URL = "admin:permits_permit_changelist"\n'),
        ("portal", "from permits.selectors import my_permits_page_part\n"),
    ],
)
def test_the_checker_lets_own_tables_and_other_words_pass(app, source):
    assert foreign_tables(source, app, table_owners()) == []
