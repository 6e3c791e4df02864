"""Issue 24, requirement 10: for every event the catalogue tells people of, exactly who receives
it, on which channel, and nobody twice.

One permit applied for online, with everyone a permit has: the applicant (Apply and Upload at
the license's business), the owner (an address, no account), a contact, the business's manager,
its payer and its inspections user; and on the city side an intake clerk, the reviewer the
review was assigned to, the inspector, a license reviewer. Each event is recorded as its
service records it and heard by every subscriber of it; the people told must be exactly the
ones the catalogue's row names, each once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.utils import timezone

from applications import services as application_services
from core.events import event_deliver, event_record, subscribers_of
from notifications.catalogue import RULES
from notifications.models import Notice
from payments.models import Payment, TrustAccount
from permits.models import PermitContact, PermitStatus
from reviews.models import Review, ReviewCondition
from tests.factories import (
    InspectionFactory,
    LicenseLinkFactory,
    MembershipFactory,
    UserFactory,
    make_inspector,
    verify_email,
)
from tests.reviews.conftest import applicant, building, form, license_, submitted  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(submitted, building, license_):  # noqa: F811
    application = submitted
    permit = application.permit
    people = {"applicant": application.applicant, "owner": "owner@example.com"}
    people["contact"] = UserFactory(email="contact@example.com")
    PermitContact.objects.create(permit=permit, user=people["contact"], contact_type="contact")
    for name, roles in {
        "manager": {"can_manage": True},
        "payer": {"can_pay": True},
        "inspections": {"can_inspect": True},
    }.items():
        user = UserFactory(email=f"{name}@example.com")
        verify_email(user)
        MembershipFactory(user=user, contractor=license_.holder, **roles)
        people[name] = user
    clerk = UserFactory(email="clerk@city.example", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="change_intakequeue"))
    people["clerk"] = clerk
    reviewer = UserFactory(email="reviewer@city.example", is_staff=True)
    reviewer.groups.add(building.group)
    people["reviewer"] = reviewer
    people["inspector"] = make_inspector("inspector").user
    lic_reviewer = UserFactory(email="licenses@city.example", is_staff=True)
    lic_reviewer.groups.add(Group.objects.create(name="License Reviewers"))
    people["license_reviewer"] = lic_reviewer
    return application, people


def heard(event) -> dict[str, str]:
    """Every subscriber of the event hears it; who was told, by address, with their roles."""
    mail.outbox.clear()
    for name in subscribers_of(event.type):
        event_deliver(event_id=event.pk, subscriber_name=name)
    addresses = [address for message in mail.outbox for address in message.to]
    assert len(addresses) == len(set(addresses)), f"{event.type}: someone told twice"
    return {notice.email: notice.roles for notice in Notice.objects.filter(event=event)}


def address(person) -> str:
    return person if isinstance(person, str) else person.email


def expect(people, *names) -> set[str]:
    return {address(people[name]) for name in names}


def test_every_event_reaches_exactly_the_roles_its_row_names(world):
    application, people = world
    permit = application.permit
    submission = application.submissions.order_by("-number").first()
    checked: dict[str, set[str]] = {}

    def check(event, *names):
        told = heard(event)
        assert set(told) == expect(people, *names), event.type
        checked[event.type] = set(told)
        for notice in Notice.objects.filter(event=event).select_related("permit"):
            # In the portal for those with an account; the owner's address has none.
            assert notice.in_portal == (notice.user_id is not None)
            # What it says (requirement 9): the permit's number and address, a link straight
            # to the page, in plain text and HTML.
            if notice.permit is not None:
                said = notice.subject + notice.text
                assert notice.permit.number in said, (event.type, said)
                assert notice.permit.address in said, (event.type, said)
            assert notice.html or RULES[event.type].secret, event.type
            # A one-time link is not kept: the portal's notice links nowhere.
            assert notice.link or RULES[event.type].secret, event.type
        return told

    check(
        event_record("application.submitted", subject=application, submission=submission.pk),
        "applicant",
        "owner",
        "contact",
        "clerk",
    )
    application_services.application_accept(application=application, by=people["clerk"])
    review = Review.objects.get(cycle__application=application)
    assert review.reviewer == people["reviewer"]
    check(
        event_record("application.accepted", subject=application, submission=submission.pk),
        "applicant",
    )
    check(
        event_record("application.returned", subject=application, submission=submission.pk),
        "applicant",
    )
    check(event_record("review.assigned", subject=review, reviewer=review.reviewer_id), "reviewer")
    check(event_record("review_cycle.decided", subject=review.cycle), "applicant", "contact")
    check(
        event_record("corrections.resubmitted", subject=application, cycle=review.cycle.number),
        "reviewer",
    )
    condition = ReviewCondition.objects.create(review=review, text="Fence 6 ft from the alley")
    check(event_record("condition.answered", subject=condition), "reviewer")
    check(event_record("condition.met", subject=condition), "applicant", "contact")
    check(
        event_record("fee.assessed", subject=permit, application=application.pk),
        "applicant",
        "contact",
        "payer",
        "manager",
    )
    check(
        event_record("permit.issued", subject=permit, **{"from": PermitStatus.READY_TO_ISSUE}),
        "applicant",
        "owner",
        "contact",
        "manager",
    )
    for event_type in ("permit.expired", "permit.finaled", "permit.cancelled"):
        check(
            event_record(event_type, subject=permit),
            "applicant",
            "owner",
            "contact",
            "manager",
        )
    check(
        event_record(
            "permit.contact_invited",
            subject=people["payer"],
            actor=people["manager"],
            permit=permit.pk,
            contact_type="contact",
        ),
        "payer",
    )
    # Reminders (notifications.reminders): the permit issued, its date 30 days away, and no
    # inspection since it was issued 150 days ago.
    today = timezone.localdate()
    type(permit).objects.filter(pk=permit.pk).update(
        status=PermitStatus.ISSUED,
        issued_on=today - timedelta(days=150),
        expires_on=today + timedelta(days=30),
    )
    permit.refresh_from_db()
    check(
        event_record(
            "permit.expiring", subject=permit, expires_on=permit.expires_on.isoformat(), days=30
        ),
        "applicant",
        "owner",
        "contact",
        "manager",
    )
    check(
        event_record(
            "permit.inactive",
            subject=permit,
            active_on=permit.issued_on.isoformat(),
            lapses_on=(permit.issued_on + timedelta(days=180)).isoformat(),
            days=150,
            inspected=False,
        ),
        "applicant",
        "owner",
        "contact",
        "manager",
        "inspections",
    )
    inspection = InspectionFactory(permit=permit, requested_by=people["inspections"])
    inspection.inspector = people["inspector"].inspector
    inspection.scheduled_for = timezone.localdate() + timedelta(days=3)
    inspection.save()
    check(event_record("inspection.requested", subject=inspection), "inspections", "inspector")
    check(event_record("inspection.scheduled", subject=inspection), "inspections", "inspector")
    check(
        event_record(
            "inspection.cancelled", subject=inspection, actor=people["inspections"], how="online"
        ),
        "inspections",
        "inspector",
    )
    check(event_record("inspection.resulted", subject=inspection), "inspections")
    payment = Payment.objects.create(
        user=people["payer"],
        method="card",
        provider="offline",
        fees_total=Decimal("10.00"),
        total=Decimal("10.00"),
        receipt_number="R-0001",
    )
    check(event_record("payment.completed", subject=payment), "payer")
    check(event_record("payment.refunded", subject=payment), "payer")
    account = TrustAccount.objects.create(contractor=people["manager"].memberships.get().contractor)
    check(event_record("trust.low_balance", subject=account), "manager")
    type(account).objects.filter(pk=account.pk).update(low_balance_threshold=Decimal("100.00"))
    check(event_record("trust.below_threshold", subject=account), "manager")
    license = application.license
    type(license).objects.filter(pk=license.pk).update(expires_on=today + timedelta(days=60))
    check(
        event_record(
            "license.expiring",
            subject=license,
            expires_on=(today + timedelta(days=60)).isoformat(),
            days=60,
        ),
        "applicant",  # linked to the license
        "manager",
    )
    newcomer = UserFactory(email="newcomer@example.com")
    people["newcomer"] = newcomer
    check(event_record("account.registered", subject=newcomer), "newcomer")
    check(
        event_record(
            "account.second_factor_locked",
            subject=newcomer,
            wrong_codes=10,
            locked_until=timezone.now().isoformat(),
        ),
        "newcomer",
    )
    link = LicenseLinkFactory(user=newcomer, license=application.license)
    check(event_record("license_link.requested", subject=link), "license_reviewer")
    type(link).objects.filter(pk=link.pk).update(status="approved", decided_at=timezone.now())
    check(event_record("license_link.decided", subject=link), "newcomer")
    from accounts.services import authenticator_link_send

    authenticator_link_send(user=people["clerk"], by=None)
    from core.models import Event

    sent = Event.objects.filter(type="account.authenticator_link_sent").latest("pk")
    check(sent, "clerk")
    draft = application_services.application_start(
        template=application.template, applicant=people["applicant"]
    )
    check(event_record("application.draft_lapsing", subject=draft), "applicant")

    untested = set(RULES) - set(checked)
    assert untested == set(), f"events of the catalogue this test does not tell: {untested}"


def test_the_parties_of_many_permits_are_each_permit_s_parties_in_a_few_queries(
    world,
    license_,  # noqa: F811
    django_assert_max_num_queries,
):
    """`parties_of_many` (a night's reminders) answers as `parties_of` answers each permit:
    the application's applicant, owner and contacts, the permit's contacts and the business's
    users, each once with every role."""
    from permits.parties import parties_of, parties_of_many
    from tests.factories import PermitFactory

    application, people = world
    others = [PermitFactory(licenses=[license_]) for _ in range(3)]
    PermitContact.objects.create(permit=others[0], user=people["contact"], contact_type="owner")
    permits = [application.permit, *others]
    with django_assert_max_num_queries(6):
        many = parties_of_many(permits)
    for permit in permits:
        assert many[permit.pk] == parties_of(permit), permit
    assert {p.email for p in many[application.permit.pk]} >= {
        people["applicant"].email,
        "owner@example.com",
        people["contact"].email,
        people["manager"].email,
    }
