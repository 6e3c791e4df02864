"""Issue 25, requirement 2: the French catalogue is complete. The build fails on any entry
untranslated, fuzzy or obsolete, on a translation that loses a placeholder or a tag, on a
compiled .mo that is not its .po, and (where GNU gettext is installed: always in CI) on a word
marked in the code that the catalogue does not hold (tools/messages.py; docs/i18n.md)."""

import gettext
import importlib.util
import io
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def messages():
    spec = importlib.util.spec_from_file_location("messages_tool", ROOT / "tools" / "messages.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["messages_tool"] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("messages_tool", None)


def test_there_is_a_french_catalogue_for_the_pages_and_one_for_the_scripts(messages):
    found = {path.relative_to(ROOT).as_posix() for path in messages.catalogue_files()}
    assert found == {"locale/fr/LC_MESSAGES/django.po", "locale/fr/LC_MESSAGES/djangojs.po"}


def test_the_french_catalogues_are_complete(messages):
    problems = {
        po.relative_to(ROOT).as_posix(): messages.problems(messages.read_po(po))
        for po in messages.catalogue_files()
    }
    assert problems == {name: [] for name in problems}


def test_each_compiled_catalogue_is_its_po(messages):
    for po in messages.catalogue_files():
        mo = po.with_suffix(".mo")
        assert mo.exists(), f"{mo}: run tools/messages.py compile"
        assert messages.read_mo(mo) == messages.catalogue(messages.read_po(po)), (
            f"{mo} is not {po.name} compiled: run tools/messages.py compile"
        )


SAMPLE = r"""# A catalogue with one of each problem.
msgid ""
msgstr ""
"Language: fr\n"
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\n"

#: a.py
msgid "Done"
msgstr "Fait"

msgid "Not yet"
msgstr ""

#, fuzzy
msgid "Almost"
msgstr "Presque"

#, python-format
msgid "Hello %(name)s"
msgstr "Bonjour %(nom)s"

#, python-format
msgid "%(count)s permit"
msgid_plural "%(count)s permits"
msgstr[0] "%(count)s permis"
msgstr[1] ""

msgid "Call <a href=\"tel:1\">us</a>"
msgstr "Appelez-nous"

msgctxt "a menu"
msgid "Open"
msgstr "Ouvrir"

msgid ""
"Two "
"lines"
msgstr ""
"Deux "
"lignes"

#~ msgid "Gone"
#~ msgstr "Parti"
"""


def test_each_kind_of_unfinished_entry_is_found(messages):
    entries = messages.parse_po(SAMPLE)
    assert messages.problems(entries) == [
        "untranslated: 'Not yet'",
        "fuzzy: 'Almost'",
        "placeholders ['nom'] instead of ['name']: 'Hello %(name)s'",
        "untranslated: '%(count)s permit'",
        "HTML tags differ from the English: 'Call <a href=\"tel:1\">us</a>'",
        "obsolete: 'Gone'",
    ]


def test_a_header_left_as_makemessages_wrote_it_is_found(messages):
    entries = messages.parse_po('#, fuzzy\nmsgid ""\nmsgstr ""\n"Language: \\n"\n')
    assert messages.problems(entries) == [
        "the header is marked fuzzy",
        "the header names no Language",
        "the header has no Plural-Forms",
    ]


def test_a_malformed_catalogue_is_refused_not_half_read(messages):
    with pytest.raises(ValueError, match="a second msgstr"):
        messages.parse_po('msgid "One"\nmsgstr "Un"\n\nmsgstr "Deux"\n')
    with pytest.raises(ValueError, match="line 2"):
        messages.parse_po('msgid "One"\nmsgstring "Un"\n')


def test_the_compiler_writes_what_gettext_reads(messages):
    entries = messages.parse_po(SAMPLE)
    compiled = gettext.GNUTranslations(io.BytesIO(messages.compile_mo(entries)))
    assert compiled.gettext("Done") == "Fait"
    assert compiled.gettext("Two lines") == "Deux lignes"
    assert compiled.pgettext("a menu", "Open") == "Ouvrir"
    # What is not ready is not used: the English shows (and the check above fails).
    assert compiled.gettext("Not yet") == "Not yet"
    assert compiled.gettext("Almost") == "Almost"
    assert compiled.gettext("Gone") == "Gone"
    assert dict(compiled._catalog) == messages.catalogue(entries)
    # The same bytes every time, on every machine.
    assert messages.compile_mo(entries) == messages.compile_mo(messages.parse_po(SAMPLE))


# What the code marks: GNU gettext's xgettext reads it (makemessages). Tests that need it skip on a
# machine without it; CI sets PORTAL_REQUIRE_GETTEXT, and fails instead.


def copy_of_the_code(messages, folder: Path) -> Path:
    """What makemessages reads (and the settings it needs), without what it is told to skip."""
    skipped = {pattern.split("/")[0] for pattern in messages.IGNORED if pattern.count("/") == 1}

    def ignore(directory: str, names: list[str]) -> set[str]:
        here = Path(directory)
        return {
            name
            for name in names
            if name.startswith(".")
            or name == "__pycache__"
            or (here == ROOT and name in skipped)
            or (here == ROOT / "static" and name == "vendor")
        }

    target = folder / "code"
    shutil.copytree(ROOT, target, ignore=ignore)
    return target


@pytest.mark.gettext
def test_the_catalogues_hold_every_word_the_code_marks_and_nothing_else(messages, tmp_path):
    """makemessages run again on a copy of the code changes no entry: a word marked since the
    last run would be new (untranslated), a word no longer marked would be gone."""
    copy = copy_of_the_code(messages, tmp_path)
    messages.extract(copy)
    for po in messages.catalogue_files():
        committed = messages.read_po(po)
        again = messages.read_po(copy / po.relative_to(ROOT))
        marked = sorted((entry.key, entry.msgid_plural or "") for entry in again)
        held = sorted((entry.key, entry.msgid_plural or "") for entry in committed)
        assert marked == held, (
            f"{po.relative_to(ROOT)} is not what the code marks: run `make messages`, "
            "then translate what is new"
        )
        assert messages.problems(again) == []
