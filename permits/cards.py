"""The permit card: a letter-size PDF made when a permit is issued and made again, as Rev n,
when what it shows changes (earlier revisions kept, marked superseded), with a QR code and a
short check code for the public verification page.

What the card shows beyond the permit itself comes from the apps that know it, registered here
(the permit app names none of them): plan review's conditions of approval, the inspections'
grid. The same sections, each marked public or not, make the verification page.

fpdf2 (pure Python: it installs from wheels on a bare machine) draws the page; segno gives the
QR code's modules, drawn as squares (no image to decode). The PDF core font covers Latin-1: text
is folded to it (curly quotes and dashes to their plain forms; French's accents are in it).

The card's words are in the active language. Whether what it shows changed is decided on its
English content, so that rendering it in French never makes a revision of its own."""

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.events import event_record
from core.mail import absolute_url
from core.money import format_money

from .models import Permit, PermitCard

CHECK_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # read over the phone: no 0/O, 1/I/L
# The language of the content whose digest says whether the card changed (never the reader's).
DIGEST_LANGUAGE = "en"


@dataclass
class CardSection:
    """A table on the card (and, when public, on the verification page)."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    public: bool = True
    empty: str = gettext_lazy("None.")

    def as_content(self) -> dict:
        """The section as the card's content keeps it: its words as text in the active language
        (a source may give them lazily)."""

        def text(value):
            return str(value) if isinstance(value, Promise) else value

        return {
            "title": text(self.title),
            "columns": [text(column) for column in self.columns],
            "rows": [[text(cell) for cell in row] for row in self.rows],
            "public": self.public,
            "empty": text(self.empty),
        }


CardSource = Callable[[Permit], CardSection | None]
_sources: list[CardSource] = []


def register_card_section(source: CardSource) -> None:
    if source not in _sources:
        _sources.append(source)


def card_sections(permit: Permit) -> list[CardSection]:
    return [section for source in _sources if (section := source(permit)) is not None]


def verify_url(permit: Permit) -> str:
    return absolute_url(reverse("permits:verify", args=[permit.check_code]))


def card_date(value) -> str:
    """December 7, 2026 (7 décembre 2026); "" for none."""
    return dateformat.format(value, _("F j, Y")) if value else ""


def card_content(permit: Permit) -> dict:
    """Everything the card shows, in the active language: a new revision is made when this
    changes (in English: permit_card_refresh)."""
    licenses = [
        f"{license.number} - {license.holder.business_name}"
        for license in permit.licenses.select_related("holder").order_by("number")
    ]
    return {
        "number": permit.number,
        "type": permit.permit_type.name,
        "status": permit.get_status_display(),
        "issued_on": card_date(permit.issued_on),
        "expires_on": card_date(permit.expires_on),
        "site": ", ".join(
            part
            for part in (permit.address, permit.city, f"{permit.state} {permit.zip_code}".strip())
            if part
        ),
        "parcel": permit.parcel_number,
        "description": permit.description,
        "valuation": format_money(permit.valuation),
        "owner": permit.owner_name,
        "licenses": licenses,
        "sections": [section.as_content() for section in card_sections(permit)],
        "check_code": permit.check_code,
        "city": settings.CITY_NAME,
        "office_phone": settings.CITY_OFFICE_PHONE,
    }


# Typographic characters the core font lacks, as their plain forms (by code point).
FOLD = str.maketrans(
    {
        "\u201c": '"',
        "\u201d": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
    }
)


def _latin1(text: str) -> str:
    return str(text).translate(FOLD).encode("latin-1", "replace").decode("latin-1")


def render_card(content: dict, *, revision: int, url: str) -> bytes:
    """The card as a PDF: letter size, one page in the usual case."""
    import segno
    from fpdf import FPDF, FontFace

    pdf = FPDF(format="letter", unit="pt")
    pdf.set_auto_page_break(auto=True, margin=48)
    pdf.set_margins(48, 48, 48)
    pdf.add_page()
    width = pdf.w - 96

    def text(value: str, size: float = 10, style: str = "", height: float = 14) -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(width, height, _latin1(value), new_x="LMARGIN", new_y="NEXT")

    # The QR code, top right: its modules as squares.
    qr = segno.make(url, error="m")
    module = 2.6
    size = module * (qr.symbol_size(scale=1, border=2)[0])
    left, top = pdf.w - 48 - size, 40
    pdf.set_fill_color(0, 0, 0)
    for y, row in enumerate(qr.matrix_iter(scale=1, border=2)):
        for x, dark in enumerate(row):
            if dark:
                pdf.rect(left + x * module, top + y * module, module, module, style="F")
    pdf.set_xy(left - 20, top + size + 2)
    pdf.set_font("Helvetica", "", 8)
    pdf.cell(
        size + 40,
        10,
        _latin1(_("Check code %(code)s") % {"code": content["check_code"]}),
        align="C",
    )

    pdf.set_xy(48, 48)
    narrow = width - size - 24

    def header(value: str, size_pt: float, style: str, height: float) -> None:
        pdf.set_font("Helvetica", style, size_pt)
        pdf.multi_cell(narrow, height, _latin1(value), new_x="LMARGIN", new_y="NEXT")

    header(_("%(city)s - Building Department") % {"city": content["city"]}, 11, "B", 14)
    pdf.ln(4)
    header(_("BUILDING PERMIT"), 24, "B", 28)
    header(content["number"], 24, "B", 28)
    header(
        _("%(type)s - card Rev %(revision)s") % {"type": content["type"], "revision": revision},
        12,
        "",
        16,
    )
    header(
        _("Issued %(issued)s    Expires %(expires)s")
        % {"issued": content["issued_on"] or "-", "expires": content["expires_on"] or "-"},
        11,
        "B",
        16,
    )
    pdf.set_y(max(pdf.get_y(), top + size + 16))
    pdf.ln(6)
    pdf.set_draw_color(0, 0, 0)
    pdf.line(48, pdf.get_y(), pdf.w - 48, pdf.get_y())
    pdf.ln(8)

    def row(label: str, value: str) -> None:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(120, 14, _latin1(label))
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(width - 120, 14, _latin1(value or "-"), new_x="LMARGIN", new_y="NEXT")

    row(_("Site"), content["site"])
    row(_("Parcel"), content["parcel"])
    row(_("Work"), content["description"])
    row(_("Valuation"), content["valuation"])
    row(_("Owner"), content["owner"])
    row(_("License professionals"), "\n".join(content["licenses"]))
    for section in content["sections"]:
        pdf.ln(8)
        text(section["title"], size=12, style="B", height=16)
        if not section["rows"]:
            text(section["empty"])
            continue
        columns = section["columns"]
        rest = max(len(columns) - 1, 1)
        # A table whose cells wrap: a long condition takes the lines it needs.
        pdf.set_font("Helvetica", "", 9)
        with pdf.table(
            col_widths=(2 * rest, *([1] * (len(columns) - 1))),
            line_height=12,
            text_align="LEFT",
            headings_style=FontFace(emphasis="BOLD"),
        ) as table:
            table.row([_latin1(name) for name in columns])
            for cells in section["rows"]:
                table.row([_latin1(cell) for cell in cells])
    pdf.ln(10)
    text(
        _(
            "Post this card where it can be seen from the street. Check it at %(url)s "
            "Questions: %(city)s permit office, %(phone)s."
        )
        % {"url": url, "city": content["city"], "phone": content["office_phone"]},
        size=8,
        height=11,
    )
    return bytes(pdf.output())


def _new_check_code() -> str:
    while True:
        code = "".join(secrets.choice(CHECK_ALPHABET) for _ in range(8))
        if not Permit.objects.filter(check_code=code).exists():
            return code


@transaction.atomic
def permit_card_refresh(*, permit: Permit) -> PermitCard | None:
    """Make the card's next revision if what it shows changed since the last one (the first at
    issuance); the earlier revision is marked superseded. None when nothing changed, or the
    permit was never issued."""
    permit = (
        Permit.objects.select_for_update(no_key=True)
        .select_related("permit_type")
        .get(pk=permit.pk)
    )
    if permit.issued_on is None:
        return None
    if not permit.check_code:
        permit.check_code = _new_check_code()
        Permit.objects.filter(pk=permit.pk).update(check_code=permit.check_code)
    with translation.override(DIGEST_LANGUAGE):
        content = card_content(permit)
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    latest = permit.cards.order_by("-revision").first()
    if latest is not None and latest.content_sha256 == digest:
        return None
    if not (translation.get_language() or "").startswith(DIGEST_LANGUAGE):
        # The card itself in the active language.
        content = card_content(permit)
    revision = latest.revision + 1 if latest else 0
    card = PermitCard(permit=permit, revision=revision, content_sha256=digest)
    card.file.save(
        f"{permit.number}-rev{revision}.pdf",
        ContentFile(render_card(content, revision=revision, url=verify_url(permit))),
        save=False,
    )
    card.save()
    if latest is not None:
        PermitCard.objects.filter(pk=latest.pk).update(superseded_at=timezone.now())
    event_record("card.revised", subject=permit, revision=revision)
    return card
