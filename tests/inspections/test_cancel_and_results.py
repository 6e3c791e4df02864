import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from inspections.exceptions import InspectionError
from inspections.models import CalendarFeed, Inspection, InspectionStatus
from inspections.scheduling import allowed_days, cancel_deadline
from inspections.services import inspection_cancel
from permits.models import PermitStatus
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


@pytest.fixture
def license():
    return LicenseFactory()


@pytest.fixture
def contractor(client, license):
    user = contractor_user(license, can_inspect=True)
    client.force_login(user)
    return user


@pytest.fixture
def inspection(license, contractor):
    permit = PermitFactory(status=PermitStatus.ISSUED, licenses=[license])
    return InspectionFactory(
        permit=permit,
        scheduled_for=allowed_days()[-1],
        requested_by=contractor,
        request_notes="Dog in the yard",
        contact_name="Site Boss",
    )


def test_cancel_in_time(client, inspection, contractor):
    response = client.post(reverse("inspections:cancel", args=[inspection.pk]), follow=True)
    assert f"Inspection {inspection.number} was cancelled" in response.text
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.CANCELLED
    assert inspection.cancelled_by == contractor and inspection.cancelled_at


def test_after_the_cutoff_the_page_says_to_call_the_office(
    client, inspection, contractor, settings
):
    late = cancel_deadline(inspection.scheduled_for) + datetime.timedelta(minutes=1)
    with pytest.raises(InspectionError, match=r"too late to cancel online.*\(217\) 555-0100"):
        inspection_cancel(inspection=inspection, user=contractor, now=late)
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.SCHEDULED
    # On the pages: the deadline shown is the day before's cut-off.
    soon = InspectionFactory(
        permit=inspection.permit,
        inspection_type=InspectionTypeFactory(
            permit_type=inspection.permit.permit_type, code="199", name="Final"
        ),
        scheduled_for=timezone.localdate(),
    )
    page = client.get(reverse("inspections:detail", args=[soon.pk]))
    assert "too late to cancel online" in page.text and settings.CITY_OFFICE_PHONE in page.text
    detail = client.get(reverse("permits:detail", args=[inspection.permit.number]))
    assert (
        f"Cancel {inspection.number}" in detail.text
        and f"To cancel, call {settings.CITY_OFFICE_PHONE}" in detail.text
    )


def test_view_shows_the_request_but_never_its_notes(client, inspection):
    page = client.get(reverse("inspections:detail", args=[inspection.pk]))
    assert inspection.number in page.text and "Site Boss" in page.text
    assert "Dog in the yard" not in page.text


def test_someone_elses_inspection_is_a_404(client, inspection):
    client.force_login(contractor_user(LicenseFactory(), can_inspect=True))
    assert client.get(reverse("inspections:detail", args=[inspection.pk])).status_code == 404
    assert client.post(reverse("inspections:cancel", args=[inspection.pk])).status_code == 404
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.SCHEDULED


def test_cancelling_needs_the_inspections_role(client, license, inspection):
    viewer = contractor_user(LicenseFactory())
    from tests.factories import MembershipFactory

    MembershipFactory(user=viewer, contractor=license.holder, can_pay=True)
    client.force_login(viewer)
    response = client.post(reverse("inspections:cancel", args=[inspection.pk]), follow=True)
    assert "needs the Inspections role" in response.text


def test_dashboard_lists_upcoming_inspections_with_view_and_cancel(client, inspection):
    page = client.get(reverse("dashboard"))
    assert f"View {inspection.number}" in page.text and f"Cancel {inspection.number}" in page.text
    assert "Request an inspection for" in page.text


# Results in admin -------------------------------------------------------------------------------


@pytest.fixture
def staff(client):
    user = UserFactory(username="chief", is_staff=True, is_superuser=True)
    return user


def record(client, staff, inspection, **data):
    """Record in admin, on the inspection's day (a result is refused before it)."""
    Inspection.objects.filter(pk=inspection.pk).update(scheduled_for=timezone.localdate())
    client.force_login(staff)
    url = reverse("admin:inspections_inspection_change", args=[inspection.pk])
    page = client.get(url)
    form = page.context["adminform"].form
    post = {
        name: ("" if value is None else value)
        for name, value in form.initial.items()
        if name in form.fields
    }
    post = {k: (v.pk if hasattr(v, "pk") else v) for k, v in post.items()}
    post.update(data)
    return client.post(url, post, follow=True)


