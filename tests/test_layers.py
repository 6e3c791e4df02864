"""Imports run one way: an app may import only the apps below it, never one above it nor a
sibling, so that no app knows about the apps above it (docs: CONVENTIONS, "Which app may import
which"). Every module of every app is read, imports inside functions included; migrations, the
tests, the bench and the load run are exempt. There is no list of exceptions: a higher app calls down, or
listens to a signal the lower one sends.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Top to bottom. An app imports only from the layers below its own; apps on one layer are
# siblings and never import each other.
LAYERS: list[set[str]] = [
    {"portal", "demo"},
    {"reviews"},
    {"accounts", "applications", "inspections", "payments"},
    {"permits"},
    {"licenses"},
    {"core"},
]
LEVEL = {app: len(LAYERS) - index for index, layer in enumerate(LAYERS) for app in layer}
# Project packages that are not apps: no app may import them.
NOT_FOR_APPS = {"tests", "bench", "load"}

# Calls that import a module named by a string.
IMPORTING_CALLS = {"import_module", "__import__", "import_string"}


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    importer: str
    imported: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.importer} imports {self.imported}"


def module_name(path: Path) -> str:
    """The dotted name of a module file under REPO: permits/views.py is permits.views."""
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(tree: ast.AST, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the tree, wherever it is written, and
    of every module a call such as importlib.import_module("...") names by a literal."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                name = ".".join([*base, *([node.module] if node.module else [])])
            else:
                name = node.module or ""
            found.append((node.lineno, name))
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0] if node.args else None
            if (
                called in IMPORTING_CALLS
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
            ):
                found.append((node.lineno, first.value))
    return found


def check_source(source: str, path: str) -> list[Violation]:
    """The upward and sideways imports in one module's source; `path` is relative to the
    repository (e.g. "payments/admin.py") and tells which app the module belongs to."""
    relative = Path(path)
    importer = relative.parts[0]
    module = module_name(REPO / relative)
    tree = ast.parse(source, filename=path)
    violations = []
    for line, name in imported_modules(tree, module, relative.name == "__init__.py"):
        top = name.split(".")[0]
        if top == importer:
            continue
        if top in NOT_FOR_APPS or (top in LEVEL and LEVEL[top] >= LEVEL[importer]):
            violations.append(Violation(path, line, importer, name))
    return violations


def app_modules() -> list[Path]:
    return sorted(
        path
        for app in LEVEL
        for path in (REPO / app).rglob("*.py")
        if "migrations" not in path.relative_to(REPO).parts
    )


def test_every_app_has_a_layer():
    apps = {path.parent.name for path in REPO.glob("*/apps.py")}
    assert apps == set(LEVEL), "place each app in LAYERS"


def test_no_app_imports_upward_or_sideways():
    violations = []
    for path in app_modules():
        relative = path.relative_to(REPO).as_posix()
        violations += check_source(path.read_text(encoding="utf-8"), relative)
    assert not violations, "imports that run upward or sideways:\n" + "\n".join(
        map(str, violations)
    )


def test_the_apps_are_read():
    # A checker that read no file would pass anything.
    names = {module_name(path) for path in app_modules()}
    assert {"core.mail", "payments.admin", "permits.views", "portal.admin"} <= names


@pytest.mark.parametrize(
    ("path", "source", "imported"),
    [
        (
            "payments/admin.py",
            "from inspections.admin import InspectionInline\n",
            "inspections.admin",
        ),
        ("permits/access.py", "from portal.sql import expand\n", "portal.sql"),
        ("core/mail.py", "import licenses.models\n", "licenses.models"),
        (
            "licenses/models.py",
            "def f():\n    from permits.models import Permit\n",
            "permits.models",
        ),
        (
            "licenses/models.py",
            "import importlib\nimportlib.import_module('permits.x')\n",
            "permits.x",
        ),
        ("portal/views.py", "from demo import seed\n", "demo"),
        ("payments/views.py", "from tests.factories import FeeFactory\n", "tests.factories"),
        ("core/sql.py", "from ..permits import models\n", "permits"),
    ],
)
def test_the_checker_catches_an_upward_or_sideways_import(path, source, imported):
    violations = check_source(source, path)
    assert [violation.imported for violation in violations] == [imported]
    assert str(violations[0]).startswith(f"{path}:{violations[0].line}: ")


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("portal/admin.py", "from inspections.admin import InspectionInline\n"),
        ("payments/models.py", "from permits.models import Fee\nfrom core.money import ZERO\n"),
        ("inspections/templatetags/tags.py", "from ..scheduling import mark_cancellable\n"),
        ("permits/views.py", "from . import forms\nfrom django.db import models\n"),
    ],
)
def test_the_checker_lets_downward_and_own_imports_pass(path, source):
    assert check_source(source, path) == []
