"""Permit numbers: the type's code, the two-digit year of the day the permit is made and a
sequence (RES31-0001). Each type and each year counts on its own; a number an import already
took is passed over; an import's wider numbers keep their width; the highest number in use is
the highest by value, not by text; a rolled-back submit gives its number back.

The row lock that keeps two submits at once from getting the same number is proved on
PostgreSQL: tests/applications/test_concurrency.py."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from permits.models import PermitNumberSequence
from permits.services import permit_number_next
from tests.factories import PermitFactory, PermitTypeFactory

pytestmark = pytest.mark.django_db

IN_2031 = datetime.date(2031, 3, 1)
IN_2032 = datetime.date(2032, 1, 2)


@pytest.fixture
def residential():
    return PermitTypeFactory(code="RES")


def take(permit_type, on=IN_2031) -> str:
    """A number, used the way a submit uses it: by the permit it creates."""
    number = permit_number_next(permit_type=permit_type, on=on)
    PermitFactory(number=number, permit_type=permit_type)
    return number


def test_numbers_are_the_code_the_year_of_the_day_given_and_a_sequence(residential):
    assert [take(residential), take(residential)] == ["RES31-0001", "RES31-0002"]


def test_without_a_day_the_number_takes_todays_year(residential):
    yy = timezone.localdate().year % 100
    assert permit_number_next(permit_type=residential) == f"RES{yy:02d}-0001"


def test_two_types_count_apart(residential):
    electrical = PermitTypeFactory(code="ELE")
    assert [take(residential), take(residential)] == ["RES31-0001", "RES31-0002"]
    assert take(electrical) == "ELE31-0001"
    assert take(residential) == "RES31-0003"
    assert take(electrical) == "ELE31-0002"


def test_two_years_count_apart(residential):
    assert [take(residential), take(residential)] == ["RES31-0001", "RES31-0002"]
    assert take(residential, on=IN_2032) == "RES32-0001"
    # 2031's sequence goes on where it stopped.
    assert take(residential) == "RES31-0003"
    assert take(residential, on=IN_2032) == "RES32-0002"


def test_a_number_an_import_already_took_is_passed_over(residential):
    assert take(residential) == "RES31-0001"
    # Imported after the sequence began: the sequence does not know of them.
    PermitFactory(number="RES31-0002", permit_type=residential)
    PermitFactory(number="RES31-0003", permit_type=residential)
    assert take(residential) == "RES31-0004"
    assert take(residential) == "RES31-0005"


def test_an_imported_numbers_width_is_kept(residential):
    PermitFactory(number="RES31-013323", permit_type=residential)
    assert take(residential) == "RES31-013324"
    assert take(residential) == "RES31-013325"


def test_the_highest_number_in_use_is_the_highest_by_value_not_by_text(residential):
    # By text "RES31-9999" sorts above "RES31-10005"; by value 10005 is the higher.
    for number in ("RES31-9999", "RES31-10005", "RES31-0042-A", "ELE31-20000"):
        PermitFactory(number=number, permit_type=residential)
    assert take(residential) == "RES31-10006"


def test_among_numbers_of_one_width_the_highest_is_followed(residential):
    for tail in ("0007", "0150", "0042"):
        PermitFactory(number=f"RES31-{tail}", permit_type=residential)
    assert take(residential) == "RES31-0151"


def test_a_rolled_back_submit_gives_its_number_back(residential):
    assert take(residential) == "RES31-0001"
    with pytest.raises(RuntimeError), transaction.atomic():
        assert permit_number_next(permit_type=residential, on=IN_2031) == "RES31-0002"
        raise RuntimeError("the submit fails after taking its number")
    assert take(residential) == "RES31-0002"
    assert PermitNumberSequence.objects.get(prefix="RES", year=31).last == 2