def test_staff_record_a_result_and_the_contractor_is_emailed(
    client, staff, inspection, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = record(
            client,
            staff,
            inspection,
            result="failed",
            result_comments="Missing hold-downs.",
            inspector_notes="Owner argued.",
        )
    requester = inspection.requested_by
    assert f"({requester.email}) is emailed the result." in response.text
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.COMPLETED and inspection.result == "failed"
    assert inspection.resulted_by == staff and inspection.completed_on == timezone.localdate()
    message = mail.outbox[-1]
    assert "Failed" in message.subject and "Missing hold-downs." in message.body
    assert "Owner argued." not in message.body
    assert "Request it again" in message.body
    assert reverse("inspections:request", args=[inspection.permit.number]) in message.body


def test_a_result_on_an_inspection_not_requested_on_the_portal_says_nobody_is_told(
    client, staff, inspection, django_capture_on_commit_callbacks
):
    """Issue 13, requirement 2: the admin says "emailed" only when an email was queued."""
    Inspection.objects.filter(pk=inspection.pk).update(
        requested_by=None, contact_name="Sam Site", contact_phone="217-555-0199"
    )
    inspection.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        response = record(client, staff, inspection, result="passed")
    assert ") is emailed the result" not in response.text
    assert (
        "Nobody is emailed: the inspection was not requested on the portal. "
        "Call Sam Site at 217-555-0199." in response.text
    )
    assert not [m for m in mail.outbox if "Passed" in m.subject]


def test_a_cancelled_result_cancels(client, staff, inspection):
    record(client, staff, inspection, result="cancelled")
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.CANCELLED


def test_a_failed_inspection_can_be_requested_again(client, staff, inspection, contractor):
    record(client, staff, inspection, result="partial", result_comments="Half done.")
    client.force_login(contractor)
    page = client.get(reverse("inspections:request", args=[inspection.permit.number]))
    assert str(inspection.inspection_type) in page.text
    detail = client.get(reverse("inspections:detail", args=[inspection.pk]))
    assert "Request an Inspection again" in detail.text and "Half done." in detail.text


def test_public_comments_are_public_and_internal_notes_are_not(client, staff, inspection):
    record(
        client,
        staff,
        inspection,
        result="passed",
        result_comments="Looks good.",
        inspector_notes="Internal only.",
    )
    client.logout()
    page = client.get(reverse("permits:detail", args=[inspection.permit.number]))
    assert "Looks good." in page.text and "Internal only." not in page.text


def test_staff_reassign_in_admin(client, staff, inspection):
    other = make_inspector("other")
    record(client, staff, inspection, inspector=other.pk)
    inspection.refresh_from_db()
    assert inspection.inspector == other and inspection.status == InspectionStatus.SCHEDULED


def test_the_dashboard_lists_completed_inspections_with_view_details(
    client, staff, inspection, contractor
):
    record(client, staff, inspection, result="passed", result_comments="All good.")
    client.force_login(contractor)
    page = client.get(reverse("dashboard"))
    assert "Completed Inspections" in page.text
    assert f"View details of {inspection.number}" in page.text and "All good." in page.text


def test_a_resulted_inspection_cannot_be_resulted_again(client, staff, inspection):
    record(client, staff, inspection, result="passed")
    page = client.get(reverse("admin:inspections_inspection_change", args=[inspection.pk]))
    assert 'name="result"' not in page.text


# The inspector's day ----------------------------------------------------------------------------


@pytest.fixture
def route(license):
    inspector = make_inspector("ivy")
    day = allowed_days()[0]
    kinds = [InspectionTypeFactory(code=str(100 + n), name=f"Kind {n}") for n in range(3)]
    permits = [
        PermitFactory(
            status=PermitStatus.ISSUED,
            street_number=str(n),
            street_name=f"{name} St",
            zip_code=zip_code,
        )
        for n, (name, zip_code) in enumerate(
            [("Zeta", "62701"), ("Alpha", "62704"), ("Beta", "62701")], start=1
        )
    ]
    stops = [
        InspectionFactory(
            permit=permits[0],
            inspection_type=kinds[0],
            inspector=inspector,
            scheduled_for=day,
            time_preference="pm",
            request_notes="Call first",
        ),
        InspectionFactory(
            permit=permits[1],
            inspection_type=kinds[1],
            inspector=inspector,
            scheduled_for=day,
            time_preference="am",
        ),
        InspectionFactory(
            permit=permits[2],
            inspection_type=kinds[2],
            inspector=inspector,
            scheduled_for=day,
            request_notes="Side gate",
        ),
    ]
    return inspector, day, stops


def test_inspections_route_prints_the_stops_in_order_with_notes(capsys, route):
    _, day, stops = route
    call_command("inspections_route", "--inspector", "ivy", "--date", day.isoformat())
    out = capsys.readouterr().out
    order = [out.index(stop.permit.street_name) for stop in (stops[1], stops[2], stops[0])]
    assert order == sorted(order)  # AM first, then no preference, then PM
    assert "Call first" in out and "Side gate" in out and "3 stop(s)" in out


def test_inspections_route_explains_bad_arguments(route):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="No inspector"):
        call_command("inspections_route", "--inspector", "nobody")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("inspections_route", "--inspector", "ivy", "--date", "tomorrow")


