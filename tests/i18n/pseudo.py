"""The pseudo-locale (issue 25, requirement 2): pages rendered in French with every word that
came from a catalogue marked, so that whatever is left unmarked is English that slipped through.

    with pseudo_french():
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="fr-CA").text
    assert not untranslated(html, data=[settings.CITY_NAME])

`pseudo_french()` puts a translation in place of French whose every answer from a catalogue (the
portal's locale/fr, Django's, allauth's) is wrapped as ⟦…⟧, and every miss is left bare.
`untranslated()` reads the page's text (text nodes, and the attributes a person reads or hears:
title, alt, placeholder, aria-label, a button's value, the page's description) and lists each
run of letters outside ⟦…⟧ that is not data (a name, an address, a permit number, the city's
name: what staff or people wrote, passed in `data`). Text marked in another language (`lang`,
e.g. the switch's "English") is left alone, as is what no one reads (script, style, hidden
inputs' values).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser

from django.utils.translation import trans_real

OPEN, CLOSE = "⟦", "⟧"
LANGUAGE = "fr-ca"

# Attributes whose words a person reads or hears.
READ_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "label"}
INPUT_VALUE_TYPES = {"submit", "button", "reset"}
SKIPPED = {"script", "style", "template"}
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
LETTERS = re.compile(r"[^\W\d_]{2,}")


class PseudoTranslation(trans_real.DjangoTranslation):
    """French, with each translation found in a catalogue wrapped in ⟦…⟧; a miss (a string
    marked in the code that no catalogue translates) comes back as it was, unwrapped."""

    def gettext(self, message: str) -> str:
        found = self._catalog.get(message)
        return message if found is None else f"{OPEN}{found}{CLOSE}"

    def ngettext(self, singular: str, plural: str, number: int) -> str:
        try:
            return f"{OPEN}{self._catalog.plural(singular, number)}{CLOSE}"
        except KeyError:
            return singular if number == 1 else plural


@contextmanager
def pseudo_french() -> Iterator[None]:
    """Every page asked for in French (cookie, Accept-Language, an account's language) is
    rendered through PseudoTranslation while this lasts."""
    translations = trans_real._translations
    before = translations.get(LANGUAGE)
    translations[LANGUAGE] = PseudoTranslation(LANGUAGE)
    try:
        yield
    finally:
        if before is None:
            translations.pop(LANGUAGE, None)
        else:
            translations[LANGUAGE] = before
        trans_real.deactivate()


@dataclass(frozen=True)
class Slip:
    """English left on a page: the words, and where (the element and its nearest id or class)."""

    text: str
    where: str

    def __str__(self) -> str:
        return f"{self.text!r} in {self.where}"


# Elements whose end ends any translated sentence begun inside them (a sentence may hold inline
# elements, a link or a <strong>, never a paragraph's end): a mark left open by a cut-off
# translation (truncatechars) cannot hide the rest of the page.
BLOCKS = {
    "p", "li", "div", "td", "th", "dd", "dt", "label", "button", "option", "title", "section",
    "nav", "header", "footer", "main", "form", "ul", "ol", "table", "tr", "legend", "summary",
    "details", "h1", "h2", "h3", "h4", "h5", "h6", "caption", "figcaption", "fieldset",
}  # fmt: skip
END = ("", "", True)  # a piece that closes every open mark


class _Reader(HTMLParser):
    def __init__(self, within: tuple[str, ...]) -> None:
        super().__init__(convert_charrefs=True)
        self.within = within
        self.stack: list[tuple[str, bool, bool, str]] = []  # tag, counted, foreign, where
        self.pieces: list[tuple[str, str, bool]] = []  # text, where, a unit of its own

    def _inside(self) -> bool:
        """Counted (within one of `within`), read (not a script) and not another language."""
        counted = not self.within or any(counted for _, counted, _, _ in self.stack)
        hidden = any(tag in SKIPPED or foreign for tag, _, foreign, _ in self.stack)
        return counted and not hidden

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        label = tag + (f"#{values['id']}" if values.get("id") else "")
        if values.get("class") and not values.get("id"):
            label += "." + ".".join(values["class"].split()[:2])
        counted = tag in self.within or (
            bool(values.get("id")) and f"#{values['id']}" in self.within
        )
        lang = values.get("lang", "").lower()
        foreign = bool(lang) and not lang.startswith("fr")
        self.stack.append((tag, counted, foreign, label))
        if self._inside():
            read = [values[name] for name in sorted(READ_ATTRIBUTES) if values.get(name)]
            if tag == "input" and values.get("type", "text") in INPUT_VALUE_TYPES:
                read.append(values.get("value", ""))
            if tag == "meta" and values.get("name") == "description":
                read.append(values.get("content", ""))
            self.pieces += [(text, f"{label} (attribute)", True) for text in read]
        if tag in VOID:
            self.stack.pop()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCKS:
            self.pieces.append(END)
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data: str) -> None:
        if data.strip() and self._inside():
            self.pieces.append((data, self.stack[-1][3] if self.stack else "document", False))


def _outside_marks(pieces: Iterable[tuple[str, str, bool]]) -> Iterator[tuple[str, str]]:
    """The runs of text outside ⟦…⟧. A translation may hold inline elements (a link in a
    sentence): its marks then open in one text node and close in a later one, so the depth
    carries across nodes, up to the end of a block; an attribute is a unit of its own."""
    depth = 0
    for text, where, own_unit in pieces:
        if own_unit:
            depth = 0
        run: list[str] = []
        for char in text:
            if char == OPEN:
                depth += 1
            elif char == CLOSE:
                depth = max(0, depth - 1)
            elif depth == 0:
                run.append(char)
                continue
            if run:
                yield "".join(run), where
                run = []
        if run:
            yield "".join(run), where
        if own_unit:
            depth = 0


def untranslated(html: str, *, within: Iterable[str] = (), data: Iterable[str] = ()) -> list[Slip]:
    """Text on the page that did not come from a catalogue (see the module's docstring).
    `within`: only inside these elements (tag names or "#id"), e.g. ("header", "footer"); the
    whole page (its title and description too) by default. `data`: values that are not the
    portal's words."""
    reader = _Reader(tuple(within))
    reader.feed(html)
    known = sorted((value for value in data if value), key=len, reverse=True)
    slips = []
    for text, where in _outside_marks(reader.pieces):
        for value in known:
            text = text.replace(value, " ")
        text = " ".join(text.split())
        if LETTERS.search(text):
            slips.append(Slip(text, where))
    return slips
