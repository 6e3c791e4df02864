"""Inspections in the reader's language (issue 25): every word of the request's steps, the
inspection's page, an inspector's stops and the calendar page comes through the catalogue; the
days are written the language's way; what the history keeps stays as it was written."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from inspections.exceptions import InspectionError
from inspections.forms import InspectionDateForm
from inspections.models import Holiday, Inspection
from inspections.scheduling import allowed_days
from inspections.services import inspection_record_result, inspection_request_create
from permits.models import PermitStatus
from tests.catalogue_words import french_active, not_from_the_catalogue, pseudo_french_active
from tests.factories import (
    InspectionFactory,
    InspectionTypeFactory,
    LicenseFactory,
    PermitFactory,
    contractor_user,
    make_inspector,
    moves,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def french():
    with french_active():
        yield


@pytest.fixture
def pseudo_french():
    with pseudo_french_active():
        yield


@pytest.fixture
def license():
    return LicenseFactory()


@pytest.fixture
def permit(license):
    permit = PermitFactory(
        number="RES25-00777", status=PermitStatus.ISSUED, licenses=[license], zip_code="62704"
    )
    InspectionTypeFactory(permit_type=permit.permit_type, code="101", name="Footing")
    InspectionTypeFactory(permit_type=permit.permit_type, code="105", name="Framing")
    return permit


@pytest.fixture
def contractor(client, license):
    user = contractor_user(license, can_inspect=True)
    user.phone = "(217) 555-0100"
    user.save()
    client.force_login(user)
    return user


def records(permit, *more) -> list[str]:
    values = [
        permit.number,
        permit.full_address,
        permit.address,
        permit.permit_type.name,
        *(str(kind) for kind in permit.permit_type.inspection_types.all()),
        *more,
    ]
    for inspection in Inspection.objects.filter(permit=permit):
        values += [inspection.number, str(inspection.inspector or "")]
        values += [inspection.contact_name, inspection.contact_phone]
    return [value for value in values if value]


def test_every_word_of_the_request_steps_and_the_inspection_comes_from_the_catalogue(
    client, permit, contractor, pseudo_french
):
    make_inspector("ivy")
    Holiday.objects.create(date=allowed_days()[1], name="Founders Day")
    name = contractor.get_full_name()
    data = records(permit, name, contractor.phone, "Founders Day", "INS-000123")
    number = permit.number
    footing = permit.permit_type.inspection_types.get(code="101")

    page = client.get(reverse("inspections:request", args=[number]))
    assert not_from_the_catalogue(page.text, data) == []
    client.post(reverse("inspections:request", args=[number]), {"inspection_type": footing.pk})
    page = client.get(reverse("inspections:request_date", args=[number]))
    assert "⟦city holiday (Founders Day)⟧" in page.text  # the calendar's reasons too
    assert not_from_the_catalogue(page.text, data) == []
    refused = client.post(reverse("inspections:request_date", args=[number]), {"day": "x"})
    assert "⟦That day cannot be requested" in refused.text
    client.post(
        reverse("inspections:request_date", args=[number]),
        {"day": allowed_days()[-1].isoformat(), "time_preference": "am"},
    )
    for url in ("inspections:request_contact", "inspections:request_notes"):
        page = client.get(reverse(url, args=[number]))
        assert not_from_the_catalogue(page.text, data) == []
    changing = client.get(reverse("inspections:request_contact", args=[number]) + "?change=1")
    assert not_from_the_catalogue(changing.text, data) == []
    client.post(reverse("inspections:request_contact", args=[number]))
    page = client.get(reverse("inspections:request_notes", args=[number]))
    done = client.post(
        reverse("inspections:request_notes", args=[number]),
        {"notes": "Gate 4", "token": page.context["token"]},
        follow=True,
    )
    assert "⟦Inspection requested." in done.text
    assert not_from_the_catalogue(done.text, records(permit, name)) == []

    permit_page = client.get(reverse("permits:detail", args=[number])).text
    start = permit_page.rindex("<section", 0, permit_page.index('"inspections-heading"'))
    section = permit_page[start:]
    section = "<main>" + section[: section.index("</section>")] + "</main>"
    assert not_from_the_catalogue(section, records(permit)) == []


def test_an_inspectors_stops_and_the_calendar_page_come_from_the_catalogue(
    client, permit, contractor, pseudo_french
):
    ivy = make_inspector("ivy")
    footing = permit.permit_type.inspection_types.get(code="101")
    stop = InspectionFactory(
        permit=permit,
        inspection_type=footing,
        scheduled_for=timezone.localdate(),
        inspector=ivy,
        contact_name="Site Boss",
        contact_phone="(217) 555-0142",
    )
    data = records(permit, "Site Boss", "(217) 555-0142")
    page = client.get(reverse("inspections:calendar"))
    assert not_from_the_catalogue(page.text, data) == []

    client.force_login(ivy.user)
    page = client.get(reverse("inspections:my_stops"))
    assert not_from_the_catalogue(page.text, data) == []
    done = client.post(
        reverse("inspections:stop", args=[stop.pk]), {"result": "failed"}, follow=True
    )
    assert f"⟦{stop.number}: ⟦Failed⟧ recorded.⟧" in done.text
    assert not_from_the_catalogue(done.text, data) == []  # with the re-inspection's offer


def test_the_days_offered_and_refused_are_written_in_the_readers_language(
    contractor, permit, french
):
    days = allowed_days()
    labels = [label for _, label in InspectionDateForm(days=days).fields["day"].choices]
    weekdays = ("lundi", "mardi", "mercredi", "jeudi", "vendredi")
    assert all(label.split()[0] in weekdays for label in labels)
    saturday = days[-1] + datetime.timedelta(days=5 - days[-1].weekday())
    with pytest.raises(InspectionError) as refused:
        inspection_request_create(
            user=contractor,
            permit=permit,
            inspection_type=permit.permit_type.inspection_types.first(),
            day=saturday,
            contact_name="Pat",
            contact_phone="(217) 555-0100",
        )
    assert "samedi" in str(refused.value) and "Saturday" not in str(refused.value)


def test_a_result_recorded_in_french_is_kept_in_the_history_as_written(permit, pseudo_french):
    ivy = make_inspector("ivy")
    stop = InspectionFactory(permit=permit, inspector=ivy, scheduled_for=timezone.localdate())
    inspection_record_result(inspection=stop, result="passed", by=ivy.user)
    assert moves(stop)[-1].note == "Result: Passed"
    stop.refresh_from_db()
    assert stop.get_result_display() == "⟦Passed⟧"  # as the page shows it
