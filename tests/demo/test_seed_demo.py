import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count

from demo.seed import DEMO_PASSWORDS, seed_demo_city
from inspections.models import Inspection
from licenses.models import Contractor, License, LicenseLink, Membership
from payments.models import Payment, PaymentLine, PaymentMethod, TrustAccount
from permits.models import Fee, FeeStatus, Permit, PermitStatus

pytestmark = pytest.mark.django_db


# The city's 300 permits, and the 5 of demo's online applications at every stage.
CITY_PERMITS = 306


def snapshot() -> dict:
    return {
        "permits": sorted(Permit.objects.values_list("number", "status", "applied_on")),
        "fees": Fee.objects.count(),
        "inspections": Inspection.objects.count(),
        "licenses": License.objects.count(),
        "users": get_user_model().objects.count(),
    }


def test_the_demo_city_has_what_the_readme_promises(capsys):
    call_command("seed_demo")
    assert Contractor.objects.count() >= 3
    assert License.objects.count() >= 8
    assert License.objects.values("license_type").distinct().count() >= 3
    assert Permit.objects.count() == CITY_PERMITS
    statuses = dict(Permit.objects.values_list("status").annotate(n=Count("id")))
    assert set(statuses) == set(PermitStatus.values)
    assert Fee.objects.filter(status=FeeStatus.DUE).exists()
    assert Fee.objects.filter(status=FeeStatus.PAID).exists()
    assert Inspection.objects.exists()
    for username, password in DEMO_PASSWORDS.items():
        assert get_user_model().objects.get(username=username).check_password(password), username
    assert get_user_model().objects.get(username="clerk").is_staff
    assert "Demo city ready" in capsys.readouterr().out


def test_seeding_twice_changes_nothing(capsys):
    call_command("seed_demo")
    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first
    assert "already seeded" in capsys.readouterr().out


def test_the_seed_is_deterministic():
    seed_demo_city()
    first = snapshot()
    # The city's permits (those of online applications stay: their money and reviews are kept).
    imported = Permit.objects.filter(application__isnull=True)
    Inspection.objects.filter(permit__in=imported).delete()
    # Their fees were paid in the city's system, by one recorded payment (payments.imports).
    paid_elsewhere = Payment.objects.filter(method=PaymentMethod.IMPORTED)
    PaymentLine.objects.filter(payment__in=paid_elsewhere).delete()
    paid_elsewhere.delete()
    Fee.objects.filter(permit__in=imported).delete()
    imported.delete()
    seed_demo_city()
    assert snapshot() == first


def test_seed_demo_refuses_production_settings(settings):
    settings.PORTAL_ENVIRONMENT = "production"
    with pytest.raises(CommandError, match="refuses to run with production settings"):
        call_command("seed_demo")
    assert not Permit.objects.exists()


def test_staff_are_in_the_groups_the_portal_looks_for():
    from policy.staff import INSPECTORS_GROUP
    from policy.staff import LICENSE_REVIEWERS_GROUP as REVIEWERS_GROUP

    seed_demo_city()
    users = get_user_model().objects
    assert set(users.filter(groups__name=INSPECTORS_GROUP).values_list("username", flat=True)) == {
        "inspector1",
        "inspector2",
    }
    assert users.filter(groups__name=REVIEWERS_GROUP, username="clerk").exists()
    assert Inspection.objects.filter(status="scheduled", inspector__isnull=True).count() == 0


def test_the_demo_contractor_has_a_5000_trust_account_and_the_readme_licenses():
    from payments.selectors import trust_balance

    seed_demo_city()
    account = TrustAccount.objects.get(contractor__business_name="Lincoln Builders LLC")
    entries = list(account.entries.order_by("id").values_list("kind", "amount"))
    # Funded with $5,000; the issued online application's fees were paid from it.
    assert entries[0] == ("deposit", Decimal("5000.00"))
    assert [kind for kind, _ in entries[1:]] == ["payment"]
    assert trust_balance(account) == Decimal("5000.00") + entries[1][1] > 0
    demo = get_user_model().objects.get(username="demo")
    assert set(
        LicenseLink.objects.filter(user=demo, status="approved").values_list(
            "license__number", flat=True
        )
    ) == {"GC20001", "RC30001"}
    assert Membership.objects.get(user=demo).can_manage
    holders = dict(License.objects.values_list("number", "holder__business_name"))
    assert holders["EC10002"] == holders["EC10001"] == "Prairie Electric Co."
    assert holders["PC40001"] == "Capitol Plumbing Inc."
    assert holders["MC50001"] == "Sangamon Mechanical"
    assert holders["GC20002"] == holders["RC30002"] == "Route 66 Construction"
    statuses = dict(License.objects.values_list("number", "status"))
    assert (statuses["GC20002"], statuses["RC30002"]) == ("expired", "suspended")
    assert not LicenseLink.objects.filter(license__number__in=["EC10002", "PC40001"]).exists()


