"""The lock files pin every dependency pyproject.toml names, at a version its range admits, with
hashes: a dependency added without `make lock` fails here, not on a fresh machine."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def pins(lock: Path) -> dict[str, str]:
    found = {}
    for line in lock.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s\\]+)", line)
        if match:
            found[canonicalize_name(match.group(1))] = match.group(2)
    return found


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [
        ("requirements.lock", PROJECT["dependencies"]),
        (
            "requirements-dev.lock",
            PROJECT["dependencies"] + PROJECT["optional-dependencies"]["dev"],
        ),
    ],
)
def test_every_dependency_is_pinned_in_the_lock_within_its_range(lock, requirements):
    pinned = pins(REPO / lock)
    for text in requirements:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{name} is not in {lock}: run make lock"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{lock} pins {name}=={pinned[name]}, outside {requirement.specifier}: run make lock"
        )


def test_every_pin_carries_a_hash():
    text = (REPO / "requirements-dev.lock").read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9_.\-]+==)", text)[1:]  # the header comes first
    assert len(entries) > 50
    assert all("--hash=sha256:" in entry for entry in entries), [
        entry.split()[0] for entry in entries if "--hash=sha256:" not in entry
    ]
    assert "file://" not in text and "--find-links" not in text  # nothing of one machine's
