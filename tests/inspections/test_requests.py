""" "Request an Inspection": the wizard, the rules and their messages, assignment at once,
and nothing lost or doubled."""

import datetime
import re
import threading
import uuid

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from inspections.exceptions import InspectionError
from inspections.models import Holiday, Inspection, InspectionArea, InspectionStatus
from inspections.scheduling import allowed_days
from inspections.services import inspection_request_create, inspector_for
from permits.models import PermitStatus
from tests.factories import (
    FeeFactory,
    InspectionTypeFactory,
    LicenseFactory,
    PermitFactory,
    UserFactory,
    contractor_user,
    make_inspector,
    set_status,
)
from tests.threads import hold, run_at_once

pytestmark = pytest.mark.django_db


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


def framing(permit):
    return permit.permit_type.inspection_types.get(code="105")


def walk(client, permit, *, type_id, day=None, time="", change_contact=None, notes="", token=None):
    """Go through the four steps as a browser would; returns the Finish response."""
    number = permit.number
    client.post(reverse("inspections:request", args=[number]), {"inspection_type": type_id})
    day = day or allowed_days()[0]
    client.post(
        reverse("inspections:request_date", args=[number]),
        {"day": day.isoformat(), "time_preference": time},
    )
    if change_contact:
        client.post(
            reverse("inspections:request_contact", args=[number]), {"change": "1", **change_contact}
        )
    else:
        client.post(reverse("inspections:request_contact", args=[number]))
    page = client.get(reverse("inspections:request_notes", args=[number]))
    token = token or page.context["token"]
    return client.post(
        reverse("inspections:request_notes", args=[number]),
        {"notes": notes, "token": token},
        follow=True,
    )


def test_the_whole_request_with_changed_contact_and_notes(
    client, permit, contractor, django_capture_on_commit_callbacks
):
    area = InspectionArea.objects.create(name="West", zip_codes="62704, 62711")
    inspector = make_inspector("ivy", area)
    with django_capture_on_commit_callbacks(execute=True):
        response = walk(
            client,
            permit,
            type_id=framing(permit).pk,
            time="am",
            change_contact={"contact_name": "Site Boss", "contact_phone": "217-555-0999"},
            notes="Gate code 1234",
        )
    inspection = Inspection.objects.get()
    assert inspection.status == InspectionStatus.SCHEDULED
    assert inspection.scheduled_for == allowed_days()[0]
    assert inspection.time_preference == "am"
    assert (inspection.contact_name, inspection.contact_phone) == ("Site Boss", "217-555-0999")
    assert inspection.request_notes == "Gate code 1234"
    assert inspection.inspector == inspector and inspection.area == area
    assert f"Your request number is {inspection.number}" in response.text
    assert "Gate code 1234" not in response.text  # the notes are never shown on the portal again
    (message,) = [m for m in mail.outbox if m.to == [contractor.email]]
    assert inspection.number in message.subject
    permit_page = client.get(reverse("permits:detail", args=[permit.number]))
    assert inspection.number in permit_page.text and "Gate code 1234" not in permit_page.text


def test_step_one_offers_only_this_permits_types_and_marks_passed_ones(client, permit, contractor):
    other = InspectionTypeFactory(permit_type__code="ELE", code="301", name="Rough-In Electrical")
    Inspection.objects.create(
        permit=permit,
        inspection_type=permit.permit_type.inspection_types.get(code="101"),
        status="completed",
        result="passed",
        completed_on="2025-01-05",
    )
    page = client.get(reverse("inspections:request", args=[permit.number]))
    assert "101 Footing (passed 01/05/2025)" in page.text
    assert "105 Framing" in page.text and other.name not in page.text
    response = client.post(
        reverse("inspections:request", args=[permit.number]), {"inspection_type": other.pk}
    )
    assert response.status_code == 200 and "inspection_type" in response.context["form"].errors


