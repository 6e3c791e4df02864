"""The translation catalogues (docs/i18n.md): locale/<locale>/LC_MESSAGES/django.po and djangojs.po.

    python tools/messages.py extract   # the words marked in the code into every .po (makemessages;
                                       # needs GNU gettext's xgettext and msgmerge)
    python tools/messages.py compile   # every .po into its .mo (pure Python: no gettext needed)
    python tools/messages.py check     # what a translator still has to do, and stale .mo files

`make messages` runs extract then compile. The .mo files are committed: a fresh machine runs the
portal with Python alone. tests/i18n/test_catalogue.py holds the catalogues to `problems()` and
each .mo to its .po, and (where xgettext is installed) the .po files to the code.
"""

from __future__ import annotations

import array
import ast
import gettext
import re
import shutil
import struct
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
DOMAINS = ("django", "djangojs")
# The catalogues' languages, as their folders are named (gettext's: fr for any French).
LOCALES = ("fr",)
# What makemessages does not read: what no person sees on a page (tests, tools, benchmarks, docs),
# what is not the portal's (vendored scripts, installed packages, generated files).
IGNORED = [
    "var/*",
    "tests/*",
    "bench/*",
    "load/*",
    "mutation/*",
    "docs/*",
    "tools/*",
    "static/vendor/*",
    "static/portal/css/*",
]
MAKEMESSAGES_OPTIONS = ["--no-obsolete", "--add-location=file", "--no-wrap"]


@dataclass
class Entry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> str:
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid

    @property
    def label(self) -> str:
        context = f" (context: {self.msgctxt})" if self.msgctxt is not None else ""
        return f"{self.msgid!r}{context}"


# Reading a .po -----------------------------------------------------------------------------------


def parse_po(text: str) -> list[Entry]:
    """The entries of a .po file, its header (msgid "") first; obsolete ones (#~) marked."""
    entries: list[Entry] = []
    current: Entry | None = None
    last = ""  # the field the next "..." line continues: msgctxt, msgid, msgid_plural, or msgstr
    index = 0  # which msgstr[n]
    flags: set[str] = set()

    def finish() -> None:
        nonlocal current, last
        if current is not None:
            entries.append(current)
        current, last = None, ""

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if not line or line.startswith("|"):
                continue
        if not line:
            continue
        if line.startswith("#"):
            if last == "msgstr":
                finish()
            if line.startswith("#,"):
                flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            keyword, rest = last, line
        elif keyword == "msgctxt" or (keyword == "msgid" and last != "msgctxt"):
            finish()
            current, flags = Entry(msgid="", flags=flags, obsolete=obsolete), set()
        if current is None or not keyword:
            raise ValueError(f"line {number} of a .po file: {raw!r}")
        value = ast.literal_eval(rest)
        if keyword == "msgctxt":
            current.msgctxt = (current.msgctxt or "") + value
        elif keyword == "msgid":
            current.msgid += value
        elif keyword == "msgid_plural":
            current.msgid_plural = (current.msgid_plural or "") + value
        elif keyword == "msgstr" and last == "msgstr" and line.startswith('"'):
            current.msgstr[index] += value
        elif keyword == "msgstr":
            if last == "msgstr":
                raise ValueError(f"line {number} of a .po file: a second msgstr: {raw!r}")
            index = 0
            current.msgstr = [value]
        elif keyword.startswith("msgstr[") and keyword.endswith("]"):
            index = int(keyword[7:-1])
            current.msgstr += [""] * (index + 1 - len(current.msgstr))
            current.msgstr[index] = value
            keyword = "msgstr"
        else:
            raise ValueError(f"line {number} of a .po file: {raw!r}")
        last = keyword
    finish()
    return entries


def read_po(path: Path) -> list[Entry]:
    return parse_po(path.read_text(encoding="utf-8"))


# What a translator still has to do -----------------------------------------------------------

PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]|\{(\w*)\}")
TAG = re.compile(r"<[^>]+>")


def _placeholders(text: str, flags: set[str]) -> list[str]:
    if not flags & {"python-format", "javascript-format", "python-brace-format"}:
        return []
    found = []
    for match in PLACEHOLDER.finditer(text):
        if match.group(0) == "%%":
            continue
        found.append(match.group(1) or match.group(2) or match.group(0)[-1])
    return found


def problems(entries: list[Entry]) -> list[str]:
    """Every entry not ready: untranslated (or a plural form missing), fuzzy, obsolete, or whose
    translation drops or adds a placeholder (a page would fail) or an HTML tag."""
    found = []
    header = next((entry for entry in entries if entry.msgid == "" and not entry.msgctxt), None)
    if header is None or not header.msgstr or not header.msgstr[0]:
        found.append('the header (msgid "") is missing')
    else:
        if "fuzzy" in header.flags:
            found.append("the header is marked fuzzy")
        if not re.search(r"^Language: \S+", header.msgstr[0], re.M):
            found.append("the header names no Language")
        if not re.search(r"^Plural-Forms: nplurals=\d+; plural=[^;]+;", header.msgstr[0], re.M):
            found.append("the header has no Plural-Forms")
    for entry in entries:
        if entry is header:
            continue
        if entry.obsolete:
            found.append(f"obsolete: {entry.label}")
            continue
        if "fuzzy" in entry.flags:
            found.append(f"fuzzy: {entry.label}")
        if not entry.msgstr or not all(entry.msgstr):
            found.append(f"untranslated: {entry.label}")
            continue
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        wanted = sorted(set().union(*(_placeholders(text, entry.flags) for text in sources)))
        for form in entry.msgstr:
            named = sorted(set(_placeholders(form, entry.flags)))
            if entry.msgid_plural:
                # A plural form may leave the number out ("une seule"), never add a name.
                if not set(named) <= set(wanted):
                    found.append(f"placeholders {named} not those of {entry.label}")
            elif named != wanted:
                found.append(f"placeholders {named} instead of {wanted}: {entry.label}")
            if sorted(TAG.findall(form)) != sorted(TAG.findall(entry.msgid)):
                found.append(f"HTML tags differ from the English: {entry.label}")
    return found


