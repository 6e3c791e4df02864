"""Issue 12, finding 5: a suspended, revoked or expired license keeps its permits' history
visible and their fees payable, but acts on nothing: no inspection requested or cancelled, no
document uploaded, no contact added or removed, each refused with the reason on the page (and
by the services, whatever page the request came from). Made active again, it acts again."""

import datetime
import io

import pytest
from django.urls import reverse

from inspections.exceptions import InspectionError
from inspections.models import Inspection, InspectionStatus
from inspections.scheduling import allowed_days
from inspections.services import inspection_cancel, inspection_request_create
from licenses.models import LicenseStatus
from payments.models import CartLine
from permits.exceptions import PermitError
from permits.models import PermitContact, PermitDocument, PermitStatus
from permits.services import permit_document_upload
from tests.factories import (
    FeeFactory,
    InspectionFactory,
    InspectionTypeFactory,
    LicenseFactory,
    PermitFactory,
    UserFactory,
    contractor_user,
    set_status,
    verify_email,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EVERY_ROLE = {
    "can_manage": True,
    "can_apply": True,
    "can_pay": True,
    "can_inspect": True,
    "can_upload": True,
}


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def license():
    return LicenseFactory()


@pytest.fixture
def permit(license):
    permit = PermitFactory(number="RES25-00888", status=PermitStatus.ISSUED, licenses=[license])
    FeeFactory(permit=permit)
    InspectionTypeFactory(permit_type=permit.permit_type, code="105", name="Framing")
    return permit


@pytest.fixture
def owner(client, license):
    """Registered for the license and every role at its holder."""
    user = contractor_user(license, **EVERY_ROLE)
    client.force_login(user)
    return user


@pytest.fixture
def scheduled(permit, owner):
    return InspectionFactory(
        permit=permit,
        requested_by=owner,
        status=InspectionStatus.SCHEDULED,
        scheduled_for=allowed_days()[-1],
    )


def request_inspection(user, permit):
    return inspection_request_create(
        user=user,
        permit=permit,
        inspection_type=permit.permit_type.inspection_types.get(code="105"),
        day=allowed_days()[0],
        contact_name="Pat",
        contact_phone="2175550100",
    )


def upload(client, permit):
    handle = io.BytesIO(PDF)
    handle.name = "plans.pdf"
    return client.post(
        reverse("permits:document_upload", args=[permit.number]), {"file": handle}, follow=True
    )


@pytest.mark.parametrize(
    "status", [LicenseStatus.SUSPENDED, LicenseStatus.REVOKED, LicenseStatus.EXPIRED]
)
def test_an_inactive_license_shows_its_history_and_says_why_nothing_can_be_done(
    client, license, permit, owner, scheduled, status
):
    set_status(license, status)
    page = client.get(reverse("permits:detail", args=[permit.number]))
    assert page.context.get("private") is True  # the history: contacts, documents, inspections
    assert f"Your license on this permit is {status.label.lower()}" in page.text
    assert scheduled.number in page.text
    assert reverse("inspections:request", args=[permit.number]) not in page.text
    assert reverse("permits:document_upload", args=[permit.number]) not in page.text
    assert reverse("permits:contact_add", args=[permit.number]) not in page.text
    assert reverse("inspections:cancel", args=[scheduled.pk]) not in page.text
    # Fees owed are still owed: the Pay button stays.
    assert reverse("payments:cart_add", args=[permit.number]) in page.text


def test_an_active_license_shows_no_notice_and_every_action(client, permit, owner):
    page = client.get(reverse("permits:detail", args=[permit.number]))
    assert "Your license on this permit" not in page.text
    assert reverse("inspections:request", args=[permit.number]) in page.text
    assert reverse("permits:document_upload", args=[permit.number]) in page.text


def test_a_suspended_license_requests_no_inspection_on_the_page_or_in_the_service(
    client, license, permit, owner
):
    set_status(license, LicenseStatus.SUSPENDED)
    page = client.get(reverse("inspections:request", args=[permit.number]))
    assert f"Your license on permit {permit.number} is suspended" in page.text
    with pytest.raises(InspectionError, match="only through an active license"):
        request_inspection(owner, permit)
    assert not Inspection.objects.exists()


def test_a_revoked_license_cancels_no_inspection(client, license, permit, owner, scheduled):
    set_status(license, LicenseStatus.REVOKED)
    response = client.post(reverse("inspections:cancel", args=[scheduled.pk]), follow=True)
    assert f"Your license on permit {permit.number} is revoked" in response.text
    scheduled.refresh_from_db()
    assert scheduled.status == InspectionStatus.SCHEDULED
    with pytest.raises(InspectionError, match="only through an active license"):
        inspection_cancel(inspection=scheduled, user=owner)


def test_a_suspended_license_uploads_nothing_and_adds_or_removes_no_contact(
    client, license, permit, owner
):
    someone = UserFactory(email="someone@example.com")
    verify_email(someone)
    contact = PermitContact.objects.create(permit=permit, user=someone, contact_type="owner")
    set_status(license, LicenseStatus.SUSPENDED)

    response = upload(client, permit)
    assert response.status_code == 200
    assert f"Your license on permit {permit.number} is suspended" in response.text
    assert not PermitDocument.objects.exists()
    with pytest.raises(PermitError):
        permit_document_upload(permit=permit, upload=io.BytesIO(PDF), by=owner)

    response = client.post(
        reverse("permits:contact_add", args=[permit.number]),
        {"email": "new@example.com", "contact_type": "applicant"},
        follow=True,
    )
    assert "is suspended" in response.text
    response = client.post(
        reverse("permits:contact_remove", args=[permit.number, contact.pk]), follow=True
    )
    assert "is suspended" in response.text
    assert PermitContact.objects.filter(pk=contact.pk).exists()


def test_fees_on_an_inactive_license_are_still_paid(client, license, permit, owner):
    set_status(license, LicenseStatus.REVOKED)
    response = client.post(reverse("payments:cart_add", args=[permit.number]), follow=True)
    assert response.status_code == 200
    assert CartLine.objects.filter(user=owner).count() == 1


def test_someone_elses_permit_is_still_a_404_not_a_notice(client, permit):
    stranger_license = LicenseFactory()
    set_status(stranger_license, LicenseStatus.SUSPENDED)
    client.force_login(contractor_user(stranger_license, **EVERY_ROLE))
    assert upload(client, permit).status_code == 404
    page = client.get(reverse("permits:detail", args=[permit.number]))
    assert "Your license on this permit" not in page.text


def test_another_active_license_on_the_permit_still_acts(client, license, permit, owner):
    """A permit naming two of the user's licenses: one suspended, the other active."""
    second = LicenseFactory(holder=license.holder)
    permit.licenses.add(second)
    set_status(license, LicenseStatus.SUSPENDED)
    assert request_inspection(owner, permit).permit == permit
    page = client.get(reverse("permits:detail", args=[permit.number]))
    assert "Your license on this permit" not in page.text


def test_made_active_again_it_acts_again(client, license, permit, owner):
    set_status(license, LicenseStatus.SUSPENDED)
    with pytest.raises(InspectionError):
        request_inspection(owner, permit)
    set_status(license, LicenseStatus.ACTIVE)
    # The next request reads the user's standing afresh.
    inspection = request_inspection(type(owner).objects.get(pk=owner.pk), permit)
    assert inspection.scheduled_for >= datetime.date.today()