def test_the_contractors_own_contact_is_the_default(client, permit, contractor):
    walk(client, permit, type_id=framing(permit).pk)
    inspection = Inspection.objects.get()
    assert inspection.contact_name == contractor.get_full_name()
    assert inspection.contact_phone == "(217) 555-0100"


def test_the_date_defaults_to_the_next_available_day_from_a_calendar(client, permit, contractor):
    client.post(
        reverse("inspections:request", args=[permit.number]),
        {"inspection_type": framing(permit).pk},
    )
    page = client.get(reverse("inspections:request_date", args=[permit.number]))
    first = allowed_days()[0]
    assert page.context["form"]["day"].value() == first.isoformat()
    assert f'value="{first.isoformat()}" id="day-{first:%Y%m%d}" checked' in page.text
    assert "AM/PM preference" in page.text


def test_the_date_step_says_why_greyed_out_days_are_not_available(client, permit, contractor):
    """(From the newcomer walk: the calendar greyed out days without saying why.) A note lists
    the reasons, the holidays by name, and each greyed-out day reads out its own."""
    holiday = allowed_days()[1]
    Holiday.objects.create(date=holiday, name="Founders Day")
    client.post(
        reverse("inspections:request", args=[permit.number]),
        {"inspection_type": framing(permit).pk},
    )
    page = client.get(reverse("inspections:request_date", args=[permit.number])).text
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "Why the greyed-out days are not available:" in text
    assert (
        f"Holiday : the city does no inspections on its holidays: Founders Day ({holiday:%a %m/%d})."
        in text
    )
    closed = re.findall(r'<td class="[^"]*day-closed">(.*?)</td>', page, re.S)
    assert closed
    for cell in closed:
        said = re.search(r'<span class="visually-hidden">([^<]+)</span>', cell).group(1)
        assert re.fullmatch(r"\w+day \w+ \d+: not available, .+", said), said
    holiday_cell = f"{holiday:%A %B} {holiday.day}: not available, city holiday (Founders Day)"
    assert holiday_cell in page
    assert f'id="day-{holiday:%Y%m%d}"' not in page  # nothing to choose


@pytest.mark.parametrize(
    "status",
    [
        PermitStatus.SUBMITTED,
        PermitStatus.IN_REVIEW,
        PermitStatus.EXPIRED,
        PermitStatus.FINALED,
        PermitStatus.CANCELLED,
    ],
)
def test_only_an_issued_permit_can_be_inspected(client, permit, contractor, status):
    set_status(permit, status)
    page = client.get(reverse("inspections:request", args=[permit.number]))
    assert (
        f"is {permit.get_status_display()}: inspections can be requested only on an issued permit"
        in page.text
    )
    with pytest.raises(InspectionError, match="only on an issued permit"):
        inspection_request_create(
            user=contractor,
            permit=permit,
            inspection_type=framing(permit),
            day=allowed_days()[0],
            contact_name="x",
            contact_phone="1234567",
        )


def test_the_user_needs_the_inspections_role_or_an_approved_license(client, license, permit):
    payer = UserFactory()
    from tests.factories import MembershipFactory, verify_email

    verify_email(payer)
    MembershipFactory(user=payer, contractor=license.holder, can_pay=True)
    client.force_login(payer)
    page = client.get(reverse("inspections:request", args=[permit.number]))
    assert "needs the Inspections role" in page.text
    # Registered for the license (no role): allowed.
    client.force_login(contractor_user(license))
    assert "Continue" in client.get(reverse("inspections:request", args=[permit.number])).text


def test_someone_elses_permit_is_a_404(client, permit):
    client.force_login(contractor_user(LicenseFactory(), can_inspect=True))
    assert client.get(reverse("inspections:request", args=[permit.number])).status_code == 404


