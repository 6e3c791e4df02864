"""The layers are import-linter contracts (pyproject.toml, run by `make lint`): every app of the
project is in them, so a new app cannot slip past its layer."""

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]


# Packages of the repository that are not the portal's code.
NOT_THE_PORTAL = {"tests", "load", "mutation", "bench"}


def apps() -> set[str]:
    """Every app of the project, and its packages that are not apps (the policy)."""
    return {path.parent.name for path in REPO.glob("*/__init__.py")} - NOT_THE_PORTAL


def app_modules() -> list[Path]:
    """Every module of every app, migrations aside."""
    return sorted(
        path
        for app in apps()
        for path in (REPO / app).rglob("*.py")
        if "migrations" not in path.relative_to(REPO).parts
    )


def contract(kind: str) -> dict:
    (found,) = [c for c in CONFIG["contracts"] if c["type"] == kind]
    return found


def test_every_app_is_on_a_layer_and_checked_for_cycles():
    layered = {app.strip() for layer in contract("layers")["layers"] for app in layer.split("|")}
    assert layered == apps()
    assert set(contract("acyclic_siblings")["ancestors"]) == apps()
    assert apps() <= set(CONFIG["root_packages"])


def test_siblings_are_independent_on_their_layer():
    siblings = [layer for layer in contract("layers")["layers"] if "|" in layer]
    assert "accounts | applications | inspections | payments" in siblings


def test_no_app_module_is_over_500_lines():
    """Issue 22: a module past 500 lines holds more than one concern; split it by concern."""
    long = {
        str(path.relative_to(REPO)): lines
        for path in app_modules()
        if (lines := len(path.read_text().splitlines())) > 500
    }
    assert long == {}