# Compiling -----------------------------------------------------------------------------------


def _compiled(entry: Entry) -> list[str]:
    """What a .mo holds of an entry: its translations; of the header, all but the date the
    template was made (as msgfmt does: extracting again changes no .mo)."""
    if entry.msgid == "" and entry.msgctxt is None:
        return [re.sub(r"^POT-Creation-Date: .*\n", "", entry.msgstr[0], flags=re.M)]
    return entry.msgstr


def catalogue(entries: list[Entry]) -> dict:
    """What gettext reads from the compiled .mo: {msgid: msgstr}, {(msgid, n): msgstr} for
    plurals (contexts as "context\\x04msgid"); untranslated, fuzzy and obsolete entries left out."""
    found: dict = {}
    for entry in entries:
        if entry.obsolete or not entry.msgstr or not all(entry.msgstr):
            continue
        if "fuzzy" in entry.flags and entry.msgid != "":
            continue
        if entry.msgid_plural is not None:
            for index, form in enumerate(_compiled(entry)):
                found[(entry.key, index)] = form
        else:
            found[entry.key] = _compiled(entry)[0]
    return found


def compile_mo(entries: list[Entry]) -> bytes:
    """The .mo of these entries (GNU gettext's format, as CPython's Tools/i18n/msgfmt.py writes
    it): the same bytes on every machine."""
    messages: dict[bytes, bytes] = {}
    for entry in entries:
        if entry.obsolete or not entry.msgstr or not all(entry.msgstr):
            continue
        if "fuzzy" in entry.flags and entry.msgid != "":
            continue
        key = entry.key
        if entry.msgid_plural is not None:
            key += "\x00" + entry.msgid_plural
        messages[key.encode()] = "\x00".join(_compiled(entry)).encode()
    keys = sorted(messages)
    ids = strs = b""
    offsets = []
    for key in keys:
        offsets.append((len(ids), len(key), len(strs), len(messages[key])))
        ids += key + b"\x00"
        strs += messages[key] + b"\x00"
    key_start = 7 * 4 + 16 * len(keys)
    value_start = key_start + len(ids)
    key_offsets: list[int] = []
    value_offsets: list[int] = []
    for id_offset, id_length, str_offset, str_length in offsets:
        key_offsets += [id_length, id_offset + key_start]
        value_offsets += [str_length, str_offset + value_start]
    header = struct.pack("Iiiiiii", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + len(keys) * 8, 0, 0)
    return header + array.array("i", key_offsets + value_offsets).tobytes() + ids + strs


def read_mo(path: Path) -> dict:
    with path.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)


def catalogue_files(root: Path = ROOT) -> list[Path]:
    return sorted((root / "locale").glob("*/LC_MESSAGES/*.po"))


def compile_all(root: Path = ROOT) -> list[Path]:
    written = []
    for po in catalogue_files(root):
        mo = po.with_suffix(".mo")
        content = compile_mo(read_po(po))
        if not mo.exists() or mo.read_bytes() != content:
            mo.write_bytes(content)
            written.append(mo)
    return written


# Extracting ----------------------------------------------------------------------------------


def extract(root: Path = ROOT, python: str = sys.executable) -> None:
    """Django's makemessages, with the portal's options, for every language and domain (run in
    `root`: the tests run it in a copy of the code)."""
    if not shutil.which("xgettext") or not shutil.which("msgmerge"):
        raise SystemExit(
            "makemessages needs GNU gettext (xgettext, msgmerge): apt-get install gettext, "
            "or brew install gettext"
        )
    ignore = [option for pattern in IGNORED for option in ("--ignore", pattern)]
    for domain in DOMAINS:
        command = [python, "manage.py", "makemessages", "--domain", domain]
        command += [option for locale in LOCALES for option in ("--locale", locale)]
        command += MAKEMESSAGES_OPTIONS + ignore + ["--settings=portal.settings.test"]
        subprocess.run(command, cwd=root, check=True, capture_output=True)  # noqa: S603


def main(argv: list[str]) -> int:
    if not argv or set(argv) - {"extract", "compile", "check"}:
        print(__doc__)
        return 2
    if "extract" in argv:
        extract()
    if "compile" in argv:
        for mo in compile_all():
            print(f"wrote {mo.relative_to(ROOT)}")
    if "check" in argv:
        failed = False
        for po in catalogue_files():
            entries = read_po(po)
            for problem in problems(entries):
                print(f"{po.relative_to(ROOT)}: {problem}")
                failed = True
            mo = po.with_suffix(".mo")
            if not mo.exists() or read_mo(mo) != catalogue(entries):
                print(
                    f"{mo.relative_to(ROOT)}: not compiled from its .po (tools/messages.py compile)"
                )
                failed = True
        return 1 if failed else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