def test_no_second_open_request_for_the_same_type(client, permit, contractor):
    walk(client, permit, type_id=framing(permit).pk)
    page = client.get(reverse("inspections:request", args=[permit.number]))
    assert "Already requested" in page.text
    assert "105 Framing" not in page.context["form"].fields["inspection_type"].choices.__repr__()
    with pytest.raises(InspectionError, match="already requested"):
        inspection_request_create(
            user=contractor,
            permit=permit,
            inspection_type=framing(permit),
            day=allowed_days()[0],
            contact_name="x",
            contact_phone="1234567",
        )
    assert Inspection.objects.count() == 1


def test_the_database_refuses_a_second_open_request():
    from django.db import IntegrityError

    from tests.factories import InspectionFactory

    first = InspectionFactory()
    with pytest.raises(IntegrityError):
        InspectionFactory(permit=first.permit, inspection_type=first.inspection_type)


def test_fees_must_be_paid_first_when_the_city_says_so(client, permit, contractor, settings):
    FeeFactory(permit=permit, amount="75.00")
    assert "Continue" in client.get(reverse("inspections:request", args=[permit.number])).text
    settings.INSPECTION_REQUIRE_FEES_PAID = True
    page = client.get(reverse("inspections:request", args=[permit.number]))
    assert "$75.00 in fees due: pay them before requesting" in page.text


def test_a_day_outside_the_allowed_days_is_refused(client, permit, contractor):
    days = allowed_days()
    saturday = next(
        days[0] + datetime.timedelta(days=n)
        for n in range(7)
        if (days[0] + datetime.timedelta(days=n)).weekday() == 5
    )
    client.post(
        reverse("inspections:request", args=[permit.number]),
        {"inspection_type": framing(permit).pk},
    )
    for bad in (saturday, days[-1] + datetime.timedelta(days=7), "not-a-date"):
        response = client.post(
            reverse("inspections:request_date", args=[permit.number]), {"day": str(bad)}
        )
        assert response.status_code == 200
        assert "cannot be requested" in response.text
    with pytest.raises(InspectionError, match="cannot be requested"):
        inspection_request_create(
            user=contractor,
            permit=permit,
            inspection_type=framing(permit),
            day=saturday,
            contact_name="x",
            contact_phone="1234567",
        )


def test_a_double_clicked_finish_makes_one_request(client, permit, contractor):
    client.post(
        reverse("inspections:request", args=[permit.number]),
        {"inspection_type": framing(permit).pk},
    )
    client.post(
        reverse("inspections:request_date", args=[permit.number]),
        {"day": allowed_days()[0].isoformat()},
    )
    client.post(reverse("inspections:request_contact", args=[permit.number]))
    token = client.get(reverse("inspections:request_notes", args=[permit.number])).context["token"]
    url = reverse("inspections:request_notes", args=[permit.number])
    first = client.post(url, {"token": token})
    second = client.post(url, {"token": token})
    assert Inspection.objects.count() == 1
    assert (
        first.url == second.url == reverse("inspections:detail", args=[Inspection.objects.get().pk])
    )


def test_the_same_token_twice_returns_the_first_request(permit, contractor):
    token = uuid.uuid4()
    kwargs = {
        "user": contractor,
        "permit": permit,
        "inspection_type": framing(permit),
        "day": allowed_days()[0],
        "contact_name": "x",
        "contact_phone": "1234567",
        "token": token,
    }
    first = inspection_request_create(**kwargs)
    assert inspection_request_create(**kwargs) == first
    assert Inspection.objects.count() == 1


def test_a_bad_contact_phone_gets_a_message(client, permit, contractor):
    client.post(
        reverse("inspections:request", args=[permit.number]),
        {"inspection_type": framing(permit).pk},
    )
    client.post(
        reverse("inspections:request_date", args=[permit.number]),
        {"day": allowed_days()[0].isoformat()},
    )
    response = client.post(
        reverse("inspections:request_contact", args=[permit.number]),
        {"change": "1", "contact_name": "x", "contact_phone": "call me"},
    )
    assert "Enter a phone number" in response.text


def test_skipping_steps_starts_over(client, permit, contractor):
    response = client.get(reverse("inspections:request_notes", args=[permit.number]))
    assert response.url == reverse("inspections:request", args=[permit.number])


