"""Telling the words that came from the catalogue from those that did not (issue 25): French
on, and every string the catalogue gives in French read ⟦like this⟧ (placeholders kept;
English as written), then the page's visible words checked for any that came from neither the
catalogue nor the records."""

import re
from contextlib import contextmanager
from html.parser import HTMLParser

from django.test import override_settings
from django.utils import translation

CATALOGUE_FUNCTIONS = ("gettext", "ngettext", "pgettext", "npgettext")


@contextmanager
def french_active():
    """Translation on and French active, whatever the settings say (Django serves the
    translation functions it chose first: forget them on both sides). French is also the
    language a request without a choice is served in: LocaleMiddleware activates each
    request's own language."""
    with override_settings(USE_I18N=True, LANGUAGE_CODE="fr-ca"):
        translation._trans.__dict__.clear()
        try:
            with translation.override("fr-ca"):
                yield
        finally:
            translation._trans.__dict__.clear()


@contextmanager
def pseudo_french_active():
    """As `french_active`, with every string the catalogue gives in French read ⟦like this⟧."""
    with french_active():
        trans = translation._trans
        real = {name: getattr(trans, name) for name in CATALOGUE_FUNCTIONS}

        def english() -> bool:
            return (translation.get_language() or "en").startswith("en")

        def pseudo(name, pick):
            def translated(*args):
                return real[name](*args) if english() else f"⟦{pick(*args)}⟧"

            return translated

        trans.gettext = pseudo("gettext", lambda message: message)
        trans.pgettext = pseudo("pgettext", lambda context, message: message)
        trans.ngettext = pseudo("ngettext", lambda one, many, n: one if n == 1 else many)
        trans.npgettext = pseudo("npgettext", lambda context, one, many, n: one if n == 1 else many)
        yield


class VisibleText(HTMLParser):
    """The text a reader meets in the page's <main>, a sentence at a time (words in <strong> or a
    link stay in their sentence), and the attributes read out or shown (labels, confirmations,
    the values of input buttons)."""

    ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "data-confirm", "data-label"}
    INLINE = {"a", "strong", "em", "b", "i", "small", "abbr", "code", "time"}

    def __init__(self, container: str = "main") -> None:
        super().__init__()
        self.container = container
        self.depth = 0
        self.skipping = 0
        self.sentence: list[str] = []
        self.found: list[str] = []

    def flush(self) -> None:
        text = " ".join("".join(self.sentence).split())
        if text:
            self.found.append(text)
        self.sentence = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in self.INLINE:
            self.flush()
        if tag == self.container:
            self.depth += 1
        if tag in ("script", "style"):
            self.skipping += 1
        if not self.depth:
            return
        for name, value in attrs.items():
            shown = name == "value" and tag == "input" and attrs.get("type") in ("submit", "button")
            if value and (name in self.ATTRIBUTES or shown):
                self.found.append(value)

    def handle_endtag(self, tag):
        if tag not in self.INLINE:
            self.flush()
        if tag == self.container:
            self.depth -= 1
        if tag in ("script", "style"):
            self.skipping -= 1

    def handle_data(self, data):
        if self.depth and not self.skipping:
            self.sentence.append(data)


def not_from_the_catalogue(page: str, data: list[str], container: str = "main") -> list[str]:
    """The words of the page's `container` element that came neither from the catalogue nor
    from the records (`data`)."""
    parser = VisibleText(container)
    parser.feed(page)
    parser.flush()
    left = []
    for text in parser.found:
        if "⟦" in text:
            continue
        rest = text
        for value in sorted(data, key=len, reverse=True):
            rest = rest.replace(value, " ")
        if re.search(r"[A-Za-z]", rest):
            left.append(text)
    return left
