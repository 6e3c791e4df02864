"""Issue 23, requirement 8: an application returned as incomplete is visible as returned. Its
permit moves to Returned for Correction through the status machine (the search and My Records
say so); its page shows the clerk's reasons and, to whoever may work on the application, the
way to fix and resubmit it; resubmitting moves the permit back to Submitted."""

import pytest
from django.urls import reverse

from applications import services
from core.models import Event
from permits.exceptions import InvalidPermitStatusMove
from permits.models import Permit, PermitStatus
from tests.factories import PermitFactory, UserFactory, contractor_user

from .conftest import fill_in

pytestmark = pytest.mark.django_db

REASONS = "The site plan has no setbacks.\nSign the owner's authorization."


@pytest.fixture
def returned(form, applicant, license_):
    application = fill_in(
        services.application_start(template=form, applicant=applicant), license_, by=applicant
    )
    services.application_submit(application=application, by=applicant)
    services.application_return(
        application=application, by=UserFactory(is_staff=True), reasons=REASONS
    )
    application.refresh_from_db()
    return application


def test_returning_moves_the_permit_to_returned_for_correction_with_its_event(returned):
    permit = Permit.objects.get(pk=returned.permit_id)
    assert permit.status == PermitStatus.RETURNED
    assert permit.get_status_display() == "Returned for Correction"
    event = (
        Event.objects.filter(type="permit.status_changed", object_id=permit.pk)
        .order_by("id")
        .last()
    )
    assert (event.payload["from"], event.payload["to"]) == ("submitted", "returned")
    assert "The site plan has no setbacks." in event.payload["note"]


def test_resubmitting_moves_the_permit_back_to_submitted(returned, applicant):
    services.application_submit(application=returned, by=applicant)
    permit = Permit.objects.get(pk=returned.permit_id)
    assert permit.status == PermitStatus.SUBMITTED
    moves = Event.objects.filter(type="permit.status_changed", object_id=permit.pk)
    assert [(e.payload["from"], e.payload["to"]) for e in moves.order_by("id")] == [
        ("submitted", "returned"),
        ("returned", "submitted"),
    ]


def test_a_returned_application_withdrawn_cancels_its_permit(returned, applicant):
    services.application_withdraw(application=returned, by=applicant)
    assert Permit.objects.get(pk=returned.permit_id).status == PermitStatus.CANCELLED


def test_a_permit_is_returned_only_with_the_reasons_and_never_by_hand():
    permit = PermitFactory(status=PermitStatus.SUBMITTED)
    with pytest.raises(InvalidPermitStatusMove, match="only with the reasons"):
        permit.move_to(PermitStatus.RETURNED, note="  ")
    assert PermitStatus.RETURNED not in permit.manual_moves_from(PermitStatus.SUBMITTED)
    assert permit.manual_moves_from(PermitStatus.RETURNED) == {PermitStatus.CANCELLED}
    permit.move_to(PermitStatus.RETURNED, note="Missing site plan")
    assert permit.status == PermitStatus.RETURNED


def test_the_permit_page_shows_the_reasons_and_the_way_to_fix_and_resubmit(
    client, returned, applicant
):
    client.force_login(applicant)
    page = client.get(reverse("permits:detail", args=[returned.permit.number])).text
    assert "Returned for Correction" in page
    assert f"Application {returned.reference} was returned as incomplete on" in page
    assert "The site plan has no setbacks.<br>Sign the owner&#x27;s authorization." in page
    fix = reverse("applications:step", args=[returned.reference, "review"])
    assert f'href="{fix}">Fix and resubmit</a>' in page


def test_a_party_who_may_not_work_on_it_reads_the_reasons_without_the_link(
    client, returned, license_
):
    colleague = contractor_user(license_)  # on the license, without the Apply role
    client.force_login(colleague)
    page = client.get(reverse("permits:detail", args=[returned.permit.number])).text
    assert "The site plan has no setbacks." in page
    assert "Fix and resubmit" not in page


def test_the_public_sees_the_status_but_not_the_reasons(client, returned):
    page = client.get(reverse("permits:detail", args=[returned.permit.number])).text
    assert "Returned for Correction" in page
    assert "setbacks" not in page


def test_the_search_and_my_records_show_it_returned(client, returned, applicant):
    found = client.get(reverse("permits:search"), {"permit_number": returned.permit.number})
    assert [p.number for p in found.context["page"]] == [returned.permit.number]
    assert "Returned for Correction" in found.text
    client.force_login(applicant)
    records = client.get(reverse("permits:my_records"))
    assert "Returned for Correction" in records.text


@pytest.mark.parametrize("step", ["review", "documents"])
def test_every_step_of_a_returned_application_keeps_the_reasons_in_sight(
    client, returned, applicant, step
):
    """From the newcomer walk: Fix and resubmit opened Review and Submit, which said
    "Everything the application needs is here" and did not repeat the clerk's reasons."""
    client.force_login(applicant)
    page = client.get(reverse("applications:step", args=[returned.reference, step])).text
    notice = page[page.index('id="returned-reasons"') :][:600]
    assert "Returned as incomplete on" in notice
    assert "The site plan has no setbacks.<br>Sign the owner&#x27;s authorization." in notice


def test_my_applications_leads_from_a_returned_application_to_why(client, returned, applicant):
    client.force_login(applicant)
    page = client.get(reverse("applications:mine")).text
    detail = reverse("applications:detail", args=[returned.reference])
    assert f'<a class="small" href="{detail}">Why, and fix and resubmit</a>' in page