# Assignment -----------------------------------------------------------------------------------


def test_the_least_loaded_inspector_of_the_area_gets_it(permit):
    from tests.factories import InspectionFactory

    west = InspectionArea.objects.create(name="West", zip_codes="62704")
    east = InspectionArea.objects.create(name="East", zip_codes="62701")
    busy = make_inspector("busy", west)
    free = make_inspector("free", west)
    make_inspector("eastie", east)
    day = allowed_days()[0]
    InspectionFactory(inspector=busy, scheduled_for=day)
    assert inspector_for(area=west, day=day) == free
    InspectionFactory(inspector=free, scheduled_for=day)
    assert inspector_for(area=west, day=day) == busy  # tie: by user name


def test_an_area_without_inspectors_falls_back_to_everyone(permit):
    north = InspectionArea.objects.create(name="North", zip_codes="62702")
    other = make_inspector("other", None)
    assert inspector_for(area=north, day=allowed_days()[0]) == other


def test_inspectors_outside_the_group_or_inactive_are_not_assigned(permit):
    west = InspectionArea.objects.create(name="West", zip_codes="62704")
    gone = make_inspector("gone", west)
    gone.user.is_active = False
    gone.user.save()
    outsider = make_inspector("outsider", west)
    outsider.user.groups.clear()
    assert inspector_for(area=west, day=allowed_days()[0]) is None


# Concurrency ------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_for_the_same_type_make_exactly_one(license):
    permit = PermitFactory(status=PermitStatus.ISSUED, licenses=[license])
    kind = InspectionTypeFactory(permit_type=permit.permit_type, code="105", name="Framing")
    user = contractor_user(license, can_inspect=True)
    day = allowed_days()[0]
    barrier = threading.Barrier(2)
    outcomes = []

    def request_one():
        try:
            barrier.wait()
            fresh = type(user).objects.get(pk=user.pk)
            inspection_request_create(
                user=fresh,
                permit=permit,
                inspection_type=kind,
                day=day,
                contact_name="x",
                contact_phone="1234567",
                token=uuid.uuid4(),
            )
            outcomes.append("made")
        except InspectionError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=request_one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["made", "refused"]
    assert Inspection.objects.filter(permit=permit, inspection_type=kind).count() == 1


@pytest.mark.postgres
def test_the_inspections_license_rows_follow_inspections_and_licenses():
    """On PostgreSQL the dashboard reads a contractor's inspections from InspectionLicense;
    triggers keep it right whatever writes inspections or a permit's licenses."""
    from inspections.models import InspectionLicense
    from permits.models import PermitLicense
    from tests.factories import InspectionFactory

    first, second = LicenseFactory(), LicenseFactory()
    permit = PermitFactory(status=PermitStatus.ISSUED, licenses=[first])
    inspection = InspectionFactory(permit=permit, scheduled_for=datetime.date(2030, 1, 7))
    rows = InspectionLicense.objects.filter(inspection=inspection)
    assert list(rows.values_list("license_id", "status", "scheduled_for")) == [
        (first.pk, "scheduled", datetime.date(2030, 1, 7))
    ]
    Inspection.objects.filter(pk=inspection.pk).update(
        status="completed", completed_on=datetime.date(2030, 1, 7)
    )
    assert list(rows.values_list("status", "completed_on")) == [
        ("completed", datetime.date(2030, 1, 7))
    ]
    permit.licenses.add(second)
    assert set(rows.values_list("license_id", flat=True)) == {first.pk, second.pk}
    PermitLicense.objects.filter(permit=permit, license=first).delete()
    assert set(rows.values_list("license_id", flat=True)) == {second.pk}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_clicked_finish_answers_both_clicks_with_the_one_request(license, monkeypatch):
    """The second click waits for the permit while the first saves: it then finds the first
    click's request rather than refusing a second request of the same type."""

    from inspections import services

    permit = PermitFactory(status=PermitStatus.ISSUED, licenses=[license])
    kind = InspectionTypeFactory(permit_type=permit.permit_type, code="106", name="Insulation")
    user = contractor_user(license, can_inspect=True)
    token = uuid.uuid4()
    # The first click holds the permit while the second arrives.
    hold(monkeypatch, services, "open_request_type_ids")

    def click(_):
        return inspection_request_create(
            user=type(user).objects.get(pk=user.pk),
            permit=permit,
            inspection_type=kind,
            day=allowed_days()[0],
            contact_name="x",
            contact_phone="1234567",
            token=token,
        ).pk

    outcomes = run_at_once(2, click)
    only = Inspection.objects.get(permit=permit, inspection_type=kind)
    assert outcomes == [only.pk, only.pk]