def test_admin_shows_the_days_queue_and_the_route(client, staff, route):
    inspector, day, stops = route
    client.force_login(staff)
    queue = client.get(reverse("admin:inspections_inspection_queue"), {"date": day.isoformat()})
    assert queue.status_code == 200 and str(inspector) in queue.text
    assert all(stop.number in queue.text for stop in stops)
    page = client.get(
        reverse("admin:inspections_inspection_route"),
        {"inspector": inspector.pk, "date": day.isoformat()},
    )
    assert "Call first" in page.text and "Side gate" in page.text
    assert client.get(reverse("admin:inspections_inspection_changelist")).status_code == 200


# Calendar feed ----------------------------------------------------------------------------------


def test_a_private_revocable_calendar_feed(client, inspection):
    client.post(reverse("inspections:calendar"), {"action": "new"})
    feed = CalendarFeed.objects.get()
    url = reverse("inspections:calendar_feed", args=[feed.token])
    client.logout()
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert "BEGIN:VCALENDAR" in body and inspection.permit.number in body
    assert f"DTSTART;VALUE=DATE:{inspection.scheduled_for:%Y%m%d}" in body
    assert "Dog in the yard" not in body
    client.force_login(inspection.requested_by)
    client.post(reverse("inspections:calendar"), {"action": "new"})
    assert client.get(url).status_code == 404  # the old link stops working
    client.post(reverse("inspections:calendar"), {"action": "off"})
    assert not CalendarFeed.objects.exists()


def test_the_feed_holds_only_upcoming_inspections_of_my_records(client, inspection, contractor):
    InspectionFactory(scheduled_for=allowed_days()[0])  # someone else's
    Inspection.objects.filter(pk=inspection.pk).update(status="completed")
    feed = CalendarFeed.objects.create(user=contractor)
    body = client.get(reverse("inspections:calendar_feed", args=[feed.token])).content.decode()
    assert "BEGIN:VEVENT" not in body


def test_the_queue_and_the_route_need_the_permission_to_view_inspections(client, route):
    inspector, day, _ = route
    clerk = UserFactory(username="clerk", is_staff=True)  # staff, with no permission granted
    client.force_login(clerk)
    queue = client.get(reverse("admin:inspections_inspection_queue"), {"date": day.isoformat()})
    page = client.get(
        reverse("admin:inspections_inspection_route"),
        {"inspector": inspector.pk, "date": day.isoformat()},
    )
    assert (queue.status_code, page.status_code) == (403, 403)
    assert "Side gate" not in page.text


def test_a_deactivated_users_calendar_feed_stops(client, inspection, contractor):
    feed = CalendarFeed.objects.create(user=contractor)
    url = reverse("inspections:calendar_feed", args=[feed.token])
    assert client.get(url).status_code == 200
    contractor.is_active = False
    contractor.save(update_fields=["is_active"])
    assert client.get(url).status_code == 404


def test_an_inspection_without_a_date_cannot_be_cancelled_online(client, inspection, contractor):
    Inspection.objects.filter(pk=inspection.pk).update(scheduled_for=None)
    response = client.post(reverse("inspections:cancel", args=[inspection.pk]), follow=True)
    assert response.status_code == 200
    assert "Call the permit office" in response.text
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.SCHEDULED


def test_the_cancel_service_refuses_whom_the_policy_refuses(inspection):
    """Seeing the permit (a contact on it) is not cancelling its inspections."""
    from permits.models import PermitContact
    from tests.factories import verify_email

    contact = UserFactory()
    verify_email(contact)
    PermitContact.objects.create(permit=inspection.permit, user=contact, contact_type="owner")
    with pytest.raises(InspectionError, match="needs the Inspections role"):
        inspection_cancel(inspection=inspection, user=contact)
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.SCHEDULED
