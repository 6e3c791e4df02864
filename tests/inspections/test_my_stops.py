"""Issue 23, requirement 5: an inspector's "My stops" (today, then upcoming, in route order),
the result recorded from it (never before the inspection's day), the re-inspection of a failed
visit with its fee, and admin's inspection list opening on the open ones."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from inspections.exceptions import InspectionError
from inspections.models import Inspection, InspectionStatus
from inspections.scheduling import allowed_days
from inspections.services import inspection_record_result, inspection_reinspection_request
from permits.models import Fee, FeeStatus, PermitStatus
from tests.factories import (
    InspectionFactory,
    InspectionTypeFactory,
    LicenseFactory,
    PermitFactory,
    UserFactory,
    contractor_user,
    make_inspector,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def ivy():
    return make_inspector("ivy")


@pytest.fixture
def contractor():
    return contractor_user(LicenseFactory(), can_inspect=True)


def stop(inspector, *, day=None, window="", street="Main St", number="1", zip_code="62701", **kw):
    permit = PermitFactory(
        status=PermitStatus.ISSUED, street_number=number, street_name=street, zip_code=zip_code
    )
    return InspectionFactory(
        permit=permit,
        inspector=inspector,
        scheduled_for=day or TODAY(),
        time_preference=window,
        contact_name="Site Boss",
        contact_phone="(217) 555-0142",
        **kw,
    )


# The service ---------------------------------------------------------------------------------


def test_a_result_is_refused_before_the_inspections_day(ivy):
    tomorrow = TODAY() + datetime.timedelta(days=1)
    ahead = stop(ivy, day=tomorrow)
    with pytest.raises(
        InspectionError, match=rf"not due yet: it is scheduled for .*{tomorrow:%m/%d/%Y}"
    ):
        inspection_record_result(inspection=ahead, result="passed", by=ivy.user)
    ahead.refresh_from_db()
    assert ahead.status == InspectionStatus.SCHEDULED and not ahead.result
    # On its day it is recorded; and a visit ahead can still be cancelled as its result.
    due = stop(ivy)
    inspection_record_result(inspection=due, result="passed", by=ivy.user)
    assert Inspection.objects.get(pk=due.pk).status == InspectionStatus.COMPLETED
    inspection_record_result(inspection=ahead, result="cancelled", by=ivy.user)
    assert Inspection.objects.get(pk=ahead.pk).status == InspectionStatus.CANCELLED


def test_only_its_inspector_or_staff_who_may_change_inspections_record_a_result(ivy):
    visit = stop(ivy)
    other = make_inspector("noel")
    with pytest.raises(InspectionError, match="recorded by its inspector or the permit office"):
        inspection_record_result(inspection=visit, result="passed", by=other.user)
    other.user.user_permissions.add(Permission.objects.get(codename="change_inspection"))
    other.user = type(other.user).objects.get(pk=other.user.pk)
    inspection_record_result(inspection=visit, result="passed", by=other.user)
    assert Inspection.objects.get(pk=visit.pk).resulted_by == other.user


# My stops ------------------------------------------------------------------------------------


def test_my_stops_lists_today_then_upcoming_in_route_order(client, ivy):
    later = allowed_days()[-1]
    pm = stop(ivy, window="pm", street="Alpha St", zip_code="62701")
    am_far = stop(ivy, window="am", street="Zeta St", zip_code="62704")
    am_near = stop(ivy, window="am", street="Beta St", zip_code="62701", number="12")
    any_time = stop(ivy, street="Gamma St", zip_code="62702")
    upcoming = stop(ivy, day=later, street="Upcoming Rd")
    someone_elses = stop(make_inspector("noel"), street="Elsewhere Ave")
    client.force_login(ivy.user)
    page = client.get(reverse("inspections:my_stops"))
    text = page.text
    assert page.status_code == 200
    order = [text.index(s.permit.address) for s in (am_near, am_far, any_time, pm, upcoming)]
    assert order == sorted(order)
    assert text.index("Today,") < text.index("Upcoming") < text.index("Upcoming Rd")
    assert f"{later:%A %m/%d/%Y}" in text
    assert someone_elses.permit.address not in text
    # Each card: permit number (a link to the permit), address, type, window, phone.
    assert reverse("permits:detail", args=[pm.permit.number]) in text
    assert str(pm.inspection_type) in text and "PM" in text and "Any time" in text
    assert 'href="tel:(217) 555-0142"' in text


def test_my_stops_is_for_inspectors_and_a_stop_for_its_own_inspector(client, ivy, contractor):
    visit = stop(ivy)
    client.force_login(contractor)
    assert client.get(reverse("inspections:my_stops")).status_code == 404
    assert client.get(reverse("inspections:stop", args=[visit.pk])).status_code == 404
    client.force_login(make_inspector("noel").user)
    assert client.get(reverse("inspections:stop", args=[visit.pk])).status_code == 404
    # In the Inspectors group, not set up as an inspector: no stops, not the unassigned ones.
    unset = make_inspector("new")
    unset.delete()
    unset.user.user_permissions.add(Permission.objects.get(codename="change_inspection"))
    unassigned = stop(None)
    client.force_login(unset.user)
    assert "not set up as an inspector yet" in client.get(reverse("inspections:my_stops")).text
    assert client.get(reverse("inspections:stop", args=[unassigned.pk])).status_code == 404
    response = client.post(reverse("inspections:stop", args=[visit.pk]), {"result": "passed"})
    assert response.status_code == 404
    assert Inspection.objects.get(pk=visit.pk).status == InspectionStatus.SCHEDULED


def test_the_inspector_records_a_result_from_my_stops(client, ivy, contractor):
    visit = stop(ivy, requested_by=contractor, request_notes="Gate code 4411")
    client.force_login(ivy.user)
    page = client.get(reverse("inspections:stop", args=[visit.pk]))
    assert "Gate code 4411" in page.text and "Record the result" in page.text
    response = client.post(
        reverse("inspections:stop", args=[visit.pk]),
        {"result": "passed", "result_comments": "Looks good.", "inspector_notes": "Dog."},
        follow=True,
    )
    assert f"{visit.number}: Passed recorded." in response.text
    visit.refresh_from_db()
    assert (visit.status, visit.result, visit.resulted_by) == ("completed", "passed", ivy.user)
    assert (visit.result_comments, visit.inspector_notes) == ("Looks good.", "Dog.")
    # Off today's list, onto today's results.
    stops = client.get(reverse("inspections:my_stops")).text
    assert "No stops left today." in stops and "Resulted today (1)" in stops


def test_a_stop_not_yet_due_says_so_and_the_result_is_refused_keeping_what_was_typed(client, ivy):
    ahead = stop(ivy, day=allowed_days()[-1])
    client.force_login(ivy.user)
    page = client.get(reverse("inspections:stop", args=[ahead.pk]))
    assert "Not due yet: this inspection is scheduled for" in page.text
    response = client.post(
        reverse("inspections:stop", args=[ahead.pk]),
        {"result": "failed", "result_comments": "Typed on site."},
    )
    assert response.status_code == 400
    assert "is not due yet" in response.text and "Typed on site." in response.text
    assert Inspection.objects.get(pk=ahead.pk).status == InspectionStatus.SCHEDULED


def test_a_bad_result_is_a_message_not_an_error(client, ivy):
    visit = stop(ivy)
    client.force_login(ivy.user)
    response = client.post(reverse("inspections:stop", args=[visit.pk]), {"result": "great"})
    assert response.status_code == 400 and "Select a valid choice" in response.text


# The re-inspection -----------------------------------------------------------------------------


def failed(client, ivy, contractor, fee=None):
    kind = InspectionTypeFactory(code="102", name="Framing", reinspection_fee=fee)
    visit = stop(ivy, inspection_type=kind, requested_by=contractor, window="am")
    visit.permit.permit_type = kind.permit_type
    visit.permit.save()
    client.force_login(ivy.user)
    client.post(
        reverse("inspections:stop", args=[visit.pk]),
        {"result": "failed", "result_comments": "Missing hold-downs."},
    )
    return visit


def test_a_failed_result_offers_the_reinspection_with_its_fee_and_requests_it(
    client, ivy, contractor, mailoutbox, django_capture_on_commit_callbacks
):
    visit = failed(client, ivy, contractor, fee=Decimal("75.00"))
    page = client.get(reverse("inspections:stop", args=[visit.pk]))
    assert "Request re-inspection ($75.00)" in page.text
    assert "re-inspection fee of <strong>$75.00</strong>" in page.text
    day = allowed_days()[1]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("inspections:reinspect", args=[visit.pk]), {"day": day.isoformat()}, follow=True
        )
    again = Inspection.objects.get(reinspection_of=visit)
    assert f"Re-inspection {again.number} requested for {day:%A %m/%d/%Y}." in response.text
    assert (again.inspection_type, again.scheduled_for, again.time_preference) == (
        visit.inspection_type,
        day,
        "am",
    )
    assert again.status == InspectionStatus.SCHEDULED and again.requested_by == contractor
    assert again.contact_phone == visit.contact_phone and again.inspector is not None
    fee = Fee.objects.get(permit=visit.permit, description="Re-inspection Fee")
    assert (fee.amount, fee.status) == (Decimal("75.00"), FeeStatus.DUE)
    # The contractor is told of the new visit (as of a request of their own).
    assert contractor.email in [address for m in mailoutbox for address in m.to]
    # Asked again (a second tap): the same request, no second fee.
    client.post(reverse("inspections:reinspect", args=[visit.pk]), {"day": day.isoformat()})
    assert Inspection.objects.filter(reinspection_of=visit).count() == 1
    assert Fee.objects.filter(description="Re-inspection Fee").count() == 1
    page = client.get(reverse("inspections:stop", args=[visit.pk]))
    assert f"Re-inspection {again.number} is requested" in page.text
    assert "Request re-inspection" not in page.text
    # Admin names the visit it follows.
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    change = client.get(reverse("admin:inspections_inspection_change", args=[again.pk]))
    assert "Re-inspection of" in change.text and visit.number in change.text


def test_without_a_fee_in_the_schedule_the_reinspection_charges_nothing(client, ivy, contractor):
    visit = failed(client, ivy, contractor)
    page = client.get(reverse("inspections:stop", args=[visit.pk]))
    assert "no re-inspection fee" in page.text and "Request re-inspection</button>" in page.text
    client.post(
        reverse("inspections:reinspect", args=[visit.pk]), {"day": allowed_days()[0].isoformat()}
    )
    assert Inspection.objects.filter(reinspection_of=visit).exists()
    assert not Fee.objects.filter(permit=visit.permit).exists()


def test_a_passed_inspection_is_not_reinspected(ivy):
    visit = stop(ivy)
    inspection_record_result(inspection=visit, result="passed", by=ivy.user)
    with pytest.raises(InspectionError, match="did not fail"):
        inspection_reinspection_request(inspection=visit, by=ivy.user, day=allowed_days()[0])
    assert not Inspection.objects.filter(reinspection_of=visit).exists()


def test_a_bad_reinspection_day_is_a_message(client, ivy, contractor):
    visit = failed(client, ivy, contractor)
    response = client.post(reverse("inspections:reinspect", args=[visit.pk]), {"day": "2001-01-01"})
    assert response.status_code == 400 and "That day cannot be requested" in response.text
    assert not Inspection.objects.filter(reinspection_of=visit).exists()


# Admin -------------------------------------------------------------------------------------------


def test_admins_list_opens_on_the_open_inspections_soonest_first(client, ivy):
    staff = UserFactory(is_staff=True, is_superuser=True)
    done = stop(ivy, street="Done St")
    inspection_record_result(inspection=done, result="passed", by=staff)
    later = stop(ivy, day=allowed_days()[-1], street="Later St")
    overdue = stop(ivy, day=TODAY() - datetime.timedelta(days=3), street="Overdue St")
    client.force_login(staff)
    url = reverse("admin:inspections_inspection_changelist")
    text = client.get(url).text
    assert "Done St" not in text
    assert text.index(overdue.permit.address) < text.index(later.permit.address)
    for gone in ("column-area", "column-time_preference", "column-result"):
        assert gone not in text
    everything = client.get(url, {"show": "all"}).text
    assert all(s.permit.address in everything for s in (done, later, overdue))
    # A search looks through all of them.
    assert done.number in client.get(url, {"q": done.number}).text


def test_admin_refuses_a_result_before_the_inspections_day(client, ivy):
    staff = UserFactory(is_staff=True, is_superuser=True)
    ahead = stop(ivy, day=allowed_days()[-1])
    client.force_login(staff)
    url = reverse("admin:inspections_inspection_change", args=[ahead.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: ("" if value is None else getattr(value, "pk", value))
        for name, value in form.initial.items()
        if name in form.fields
    }
    data["result"] = "passed"
    response = client.post(url, data, follow=True)
    assert "is not due yet" in response.text
    assert Inspection.objects.get(pk=ahead.pk).status == InspectionStatus.SCHEDULED


def test_a_reinspection_fee_is_never_negative():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        InspectionTypeFactory(reinspection_fee=Decimal("-1.00"))