def test_seeding_again_on_a_later_day_adds_no_second_city():
    seed_demo_city(today=datetime.date(2026, 12, 30))
    first = snapshot()
    # A year on, every application falls in another year and so carries another number.
    report = seed_demo_city(today=datetime.date(2027, 12, 30))
    assert "permits" not in report.created
    assert Permit.objects.count() == CITY_PERMITS
    assert {key: value for key, value in snapshot().items() if key != "permits"} == {
        key: value for key, value in first.items() if key != "permits"
    }


def test_demo_staff_sign_in_with_the_code_demo_totp_code_prints(
    client, settings, capsys, monkeypatch
):
    """The README's demo staff logins work with a second factor on: the code the command
    prints is the one the sign-in asks for. Contractors are asked for none."""
    from allauth.mfa.models import Authenticator

    settings.STAFF_REQUIRE_MFA = True
    # One instant for the command and the check: a code cannot turn stale in between.
    still = SimpleNamespace(time=lambda: 1_750_000_000.0)
    monkeypatch.setattr("allauth.mfa.totp.internal.auth.time", still)
    monkeypatch.setattr("demo.management.commands.demo_totp_code.time", still)
    call_command("seed_demo")
    staff = get_user_model().objects.filter(is_staff=True)
    assert Authenticator.objects.filter(user__in=staff, type="totp").count() == staff.count()
    assert Authenticator.objects.filter(user__in=staff, type="recovery_codes").count() == (
        staff.count()
    )
    response = client.post(
        "/accounts/login/?next=/admin/", {"login": "clerk", "password": DEMO_PASSWORDS["clerk"]}
    )
    assert response.url.startswith("/accounts/2fa/authenticate/")
    capsys.readouterr()
    call_command("demo_totp_code")
    code = capsys.readouterr().out.split()[0]
    assert client.post("/accounts/2fa/authenticate/", {"code": code}).url == "/admin/"
    assert client.get("/admin/").status_code == 200
    client.post("/accounts/logout/")
    demo = client.post("/accounts/login/", {"login": "demo", "password": DEMO_PASSWORDS["demo"]})
    assert demo.url == "/dashboard/"


def test_demo_totp_code_refuses_production_settings(settings):
    settings.PORTAL_ENVIRONMENT = "production"
    with pytest.raises(CommandError):
        call_command("demo_totp_code")


def test_the_search_forms_address_example_finds_permits_in_the_demo_city(client, settings):
    """Issue 13, requirement 11: each part of the example ("2403 Wabash or W Iles Ave") finds
    something in the demo city."""
    from django.urls import reverse

    seed_demo_city()
    example = settings.PERMIT_SEARCH_ADDRESS_EXAMPLE
    for part in example.split(" or "):
        page = client.get(
            reverse("permits:search"), {"address": part, "applied_from": "2000-01-01"}
        )
        assert page.context["page"].paginator.count > 0, part


def test_demo_has_an_online_application_at_every_stage():
    from applications.models import Application
    from permits.models import PermitStatus
    from reviews.models import ReviewStatus
    from reviews.services import cycle_awaiting_corrections

    seed_demo_city()
    demo = get_user_model().objects.get(username="demo")
    by_street = {
        application.street_name: application
        for application in Application.objects.filter(applicant=demo).select_related("permit")
    }
    assert by_street["S Walnut St"].permit.status == PermitStatus.SUBMITTED
    in_review = by_street["W Vine St"]
    assert in_review.permit.status == PermitStatus.IN_REVIEW
    assert in_review.review_cycles.get().reviews.filter(status=ReviewStatus.IN_PROGRESS).exists()
    assert cycle_awaiting_corrections(by_street["N 5th St"]) is not None
    assert by_street["S Glenwood Ave"].permit.status == PermitStatus.READY_TO_ISSUE
    issued = by_street["Lindbergh Blvd"].permit
    assert issued.status == PermitStatus.ISSUED
    assert issued.cards.get().revision == 0 and issued.check_code
    assert by_street["S 6th St"].status == "draft"  # and the draft in progress


def test_every_paid_fee_of_the_demo_city_has_the_payment_that_paid_it():
    seed_demo_city()
    paid = Fee.objects.filter(status="paid")
    assert paid.exists()
    assert not paid.exclude(payment_lines__live=True).exists()
    assert Payment.objects.filter(method=PaymentMethod.IMPORTED, user=None).count() == 1
