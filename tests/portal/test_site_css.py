"""The one stylesheet pages link (issue 23, requirement 15): the Bootstrap rules the portal's pages
can use and the portal's own, built by tools/build_css.py. It must be what the script makes of
today's templates and sources, and hold every class a template uses that Bootstrap, its icons or
portal.css define."""

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def build_css():
    spec = importlib.util.spec_from_file_location("build_css", ROOT / "tools" / "build_css.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_css"] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("build_css", None)


def defined_classes(css: str) -> set[str]:
    """Every class a selector of the sheet names (declarations and strings left out)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    selectors = re.findall(r"(?:^|[{}])\s*([^{}@;]+)\{", css)
    return {
        name for selector in selectors for name in re.findall(r"\.(-?[_a-zA-Z][\w-]*)", selector)
    }


def test_the_shipped_stylesheet_is_what_the_script_builds_today(build_css):
    assert build_css.OUTPUT.read_text() == build_css.build(), (
        "static/portal/css/site.css is stale: run .venv/bin/python tools/build_css.py"
    )


def selectors(build_css, css: str):
    for kind, prelude, body in build_css.parse(css):
        if kind != "rule" or "keyframes" in prelude or prelude.startswith("@font-face"):
            continue
        if prelude.startswith("@"):
            yield from selectors(build_css, body)
        else:
            yield from build_css.split_selectors(prelude)


def test_every_class_a_template_uses_is_in_the_shipped_stylesheet(build_css):
    """A class on a page that the sources style, with a rule that can apply to it (the rule's
    other classes used too), is styled by the shipped sheet."""
    shipped = defined_classes(build_css.OUTPUT.read_text())
    used, _ = build_css.used_classes()
    sources = build_css.BOOTSTRAP.read_text() + build_css.ICONS.read_text()
    applicable = set()
    for selector in selectors(build_css, sources):
        needed = build_css.required_classes(selector)
        if needed and needed <= used and "data-bs-theme=dark" not in selector:
            applicable |= needed
    applicable |= defined_classes(build_css.PORTAL.read_text()) & used
    missing = sorted(applicable - shipped)
    assert not missing, f"classes used on pages but not shipped: {missing}"
    # What the phone's menu and the forms need is there (the check above is not empty).
    assert {"navbar-collapse", "collapse", "show", "form-control", "is-invalid"} <= applicable


def test_rules_no_page_uses_are_left_out(build_css):
    shipped = build_css.OUTPUT.read_text()
    for unused in (".carousel", ".offcanvas", ".tooltip", ".bi-alarm", "[data-bs-theme=dark]"):
        assert unused not in shipped


def test_a_class_added_to_a_template_is_kept_and_a_variable_class_keeps_its_prefix(build_css):
    found, prefixes = build_css.classes_in_attribute(
        "btn {% if x %}btn-warning{% endif %} alert-{{ message.tags|default:'info' }}"
    )
    assert {"btn", "btn-warning", "info"} <= found and prefixes == {"alert-"}
    css = ".btn-warning{color:red}.btn-danger{color:blue}.alert-dark{color:#000}"
    kept = "".join(build_css.trim(css, found, prefixes))
    assert ".btn-warning" in kept and ".alert-dark" in kept and ".btn-danger" not in kept


def test_media_queries_and_negations_are_read_rightly(build_css):
    css = (
        "@media (min-width:576px){.a{x:1}.b{x:2}}"
        ".a:not(.c){y:1}"
        "@keyframes spin{to{transform:rotate(1turn)}}.z{animation:spin 1s}"
    )
    kept = build_css.drop_unused_keyframes(build_css.trim(css, {"a"}, set()))
    assert kept == ["@media (min-width:576px){.a{x:1}}", ".a:not(.c){y:1}"]


def test_pages_link_the_built_sheet_only(client, db):
    text = client.get("/").text
    assert "portal/css/site" in text
    assert "bootstrap.min.css" not in text and "bootstrap-icons.min.css" not in text
    assert "bootstrap.bundle" not in text


def test_the_icon_font_has_every_icon_the_sheet_draws_and_no_more(build_css):
    """The font is cut down to the pages' icons (134 KiB whole, for two icons in the header)."""
    drawn = build_css.icon_codepoints(build_css.OUTPUT.read_text())
    assert 0xF1DD in drawn  # the header's building (bi-building)
    assert build_css.font_codepoints() == drawn, "run .venv/bin/python tools/build_css.py"
    assert build_css.ICON_FONT_OUTPUT.stat().st_size < 10_000
    assert '"../fonts/portal-icons.woff2"' in build_css.OUTPUT.read_text()
