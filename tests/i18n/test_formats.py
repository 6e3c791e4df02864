"""Issue 25, requirements 2 and 8: money, dates and numbers in each language's own way. English
exactly as the pages always showed them; Canadian French as the Office québécois de la langue
française writes them (1 234,56 $, 7 décembre 2026, 2026-12-07, 14 h 30)."""

import datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.formats import date_format, localize, time_format

from core.money import format_money, money_pattern

NBSP = "\xa0"
DAY = datetime.date(2026, 12, 7)
MOMENT = datetime.datetime(2026, 12, 7, 14, 30)


def render(source: str, **context) -> str:
    return Template("{% load portal_tags %}" + source).render(Context(context))


@pytest.mark.parametrize(
    ("amount", "english", "french"),
    [
        (Decimal("1234.56"), "$1,234.56", f"1{NBSP}234,56{NBSP}$"),
        (Decimal("-12"), "-$12.00", f"-12,00{NBSP}$"),
        (Decimal("0.015"), "$0.02", f"0,02{NBSP}$"),
        (Decimal("-0.004"), "$0.00", f"0,00{NBSP}$"),
        ("1234567.8", "$1,234,567.80", f"1{NBSP}234{NBSP}567,80{NBSP}$"),
        (7, "$7.00", f"7,00{NBSP}$"),
    ],
)
def test_money_is_written_the_way_each_language_writes_it(amount, english, french):
    with translation.override("en"):
        assert format_money(amount) == english
        assert render("{{ amount|money }}", amount=amount) == english
    with translation.override("fr-ca"):
        assert format_money(amount) == french
        assert render("{{ amount|money }}", amount=amount) == french


def test_no_amount_is_no_text_in_either_language():
    for language in ("en", "fr-ca"):
        with translation.override(language):
            assert format_money(None) == "" and format_money("") == ""


def test_english_money_is_what_the_portal_always_showed():
    """The formatter before issue 25, for every amount a DecimalField(12, 2) holds in a sample:
    English pages must not change by a byte."""

    def before(value) -> str:
        amount = Decimal(value).quantize(Decimal("0.01"))
        return f"{'-' if amount < 0 else ''}${abs(amount):,.2f}"

    samples = [Decimal(n) / 100 for n in range(-250_000, 250_000, 997)]
    samples += [Decimal("9999999999.99"), Decimal("-9999999999.99"), Decimal("0")]
    with translation.override("en"):
        assert [format_money(value) for value in samples] == [before(v) for v in samples]


def test_each_language_says_in_its_format_module_how_it_writes_money():
    assert money_pattern("en") == "{sign}${amount}"
    assert money_pattern("fr-ca") == "{sign}{amount}\xa0$"


def test_dates_and_times_in_english_are_the_pages_formats_as_before():
    with translation.override("en"):
        assert date_format(DAY) == "Dec. 7, 2026"
        assert date_format(DAY, "SHORT_DATE_FORMAT") == "12/07/2026"
        assert render('{{ day|date:"M j, Y" }}', day=DAY) == "Dec 7, 2026"
        assert render('{{ day|date:"m/d/Y" }}', day=DAY) == "12/07/2026"
        assert time_format(MOMENT.time()) == "2:30 p.m."
        assert localize(Decimal("1234.5")) == "1234.5"


def test_dates_and_times_in_canadian_french():
    with translation.override("fr-ca"):
        assert date_format(DAY) == "7 décembre 2026"
        assert render("{{ day|date }}", day=DAY) == "7 décembre 2026"
        assert date_format(DAY, "SHORT_DATE_FORMAT") == "2026-12-07"
        # Django's own fr_CA module reads its "h" as the hour: "14 02 30" (portal/formats).
        assert time_format(MOMENT.time()) == f"14{NBSP}h{NBSP}30"
        assert time_format(datetime.time(9, 5)) == f"9{NBSP}h{NBSP}05"
        assert date_format(MOMENT, "DATETIME_FORMAT") == f"7 décembre 2026, 14{NBSP}h{NBSP}30"
        assert date_format(MOMENT, "SHORT_DATETIME_FORMAT") == f"2026-12-07 14{NBSP}h{NBSP}30"
        assert localize(Decimal("1234.5")) == "1234,5"