def test_a_finish_token_only_finds_its_own_users_request(permit, license):
    kind = InspectionTypeFactory(permit_type=permit.permit_type, code="107", name="Final")
    owner = contractor_user(license, can_inspect=True)
    other = contractor_user(license, can_inspect=True)
    token = uuid.uuid4()
    day = allowed_days()[0]
    made = inspection_request_create(
        user=owner,
        permit=permit,
        inspection_type=kind,
        day=day,
        contact_name="x",
        contact_phone="1234567",
        token=token,
    )
    with pytest.raises(InspectionError, match="already requested"):
        inspection_request_create(
            user=other,
            permit=permit,
            inspection_type=kind,
            day=day,
            contact_name="y",
            contact_phone="7654321",
            token=token,
        )
    assert Inspection.objects.get(request_token=token) == made


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_go_to_two_free_inspectors(license, monkeypatch):
    """Each request counts the inspectors' loads only once the other has committed: two at
    once in an area with two free inspectors give one each, not both to the same one."""
    from inspections import services

    west = InspectionArea.objects.create(name="West", zip_codes="62704")
    ann, bob = make_inspector("ann", west), make_inspector("bob", west)
    permits = [
        PermitFactory(status=PermitStatus.ISSUED, licenses=[license], zip_code="62704")
        for _ in range(2)
    ]
    kinds = [
        InspectionTypeFactory(permit_type=permit.permit_type, code="108", name="Final")
        for permit in permits
    ]
    user = contractor_user(license, can_inspect=True)
    # Each request holds its transaction open a moment after saving.
    hold(monkeypatch, services, "event_record")

    def request(index):
        return inspection_request_create(
            user=type(user).objects.get(pk=user.pk),
            permit=permits[index],
            inspection_type=kinds[index],
            day=allowed_days()[0],
            contact_name="x",
            contact_phone="1234567",
            token=uuid.uuid4(),
        ).inspector_id

    assert sorted(run_at_once(2, request)) == sorted([ann.pk, bob.pk])


def test_the_request_service_refuses_whom_the_policy_refuses(license, permit):
    from permits.models import PermitContact
    from tests.factories import MembershipFactory, verify_email

    payer = UserFactory()
    verify_email(payer)
    MembershipFactory(user=payer, contractor=license.holder, can_pay=True)
    contact = UserFactory()
    verify_email(contact)
    PermitContact.objects.create(permit=permit, user=contact, contact_type="owner")
    for user in (payer, contact):
        with pytest.raises(InspectionError, match="needs the Inspections role"):
            inspection_request_create(
                user=user,
                permit=permit,
                inspection_type=framing(permit),
                day=allowed_days()[0],
                contact_name="x",
                contact_phone="1234567",
            )
    assert not Inspection.objects.exists()


def test_an_inspection_request_on_a_permit_not_issued_says_so(license, permit):
    set_status(permit, PermitStatus.EXPIRED)
    with pytest.raises(InspectionError, match="Expired: inspections can be requested only"):
        inspection_request_create(
            user=contractor_user(license, can_inspect=True),
            permit=permit,
            inspection_type=framing(permit),
            day=allowed_days()[0],
            contact_name="x",
            contact_phone="1234567",
        )
