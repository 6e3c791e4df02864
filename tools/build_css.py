"""Build the one stylesheet every portal page links: the rules of the vendored Bootstrap and
Bootstrap Icons that the portal's pages can use, then the portal's own styles.

    .venv/bin/python tools/build_css.py          # writes static/portal/css/site.css
    .venv/bin/python tools/build_css.py --check  # exits 1 if that file is stale

Bootstrap's whole sheet is 31 KiB compressed, and Lighthouse found most of it unused on every
page (issue 23, requirement 15). A rule is kept when every class its selector needs is a class
the portal can put on a page: a class attribute of a template (the project's and
crispy-bootstrap5's, whose form templates render the fields), a class set in Python (form widgets)
or by a script (the portal's, and Bootstrap's collapse, the only Bootstrap script a page uses).
A class built in a template from a variable (`alert-{{ message.tags }}`) keeps every class of
its prefix. tests/portal/test_site_css.py fails when a class a template uses is missing from the
built file, or when the file is not what this script makes of the sources today.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOOTSTRAP = ROOT / "static/vendor/bootstrap/css/bootstrap.min.css"
ICONS = ROOT / "static/vendor/bootstrap-icons/bootstrap-icons.min.css"
PORTAL = ROOT / "static/portal/css/portal.css"
OUTPUT = ROOT / "static/portal/css/site.css"
ICON_FONT = ROOT / "static/vendor/bootstrap-icons/fonts/bootstrap-icons.woff2"
# The icons' font cut down to the icons the pages show (134 KiB whole, every page loaded it for
# the header's two icons), and its address from where the built sheet is served.
ICON_FONT_OUTPUT = ROOT / "static/portal/fonts/portal-icons.woff2"
ICON_FONT_FROM_OUTPUT = "../fonts/portal-icons.woff2"
APPS = [
    "accounts",
    "applications",
    "core",
    "inspections",
    "licenses",
    "payments",
    "permits",
    "policy",
    "portal",
    "reviews",
    "demo",
]
# What Bootstrap's collapse (the phone's menu) puts on elements as it opens and closes them.
SCRIPT_CLASSES = {"collapse", "collapsing", "collapsed", "show"}

CLASS_ATTRIBUTE = re.compile(r"""\bclass\s*=\s*(["'])(.*?)\1""", re.S)
PYTHON_CLASS = re.compile(
    r"""(?:["']class["']\s*:\s*|\b(?:css_class|wrapper_class|field_class|label_class)\s*=\s*)"""
    r"""(["'])(.*?)\1""",
    re.S,
)
SCRIPT_CLASS = re.compile(r"""classList\.(?:add|remove|toggle|contains)\(\s*["']([\w-]+)["']""")
SCRIPT_SELECTOR_CLASS = re.compile(r"""(?<![\w$])\.([a-zA-Z][\w-]*)""")
TEMPLATE_CODE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
CLASS_IN_SELECTOR = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")


# crispy-bootstrap5's templates of layout objects (FormHelper layouts), which no form of the
# portal has: the `crispy` filter and `as_crispy_field` never render them.
CRISPY_LAYOUT_ONLY = {
    "accordion.html",
    "accordion-group.html",
    "layout/alert.html",
    "layout/floating_field.html",
    "layout/modal.html",
    "layout/switch.html",
    "layout/tab.html",
    "layout/tab-link.html",
}


def crispy_templates() -> list[Path]:
    import crispy_bootstrap5

    folder = Path(crispy_bootstrap5.__file__).parent / "templates" / "bootstrap5"
    return sorted(
        path
        for path in folder.rglob("*.html")
        if path.relative_to(folder).as_posix() not in CRISPY_LAYOUT_ONLY
    )


def template_files() -> list[Path]:
    return sorted((ROOT / "templates").rglob("*.html")) + crispy_templates()


def classes_in_attribute(value: str) -> tuple[set[str], set[str]]:
    """The classes of one class attribute and the prefixes of the classes it builds from a
    variable ("alert-" for `alert-{{ tags }}`)."""
    prefixes = {match.group(1) for match in re.finditer(r"([a-zA-Z][\w-]*-)(?=\{[{%])", value)}
    words = set(TEMPLATE_CODE.sub(" ", value).split())
    # Literal words inside template code ({% if x %}active{% endif %} leaves "active" outside;
    # {{ x|yesno:"a,b" }} or {% if %}'text-danger'... inside): quoted strings count too.
    for code in TEMPLATE_CODE.findall(value):
        for quoted in re.findall(r"""["']([^"']*)["']""", code):
            words.update(quoted.replace(",", " ").split())
    classes = {word for word in words if re.fullmatch(r"-?[_a-zA-Z][\w-]*", word)}
    return classes, prefixes


def used_classes() -> tuple[set[str], set[str]]:
    """Every class the portal can put on a page, and the prefixes of classes it builds."""
    classes, prefixes = set(SCRIPT_CLASSES), set()
    for path in template_files():
        for _, value in CLASS_ATTRIBUTE.findall(path.read_text()):
            found, built = classes_in_attribute(value)
            classes |= found
            prefixes |= built
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            text = path.read_text()
            for _, value in PYTHON_CLASS.findall(text) + CLASS_ATTRIBUTE.findall(text):
                found, built = classes_in_attribute(value)
                classes |= found
                prefixes |= built
    for path in sorted((ROOT / "static/portal/js").glob("*.js")):
        text = path.read_text()
        classes |= set(SCRIPT_CLASS.findall(text))
        for string in re.findall(r""""([^"\n]*)"|'([^'\n]*)'""", text):
            selector = string[0] or string[1]
            classes |= set(SCRIPT_SELECTOR_CLASS.findall(selector))
    return classes, prefixes


# A small CSS reader: enough for Bootstrap's minified sheets (rules, at-rules with and without
# blocks, comments, strings).


def _skip_string(css: str, i: int) -> int:
    quote = css[i]
    i += 1
    while css[i] != quote:
        i += 2 if css[i] == "\\" else 1
    return i + 1


def _matching_brace(css: str, i: int) -> int:
    """The index after the "}" closing the block whose "{" is at i."""
    depth = 0
    while i < len(css):
        char = css[i]
        if char in "\"'":
            i = _skip_string(css, i)
            continue
        if char == "/" and css.startswith("/*", i):
            i = css.index("*/", i) + 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unbalanced braces")


def _next_open(css: str, i: int) -> int:
    """The index of the next "{" or ";" at this level, outside strings."""
    while i < len(css):
        char = css[i]
        if char in "\"'":
            i = _skip_string(css, i)
            continue
        if char in "{;}":
            return i
        i += 1
    return i


def parse(css: str) -> Iterator[tuple[str, str, str]]:
    """The sheet's top-level items: ("comment", text, ""), ("statement", "@charset ...;", ""),
    ("rule", prelude, body) with the body between the braces."""
    i = 0
    while i < len(css):
        if css[i].isspace():
            i += 1
            continue
        if css.startswith("/*", i):
            end = css.index("*/", i) + 2
            yield ("comment", css[i:end], "")
            i = end
            continue
        stop = _next_open(css, i)
        if stop >= len(css) or css[stop] == "}":
            break
        if css[stop] == ";":
            yield ("statement", css[i : stop + 1].strip(), "")
            i = stop + 1
            continue
        end = _matching_brace(css, stop)
        yield ("rule", css[i:stop].strip(), css[stop + 1 : end - 1])
        i = end


def split_selectors(prelude: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in prelude:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def required_classes(selector: str) -> set[str]:
    """The classes an element must have for the selector to match anything (those inside
    :not() are the ones it must not have)."""
    while ":not(" in selector:
        start = selector.index(":not(")
        depth, i = 0, start + 4
        for i in range(start + 4, len(selector)):
            depth += {"(": 1, ")": -1}.get(selector[i], 0)
            if depth == 0:
                break
        selector = selector[:start] + selector[i + 1 :]
    return set(CLASS_IN_SELECTOR.findall(selector))


def keep_selector(selector: str, classes: set[str], prefixes: set[str]) -> bool:
    if "[data-bs-theme=dark]" in selector:  # no page turns the dark theme on
        return False
    return all(
        name in classes or any(name.startswith(prefix) for prefix in prefixes)
        for name in required_classes(selector)
    )


def trim(css: str, classes: set[str], prefixes: set[str]) -> list[str]:
    """The sheet's items that can apply, each as text; @keyframes are added by `build` once
    it is known which animations the kept rules name."""
    kept: list[str] = []
    for kind, prelude, body in parse(css):
        if kind == "comment":
            if prelude.startswith("/*!"):  # the license
                kept.append(prelude)
            continue
        if kind == "statement":
            if not prelude.startswith("@charset"):
                kept.append(prelude)
            continue
        if prelude.startswith("@keyframes") or prelude.startswith("@-webkit-keyframes"):
            kept.append(f"{prelude}{{{body}}}")
            continue
        if prelude.startswith("@font-face"):
            kept.append(f"{prelude}{{{body}}}")
            continue
        if prelude.startswith("@"):
            inner = trim(body, classes, prefixes)
            inner = [item for item in inner if not item.startswith("/*")]
            if inner:
                kept.append(f"{prelude}{{{''.join(inner)}}}")
            continue
        selectors = [s for s in split_selectors(prelude) if keep_selector(s, classes, prefixes)]
        if selectors:
            kept.append(f"{','.join(selectors)}{{{body}}}")
    return kept


def drop_unused_keyframes(items: list[str]) -> list[str]:
    text = "".join(item for item in items if not item.startswith("@keyframes"))
    return [
        item
        for item in items
        if not item.startswith("@keyframes")
        or re.search(rf"\b{re.escape(item.split()[1].split('{')[0])}\b", text)
    ]


def icon_codepoints(css: str) -> set[int]:
    """The characters of the icons a sheet draws (`.bi-cart::before{content:"\\f23d"}`)."""
    return {int(code, 16) for code in re.findall(r'content:\s*"\\([0-9a-fA-F]+)"', css)}


def subset_icon_font(codepoints: set[int]) -> bytes:
    """The icon font with only these characters (fontTools, woff2)."""
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(ICON_FONT)
    options = subset.Options()
    options.flavor = "woff2"
    options.name_IDs = ["*"]  # keeps the license's name records
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(codepoints))
    subsetter.subset(font)
    out = io.BytesIO()
    font.flavor = "woff2"
    font.save(out)
    return out.getvalue()


def build(classes: Iterable[str] | None = None, prefixes: Iterable[str] | None = None) -> str:
    if classes is None or prefixes is None:
        classes, prefixes = used_classes()
    classes, prefixes = set(classes), set(prefixes)
    bootstrap = drop_unused_keyframes(trim(BOOTSTRAP.read_text(), classes, prefixes))
    icons = [
        re.sub(r"src:[^;}]*", f'src:url("{ICON_FONT_FROM_OUTPUT}") format("woff2")', item)
        if item.startswith("@font-face")
        else item
        for item in trim(ICONS.read_text(), classes, prefixes)
    ]
    return (
        '@charset "UTF-8";\n'
        "/* Built by tools/build_css.py from the vendored Bootstrap and Bootstrap Icons (the\n"
        "   rules the portal's pages can use) and static/portal/css/portal.css: edit those,\n"
        "   then run the script again. */\n"
        + "\n".join(bootstrap)
        + "\n"
        + "\n".join(icons)
        + "\n"
        + PORTAL.read_text()
    )


def font_codepoints() -> set[int]:
    """The characters the shipped icon font has (none if it is missing)."""
    if not ICON_FONT_OUTPUT.exists():
        return set()
    from fontTools.ttLib import TTFont

    return set(TTFont(ICON_FONT_OUTPUT).getBestCmap())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    css = build()
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text() != css:
            print(f"{OUTPUT.relative_to(ROOT)} is stale: run tools/build_css.py", file=sys.stderr)
            return 1
        if font_codepoints() != icon_codepoints(css):
            print(
                f"{ICON_FONT_OUTPUT.relative_to(ROOT)} is stale: run tools/build_css.py",
                file=sys.stderr,
            )
            return 1
        return 0
    OUTPUT.write_text(css)
    print(f"wrote {OUTPUT.relative_to(ROOT)}: {len(css.encode()):,} bytes")
    ICON_FONT_OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    font = subset_icon_font(icon_codepoints(css))
    ICON_FONT_OUTPUT.write_bytes(font)
    print(f"wrote {ICON_FONT_OUTPUT.relative_to(ROOT)}: {len(font):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
