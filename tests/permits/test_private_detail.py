"""The permit page for someone with access: fees, inspections split into upcoming and completed,
contacts and documents; and what each role may do there."""

import io
import re
from unittest import mock

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from permits.contact_views import contact_invited_message
from permits.models import PermitContact, PermitDocument
from permits.scopes import permits_visible_to
from policy.permits import can_pay, can_request_inspection
from tests.factories import (
    FeeFactory,
    InspectionFactory,
    LicenseFactory,
    MembershipFactory,
    PermitFactory,
    UserFactory,
    contractor_user,
    verify_email,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def license():
    return LicenseFactory()


@pytest.fixture
def permit(license):
    permit = PermitFactory(number="RES25-00042", licenses=[license])
    FeeFactory(permit=permit)
    InspectionFactory(permit=permit)
    InspectionFactory(
        permit=permit,
        status="completed",
        result="passed",
        result_comments="OK",
        inspector_notes="secret note",
    )
    return permit


def detail(client, permit):
    return client.get(reverse("permits:detail", args=[permit.number]))


def upload(client, permit, content: bytes, name: str):
    handle = io.BytesIO(content)
    handle.name = name
    return client.post(
        reverse("permits:document_upload", args=[permit.number]), {"file": handle}, follow=True
    )


def test_a_user_with_access_sees_the_private_page(client, license, permit):
    client.force_login(contractor_user(license, can_manage=True))
    response = detail(client, permit)
    assert response.templates[0].name == "permits/detail_private.html"
    text = response.text
    for expected in (
        "Upcoming",
        "Completed",
        "Contacts",
        "Documents",
        "Upload Files",
        "Add contact",
    ):
        assert expected in text, expected
    assert "secret note" not in text  # inspector notes stay with staff


def test_a_user_without_access_sees_the_public_page(client, permit):
    client.force_login(UserFactory())
    response = detail(client, permit)
    assert response.templates[0].name == "permits/detail.html"
    assert "Contacts" not in response.text and "Documents" not in response.text


def test_each_action_shows_only_with_its_role(client, license, permit):
    viewer = contractor_user(license)  # registered for the license, no business roles
    client.force_login(viewer)
    text = detail(client, permit).text
    assert "Add contact" not in text and "Upload Files" not in text


# Contacts -------------------------------------------------------------------------------------


def invite(client, permit, email: str, contact_type: str = "project_manager"):
    return client.post(
        reverse("permits:contact_add", args=[permit.number]),
        {"email": email, "contact_type": contact_type},
        follow=True,
    )


def invitation_link(message) -> str:
    return re.search(r"https?://[^/\s]+(/permits/contacts/invitations/\S+/)", message.body)[1]


def page_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_apply_role_invites_a_registered_user_who_accepts_and_becomes_a_contact(
    client, license, permit, django_capture_on_commit_callbacks
):
    inviter = contractor_user(license, can_apply=True)
    client.force_login(inviter)
    contact = UserFactory(email="helper@example.com", first_name="Hal", last_name="Helper")
    verify_email(contact)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client, permit, "HELPER@example.com")
    assert page_messages(response) == [contact_invited_message("HELPER@example.com")]
    assert not PermitContact.objects.exists()  # not until they accept
    [message] = mail.outbox
    assert message.to == ["helper@example.com"] and permit.number in message.subject
    link = invitation_link(message)

    client.force_login(contact)
    page = client.get(link)
    assert page.status_code == 200 and "Accept the invitation" in page.text
    accepted = client.post(link, follow=True)
    assert f"You are a contact (Project Manager) on permit {permit.number}" in accepted.text
    entry = PermitContact.objects.get(permit=permit, user=contact)
    assert entry.contact_type == "project_manager" and entry.added_by == inviter
    # The contact sees the permit in My Records and its private details, and may not pay or
    # request inspections on that account alone.
    fresh = type(contact).objects.get(pk=contact.pk)
    assert permits_visible_to(fresh).filter(pk=permit.pk).exists()
    assert not can_pay(fresh, permit) and not can_request_inspection(fresh, permit)
    assert detail(client, permit).templates[0].name == "permits/detail_private.html"
    # Accepting twice changes nothing.
    client.post(link)
    assert PermitContact.objects.filter(permit=permit).count() == 1


