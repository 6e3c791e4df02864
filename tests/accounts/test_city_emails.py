"""Issue 13, requirement 9: every email is the city's. allauth's (verification, password reset,
notices) carry the city's name and the portal's address, never the host a request came in on,
in the portal's own layout; a cancelled inspection and a refund email the people concerned."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse

from inspections.models import InspectionStatus
from inspections.scheduling import allowed_days
from inspections.services import inspection_cancel
from tests.factories import (
    InspectionFactory,
    LicenseFactory,
    PermitFactory,
    UserFactory,
    contractor_user,
    make_inspector,
    verify_email,
)

pytestmark = pytest.mark.django_db


def html_of(message) -> str:
    return next(content for content, mime in message.alternatives if mime == "text/html")


def test_the_password_reset_email_is_the_citys(
    client, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_BASE_URL = "https://permits.springfield.example"
    user = UserFactory(email="pat@example.com")
    verify_email(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("account_reset_password"),
            {"email": "pat@example.com"},
            HTTP_HOST="127.0.0.1",
            SERVER_PORT="8101",
        )
    message = mail.outbox[-1]
    assert message.subject.startswith("[City of Springfield Permit Portal] ")
    assert message.body.startswith("City of Springfield Permit Portal")
    assert "City of Springfield Building Department · (217) 555-0100" in message.body
    assert "https://permits.springfield.example" in message.body
    for wrong in ("Hello from", "example.com!", "Thank you for using"):
        assert wrong not in message.body
    html = html_of(message)
    assert "City of Springfield Permit Portal</p>" in html  # the portal's header
    assert re.search(r'href="[^"]*/password/reset/key/', html)
    assert html.count("City of Springfield Building Department") == 1


def test_the_verification_email_is_the_citys(client, settings, django_capture_on_commit_callbacks):
    settings.PORTAL_BASE_URL = "https://permits.springfield.example"
    user = UserFactory(email="new@example.com")
    verify_email(user, verified=False)
    from allauth.account.models import EmailAddress
    from django.test import RequestFactory

    address = EmailAddress.objects.get(user=user)
    request = RequestFactory().get("/", HTTP_HOST="127.0.0.1:8101")
    request.user = user
    from allauth.core import context

    with django_capture_on_commit_callbacks(execute=True), context.request_context(request):
        address.send_confirmation(request=request)
    message = mail.outbox[-1]
    assert message.subject.startswith("[City of Springfield Permit Portal] ")
    assert "permits.springfield.example" in message.body
    assert "Hello from" not in message.body and "Thank you for using" not in message.body
    assert "an account on the City of Springfield Permit Portal" in message.body
    assert "127.0.0.1" not in message.body.split("open ")[0]
    assert "City of Springfield Permit Portal" in html_of(message)


def test_a_contractors_cancellation_emails_the_requester_and_the_inspector(
    django_capture_on_commit_callbacks,
):
    license = LicenseFactory()
    permit = PermitFactory(status="issued", licenses=[license])
    requester = contractor_user(license, can_inspect=True)
    requester.email = "requester@example.com"
    requester.save()
    colleague = contractor_user(license, can_inspect=True)
    colleague.first_name, colleague.last_name = "Lee", "Park"
    colleague.save()
    inspector = make_inspector("insp")
    inspector.user.email = "inspector@city.example"
    inspector.user.save()
    inspection = InspectionFactory(
        permit=permit,
        requested_by=requester,
        inspector=inspector,
        status=InspectionStatus.SCHEDULED,
        scheduled_for=allowed_days()[-1],
    )
    with django_capture_on_commit_callbacks(execute=True):
        inspection_cancel(inspection=inspection, user=colleague)
    sent = {message.to[0]: message for message in mail.outbox}
    assert "cancelled online by Lee Park" in sent["requester@example.com"].body
    to_inspector = sent["inspector@city.example"]
    assert to_inspector.subject.startswith(
        f"[City of Springfield Permit Portal] Cancelled: {inspection.number}"
    )
    assert "Lee Park cancelled inspection" in to_inspector.body


def test_a_refund_emails_the_payer_what_was_refunded(client, django_capture_on_commit_callbacks):
    from payments.flows import payment_refund
    from payments.models import Payment
    from tests.payments.conftest import fund, permit_with_fees

    license = LicenseFactory(holder__business_name="Lincoln Builders LLC")
    payer = contractor_user(license, can_pay=True)
    payer.email = "payer@example.com"
    payer.save()
    payer.emailaddress_set.update(email="payer@example.com")
    client.force_login(payer)
    permit, _ = permit_with_fees(license, "100.00", "25.50")
    account = fund(license, "500.00")
    client.post(reverse("payments:cart_add", args=[permit.number]))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("payments:checkout"),
            {
                "choice": f"trust:{account.pk}",
                "confirmed": "True",
                "key": "66666666-6666-6666-6666-666666666666",
            },
        )
    payment = Payment.objects.get()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        payment_refund(payment=payment, by=UserFactory(is_staff=True))
    message = mail.outbox[-1]
    assert message.to == ["payer@example.com"]
    assert message.subject == (
        f"[City of Springfield Permit Portal] Refund of receipt {payment.receipt_number}: $125.50"
        f", permit {permit.number}, {permit.address}"
    )
    assert "to the trust account of Lincoln Builders LLC" in message.body
    assert f"{permit.number}  Fee 0  $100.00" in message.body
    assert "due again" in message.body
    assert "$25.50" in html_of(message)
    receipt_subjects = [m.subject for m in mail.outbox if "Receipt" in m.subject]
    assert not receipt_subjects or all("$" in subject for subject in receipt_subjects)
    assert datetime.date.today().strftime("%m/%d/%Y") in message.body