def test_the_answer_is_the_same_whether_or_not_the_address_is_registered(
    client, license, permit, django_capture_on_commit_callbacks
):
    """Issue 12, finding 8: inviting a contact never tells which addresses have an account."""
    verify_email(UserFactory(email="known@example.com"))
    client.force_login(contractor_user(license, can_apply=True))
    answers = {}
    for email in ("known@example.com", "nobod@example.com"):
        with django_capture_on_commit_callbacks(execute=True):
            response = invite(client, permit, email)
        assert response.status_code == 200
        section = re.search(r'<section[^>]*id="contacts".*?</section>', response.text, re.S)[0]
        answers[email] = (
            [text.replace(email, "EMAIL") for text in page_messages(response)],
            re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", section),
        )
    assert answers["known@example.com"] == answers["nobod@example.com"]
    assert not PermitContact.objects.exists()
    # Only the account's owner hears of it.
    assert [message.to for message in mail.outbox if "Invitation" in message.subject] == [
        ["known@example.com"]
    ]


def test_a_bad_email_gets_a_message(client, license, permit):
    client.force_login(contractor_user(license, can_apply=True))
    response = invite(client, permit, "not an email")
    assert "valid email" in response.text
    assert not PermitContact.objects.exists()


def test_inviting_someone_already_a_contact_sends_nothing_and_says_the_same(
    client, license, permit, django_capture_on_commit_callbacks
):
    client.force_login(contractor_user(license, can_manage=True))
    helper = UserFactory(email="helper@example.com")
    PermitContact.objects.create(permit=permit, user=helper, contact_type="contact")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client, permit, "helper@example.com", "owner")
    assert page_messages(response) == [contact_invited_message("helper@example.com")]
    assert not mail.outbox
    assert PermitContact.objects.get().contact_type == "contact"


def test_an_invitation_is_only_for_the_account_it_names_and_only_while_it_may(
    client, license, permit, django_capture_on_commit_callbacks
):
    from permits.invitations import invitation_token

    inviter = contractor_user(license, can_apply=True)
    helper = UserFactory(email="helper@example.com")
    token = invitation_token(
        permit=permit, user_id=helper.pk, contact_type="owner", invited_by_id=inviter.pk
    )
    link = reverse("permits:contact_invitation", args=[token])
    client.force_login(UserFactory())
    assert client.get(link).status_code == 404
    assert client.post(link).status_code == 404
    client.force_login(helper)
    forged = client.post(link[:-3] + "xx/", follow=True)
    assert "This invitation link is not valid." in forged.text
    # The inviter lost the Apply role meanwhile: the invitation no longer holds.
    inviter.memberships.update(can_apply=False)
    refused = client.post(link, follow=True)
    assert "can no longer change this permit" in refused.text
    assert not PermitContact.objects.exists()


def test_an_invitation_lapses(client, permit, license):
    from django.core import signing

    from permits.invitations import CONTACT_INVITATION_DAYS, invitation_token

    helper = UserFactory()
    inviter = contractor_user(license, can_apply=True)
    token = invitation_token(
        permit=permit, user_id=helper.pk, contact_type="owner", invited_by_id=inviter.pk
    )
    client.force_login(helper)
    later = signing.time.time() + (CONTACT_INVITATION_DAYS + 1) * 86_400
    with mock.patch("django.core.signing.time.time", return_value=later):
        response = client.post(reverse("permits:contact_invitation", args=[token]), follow=True)
    assert "This invitation lapsed" in response.text
    assert not PermitContact.objects.exists()


def test_without_apply_or_manage_contacts_cannot_be_changed(client, license, permit):
    client.force_login(contractor_user(license, can_pay=True))
    UserFactory(email="helper@example.com")
    response = client.post(
        reverse("permits:contact_add", args=[permit.number]),
        {"email": "helper@example.com", "contact_type": "contact"},
    )
    assert response.status_code == 404
    assert not PermitContact.objects.exists()


def test_removing_a_contact_and_another_permits_contact_is_a_404(client, license, permit):
    client.force_login(contractor_user(license, can_apply=True))
    entry = PermitContact.objects.create(permit=permit, user=UserFactory(), contact_type="owner")
    other_permit = PermitFactory()
    theirs = PermitContact.objects.create(
        permit=other_permit, user=UserFactory(), contact_type="owner"
    )
    wrong = client.post(reverse("permits:contact_remove", args=[permit.number, theirs.pk]))
    assert wrong.status_code == 404
    elsewhere = client.post(
        reverse("permits:contact_remove", args=[other_permit.number, theirs.pk])
    )
    assert elsewhere.status_code == 404
    assert PermitContact.objects.filter(pk=theirs.pk).exists()
    client.post(reverse("permits:contact_remove", args=[permit.number, entry.pk]))
    assert not PermitContact.objects.filter(pk=entry.pk).exists()


# Documents ------------------------------------------------------------------------------------


def test_upload_files_role_uploads_a_pdf_and_anyone_with_access_downloads_it(
    client, license, permit
):
    uploader = contractor_user(license, can_upload=True)
    client.force_login(uploader)
    response = upload(client, permit, PDF, "plans.pdf")
    assert "plans.pdf was uploaded" in response.text
    document = PermitDocument.objects.get()
    assert document.content_type == "application/pdf" and document.uploaded_by == uploader
    assert "plans.pdf" in response.text and uploader.get_full_name() in response.text
    viewer = contractor_user(license)
    client.force_login(viewer)
    download = client.get(reverse("permits:document_download", args=[permit.number, document.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert (
        "attachment" in download["Content-Disposition"]
        and "plans.pdf" in download["Content-Disposition"]
    )
    assert download["Content-Type"] == "application/pdf"


def test_the_type_is_checked_by_content_not_by_name(client, license, permit):
    client.force_login(contractor_user(license, can_upload=True))
    response = upload(client, permit, b"MZ\x90\x00 this is an exe", "innocent.pdf")
    assert "Upload a PDF, PNG or JPEG file" in response.text
    png = upload(client, permit, PNG, "photo.pdf")  # a PNG named .pdf is stored as a PNG
    assert "was uploaded" in png.text
    assert PermitDocument.objects.get().content_type == "image/png"


def test_the_size_limit_is_a_setting(client, license, permit):
    client.force_login(contractor_user(license, can_upload=True))
    with override_settings(PERMIT_DOCUMENT_MAX_BYTES=1000):
        response = upload(client, permit, PDF + b"0" * 2000, "big.pdf")
    assert "the limit is" in response.text
    empty = upload(client, permit, b"", "empty.pdf")
    assert "empty" in empty.text.lower()
    assert not PermitDocument.objects.exists()


@pytest.mark.parametrize("name", ["x.html", "x.exe", "x"])
def test_a_pdf_is_stored_and_served_as_a_pdf_whatever_its_name(client, license, permit, name):
    """Issue 12, finding 9: the extension is the detected type's, never the uploader's."""
    client.force_login(contractor_user(license, can_upload=True))
    response = upload(client, permit, PDF, name)
    assert f"{name} was uploaded" in response.text  # the name as given, for display only
    document = PermitDocument.objects.get()
    assert document.file.name.endswith(".pdf") and document.original_name == name
    download = client.get(reverse("permits:document_download", args=[permit.number, document.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="x.pdf"'


def test_an_oversized_upload_is_refused_before_it_is_read_with_a_message_on_the_page(
    client, license, permit, settings, monkeypatch
):
    """Issue 12, finding 9: the body is not read past the limit (core.uploads), and the page
    says why; the file never reaches the service."""
    settings.PERMIT_DOCUMENT_MAX_BYTES = settings.UPLOAD_MAX_BYTES = 1_000_000

    def never(**kwargs):
        raise AssertionError("the file reached the service")

    monkeypatch.setattr("permits.document_views.permit_document_upload", never)
    client.force_login(contractor_user(license, can_upload=True))
    response = upload(client, permit, PDF + b"0" * 1_500_000, "big.pdf")
    assert response.status_code == 200
    assert "That file is larger than the limit of 1 MB: nothing was uploaded." in response.text
    assert not PermitDocument.objects.exists()


def test_without_the_upload_role_there_is_no_upload(client, license, permit):
    client.force_login(contractor_user(license, can_pay=True))
    assert upload(client, permit, PDF, "plans.pdf").status_code == 404
    assert not PermitDocument.objects.exists()


def test_downloads_are_checked_every_time_and_never_public(client, license, permit, settings):
    client.force_login(contractor_user(license, can_upload=True))
    upload(client, permit, PDF, "plans.pdf")
    document = PermitDocument.objects.get()
    url = reverse("permits:document_download", args=[permit.number, document.pk])
    client.logout()
    assert client.get(url).status_code == 302  # sign in first
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404  # no access: as if not there
    other = PermitFactory()
    client.force_login(contractor_user(license))
    assert (
        client.get(
            reverse("permits:document_download", args=[other.number, document.pk])
        ).status_code
        == 404
    )
    # The file's own path is not served by the portal.
    assert client.get(f"/media/{document.file.name}").status_code == 404
    assert "/media/" not in client.get(reverse("permits:detail", args=[permit.number])).text


def test_a_member_of_another_business_gets_404s(client, permit):
    stranger = UserFactory()
    verify_email(stranger)
    MembershipFactory(user=stranger, can_manage=True)
    client.force_login(stranger)
    assert upload(client, permit, PDF, "x.pdf").status_code == 404
    assert (
        client.post(
            reverse("permits:contact_add", args=[permit.number]),
            {"email": "a@b.example", "contact_type": "owner"},
        ).status_code
        == 404
    )


# The services ask the policy themselves, whoever calls them ------------------------------------


def uploaded(content: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_the_upload_service_refuses_a_user_without_the_upload_role(license, permit):
    from permits.exceptions import PermitError
    from permits.services import permit_document_upload

    for user in (contractor_user(license), contractor_user(license, can_apply=True)):
        with pytest.raises(PermitError, match="needs the Upload Files role"):
            permit_document_upload(permit=permit, upload=uploaded(PDF, "plans.pdf"), by=user)
    assert not PermitDocument.objects.exists()
    uploader = contractor_user(license, can_upload=True)
    permit_document_upload(permit=permit, upload=uploaded(PDF, "plans.pdf"), by=uploader)
    assert PermitDocument.objects.count() == 1


def test_the_contact_services_refuse_a_user_without_the_apply_role(license, permit):
    from permits.exceptions import PermitError
    from permits.services import permit_contact_invite, permit_contact_remove

    helper = UserFactory(email="helper@example.com")
    entry = PermitContact.objects.create(permit=permit, user=UserFactory(), contact_type="owner")
    # A contact on the permit sees it, and may not change who else is on it.
    for user in (contractor_user(license, can_upload=True), entry.user):
        with pytest.raises(PermitError, match="needs the Apply role"):
            permit_contact_invite(
                permit=permit, email=helper.email, contact_type="contact", by=user
            )
        with pytest.raises(PermitError, match="needs the Apply role"):
            permit_contact_remove(contact=entry, by=user)
    assert list(PermitContact.objects.values_list("pk", flat=True)) == [entry.pk]
    applicant = contractor_user(license, can_apply=True)
    permit_contact_remove(contact=entry, by=applicant)
    assert not PermitContact.objects.exists()
