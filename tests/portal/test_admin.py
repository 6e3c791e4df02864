import datetime
import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from permits.models import Permit, PermitStatus
from permits.services import permits_expire
from tests.factories import (
    FeeFactory,
    InspectionFactory,
    LicenseFactory,
    PermitFactory,
    UserFactory,
    moves,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    user = UserFactory(username="boss", is_staff=True, is_superuser=True)
    client.force_login(user)
    client.user = user
    return client


def test_every_model_is_in_the_admin():
    from django.apps import apps

    for app_label in ("accounts", "licenses", "permits", "inspections"):
        for model in apps.get_app_config(app_label).get_models():
            assert admin.site.is_registered(model), model


@pytest.mark.parametrize(
    ("model", "query"),
    [
        ("permits_permit", "RES25"),
        ("permits_permit", "oak st"),
        ("permits_permit", "EC70"),
        ("permits_permit", "Builder"),
        ("permits_fee", "RES25"),
        ("licenses_license", "EC70"),
        ("licenses_contractor", "Builder"),
        ("inspections_inspection", "RES25"),
        ("inspections_inspectiontype", "Inspection"),
        ("permits_permittype", "RES"),
        ("licenses_licensetype", "EC"),
        ("accounts_user", "boss"),
    ],
)
def test_changelists_search_and_filter(staff_client, model, query):
    permit = PermitFactory(licenses=[LicenseFactory()])
    FeeFactory(permit=permit)
    InspectionFactory(permit=permit)
    url = reverse(f"admin:{model}_changelist")
    response = staff_client.get(url, {"q": query})
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1, (model, query)


def test_permit_list_filters_by_status_and_type(staff_client):
    PermitFactory(status=PermitStatus.ISSUED)
    PermitFactory(status=PermitStatus.EXPIRED)
    response = staff_client.get(
        reverse("admin:permits_permit_changelist"), {"status__exact": "expired"}
    )
    assert response.context["cl"].result_count == 1


def test_the_permit_page_has_fees_and_inspections_inline(staff_client):
    permit = PermitFactory()
    FeeFactory(permit=permit, description="Plan Review Fee")
    InspectionFactory(permit=permit)
    response = staff_client.get(reverse("admin:permits_permit_change", args=[permit.pk]))
    assert response.status_code == 200
    text = response.text
    assert "Plan Review Fee" in text
    assert "Inspections" in text
    assert "fees-TOTAL_FORMS" in text


def test_an_inline_rows_inputs_are_named_by_column_and_row(staff_client):
    """A tabular inline's inputs have no label of their own (axe's "label" rule)."""
    permit = PermitFactory()
    FeeFactory(permit=permit, description="Plan Review Fee")
    text = staff_client.get(reverse("admin:permits_permit_change", args=[permit.pk])).text
    inputs = re.findall(r"<input[^>]*>", text)
    amount = next(tag for tag in inputs if 'name="fees-0-amount"' in tag)
    description = next(tag for tag in inputs if 'name="fees-0-description"' in tag)
    assert 'aria-label="Amount, row 1"' in amount
    assert 'aria-label="Description, row 1"' in description


def test_the_permit_admin_is_composed_in_one_place_from_what_each_app_offers():
    from inspections.admin import InspectionInline
    from payments.admin import PaidReadyToIssueFilter
    from permits.admin import PermitAdmin

    model_admin = admin.site.get_model_admin(Permit)
    assert type(model_admin).__module__ == "portal.admin"
    assert isinstance(model_admin, PermitAdmin)
    assert InspectionInline in model_admin.inlines
    assert PaidReadyToIssueFilter in model_admin.list_filter
    assert set(PermitAdmin.inlines) <= set(model_admin.inlines)


def admin_post_data(response) -> dict:
    """The change form's current values, as a browser would post them back."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            value = ""
        data[name] = value.isoformat() if hasattr(value, "isoformat") else value
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management.initial.get(name, 0)
        for index, inline_form in enumerate(formset.formset.forms):
            for name in inline_form.fields:
                value = inline_form.initial.get(name, "")
                if hasattr(value, "pk"):
                    value = value.pk
                data[f"{formset.formset.prefix}-{index}-{name}"] = (
                    ""
                    if value is None
                    else (value.isoformat() if hasattr(value, "isoformat") else value)
                )
    return data


def test_staff_issue_a_permit_through_the_guarded_move(staff_client, settings):
    settings.PERMIT_EXPIRY_DAYS = 180
    permit = PermitFactory(status=PermitStatus.READY_TO_ISSUE, issued_on=None, expires_on=None)
    url = reverse("admin:permits_permit_change", args=[permit.pk])
    page = staff_client.get(url)
    form = page.context["adminform"].form
    assert "status" not in form.fields  # read only: never typed into
    choices = [value for value, _ in form.fields["move_to"].choices]
    assert sorted(choices) == sorted(["", PermitStatus.ISSUED, PermitStatus.CANCELLED])
    data = admin_post_data(page)
    data.update(move_to=PermitStatus.ISSUED, move_note="Fees paid at the counter")
    response = staff_client.post(url, data)
    assert response.status_code == 302, (
        response.context and response.context["adminform"].form.errors
    )
    permit.refresh_from_db()
    assert permit.status == PermitStatus.ISSUED
    assert permit.issued_on == timezone.localdate()
    assert permit.expires_on == permit.issued_on + datetime.timedelta(days=180)
    (change,) = moves(permit)
    assert change.changed_by == staff_client.user
    assert change.note == "Fees paid at the counter"


def test_staff_cannot_post_a_move_the_department_does_not_make(staff_client):
    permit = PermitFactory(status=PermitStatus.SUBMITTED)
    url = reverse("admin:permits_permit_change", args=[permit.pk])
    data = admin_post_data(staff_client.get(url))
    data.update(move_to=PermitStatus.FINALED)
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "move_to" in response.context["adminform"].form.errors
    permit.refresh_from_db()
    assert permit.status == PermitStatus.SUBMITTED


def test_a_permit_expired_while_a_clerk_had_it_open_stays_expired(staff_client):
    """The clerk opens an issued permit; the nightly job expires it; the clerk saves a new
    description with the page as it was: the permit stays expired and no move is recorded in
    the clerk's name."""
    permit = PermitFactory(status=PermitStatus.ISSUED, expires_on=datetime.date(2020, 1, 1))
    url = reverse("admin:permits_permit_change", args=[permit.pk])
    data = admin_post_data(staff_client.get(url))
    # What the old page posted, status and all.
    data.update(status=PermitStatus.ISSUED, description="Corrected scope of work")
    assert [p.number for p in permits_expire()] == [permit.number]
    response = staff_client.post(url, data)
    assert response.status_code == 302
    permit.refresh_from_db()
    assert permit.status == PermitStatus.EXPIRED
    assert permit.description == "Corrected scope of work"
    assert [(m.to_status, m.changed_by) for m in moves(permit)] == [(PermitStatus.EXPIRED, None)]


def test_a_result_cannot_be_typed_into_the_permits_inspection_rows(staff_client):
    """The permit page lists its inspections read only; a result posted through it is ignored:
    results are recorded on the inspection's own page, by the service that emails."""
    permit = PermitFactory(status=PermitStatus.ISSUED)
    inspection = InspectionFactory(permit=permit)
    url = reverse("admin:permits_permit_change", args=[permit.pk])
    page = staff_client.get(url)
    assert 'name="inspections-0-result"' not in page.text
    assert reverse("admin:inspections_inspection_change", args=[inspection.pk]) in page.text
    data = admin_post_data(page)
    data.update({"inspections-0-id": inspection.pk, "inspections-0-result": "passed"})
    staff_client.post(url, data)
    inspection.refresh_from_db()
    assert inspection.result == ""
    assert inspection.status == "scheduled"


def test_permits_and_fees_are_never_deleted_in_admin(staff_client):
    permit = PermitFactory()
    fee = FeeFactory(permit=permit)
    for model, obj in (("permits_permit", permit), ("permits_fee", fee)):
        response = staff_client.get(reverse(f"admin:{model}_delete", args=[obj.pk]))
        assert response.status_code == 403, model
    with pytest.raises(ProtectedError):
        permit.delete()


def test_the_admin_login_is_not_open_to_contractors(client):
    user = UserFactory(is_staff=False)
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302


def test_the_clerks_permit_search_finds_each_permit_once(staff_client):
    from tests.factories import ContractorFactory

    business = ContractorFactory(business_name="Oakwood Builders")
    first, second = LicenseFactory(holder=business), LicenseFactory(holder=business)
    permit = PermitFactory(number="RES25-90001", street_name="Oak St", licenses=[first, second])
    elm = PermitFactory(number="COM25-90002", street_name="Elm St")
    url = reverse("admin:permits_permit_changelist")

    def found(query):
        return list(staff_client.get(url, {"q": query}).context["cl"].result_list)

    # The address, the business name and both licenses all match: one row.
    assert found("oak") == [permit]
    assert found("  OAKWOOD  ") == [permit]
    assert found(first.number[:4]) == [permit]
    assert found("res25-9") == [permit]
    assert found("elm st") == [elm]
    assert found("25-9") == []  # a permit number is searched from its beginning


def test_fees_and_inspections_are_searched_by_their_permit(staff_client):
    permit = PermitFactory(street_name="Lincoln Ave")
    FeeFactory(permit=permit, description="Plan Review Fee")
    FeeFactory(description="Building Permit Fee")
    inspection = InspectionFactory(permit=permit)
    InspectionFactory()
    fees = staff_client.get(reverse("admin:permits_fee_changelist"), {"q": "lincoln"})
    assert [fee.description for fee in fees.context["cl"].result_list] == ["Plan Review Fee"]
    inspections = staff_client.get(
        reverse("admin:inspections_inspection_changelist"), {"q": "lincoln"}
    )
    assert list(inspections.context["cl"].result_list) == [inspection]
    by_number = staff_client.get(
        reverse("admin:inspections_inspection_changelist"), {"q": inspection.number}
    )
    assert list(by_number.context["cl"].result_list) == [inspection]


def test_a_clerk_waives_a_fee_with_a_reason_and_never_marks_one_paid(staff_client):
    from permits.models import FeeStatus

    fee = FeeFactory()
    url = reverse("admin:permits_fee_change", args=[fee.pk])
    page = staff_client.get(url)
    choices = [value for value, _ in page.context["adminform"].form.fields["move_to"].choices]
    assert choices == ["", FeeStatus.WAIVED]  # Paid comes only with a payment
    data = admin_post_data(page)
    data.update(move_to=FeeStatus.PAID)
    response = staff_client.post(url, data)
    assert "move_to" in response.context["adminform"].form.errors
    data.update(move_to=FeeStatus.WAIVED, move_note="")
    response = staff_client.post(url, data)
    assert "Give the reason" in response.text
    fee.refresh_from_db()
    assert fee.status == FeeStatus.DUE
    data.update(move_note="Non-profit housing")
    assert staff_client.post(url, data).status_code == 302
    fee.refresh_from_db()
    assert fee.status == FeeStatus.WAIVED
    (change,) = moves(fee)
    assert (change.to_status, change.changed_by, change.note) == (
        FeeStatus.WAIVED,
        staff_client.user,
        "Non-profit housing",
    )
    assert (change.changed_by, change.note) == (staff_client.user, "Non-profit housing")
    assert "Non-profit housing" in staff_client.get(url).text  # its status history


def test_staff_cannot_give_a_permit_a_number_a_url_cannot_carry(staff_client):
    permit = PermitFactory(number="RES25-0001")
    url = reverse("admin:permits_permit_change", args=[permit.pk])
    data = admin_post_data(staff_client.get(url))
    data.update(number="res25/0001")
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "letters, digits, hyphens" in str(response.context["adminform"].form.errors["number"])
    permit.refresh_from_db()
    assert permit.number == "RES25-0001"


# New records start in their first status ---------------------------------------------------


def test_a_new_fee_starts_due_whatever_the_add_page_posts(staff_client):
    """Issue 11, requirement 3: no fee is created Paid (or Waived) without a payment or a
    reason; the add page has no status to type."""
    from permits.models import Fee, FeeStatus

    permit = PermitFactory()
    url = reverse("admin:permits_fee_add")
    page = staff_client.get(url)
    assert "status" not in page.context["adminform"].form.fields
    data = admin_post_data(page)
    data.update(
        permit=permit.pk,
        description="Plan review",
        amount="125.00",
        assessed_on=timezone.localdate().isoformat(),
        status=FeeStatus.PAID,
    )
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    fee = Fee.objects.get(permit=permit, description="Plan review")
    assert fee.status == FeeStatus.DUE


def test_a_new_permit_starts_submitted_with_no_issue_dates(staff_client):
    from permits.models import PermitType

    url = reverse("admin:permits_permit_add")
    page = staff_client.get(url)
    form = page.context["adminform"].form
    for name in ("status", "issued_on", "expires_on", "finaled_on"):
        assert name not in form.fields, name
    data = admin_post_data(page)
    data.update(
        number="RES26-04242",
        permit_type=PermitType.objects.get_or_create(code="RES", defaults={"name": "Res"})[0].pk,
        street_number="12",
        street_name="Oak St",
        city="Springfield",
        state="IL",
        zip_code="62701",
        applied_on=timezone.localdate().isoformat(),
        valuation="1000",
        status=PermitStatus.ISSUED,
        issued_on="2020-01-01",
        expires_on="2020-06-01",
    )
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    permit = Permit.objects.get(number="RES26-04242")
    assert permit.status == PermitStatus.SUBMITTED
    assert permit.issued_on is None and permit.expires_on is None


def test_an_issued_permits_dates_survive_a_form_opened_before_it_was_issued(staff_client, settings):
    """The clerk opens a permit ready to issue; another clerk issues it; the first saves a new
    description with the page as it was: the issue and expiry dates stay."""
    settings.PERMIT_EXPIRY_DAYS = 180
    permit = PermitFactory(status=PermitStatus.READY_TO_ISSUE, issued_on=None, expires_on=None)
    url = reverse("admin:permits_permit_change", args=[permit.pk])
    data = admin_post_data(staff_client.get(url))
    assert "expires_on" not in data and "issued_on" not in data
    permit.move_to(PermitStatus.ISSUED, by=staff_client.user, note="at the counter")
    data.update(description="Corrected scope", issued_on="", expires_on="")
    assert staff_client.post(url, data).status_code == 302
    permit.refresh_from_db()
    assert permit.description == "Corrected scope"
    assert permit.issued_on == timezone.localdate()
    assert permit.expires_on == permit.issued_on + datetime.timedelta(days=180)


def test_a_new_inspection_takes_no_result_on_its_add_page(staff_client):
    from inspections.models import Inspection, InspectionStatus
    from tests.factories import InspectionTypeFactory

    permit = PermitFactory(status=PermitStatus.ISSUED)
    kind = InspectionTypeFactory(permit_type=permit.permit_type)
    url = reverse("admin:inspections_inspection_add")
    page = staff_client.get(url)
    form = page.context["adminform"].form
    for name in ("status", "result", "result_comments", "inspector_notes"):
        assert name not in form.fields, name
    data = admin_post_data(page)
    data.update(
        permit=permit.pk,
        inspection_type=kind.pk,
        scheduled_for=(timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
        result="passed",
        status="completed",
    )
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    inspection = Inspection.objects.get(permit=permit)
    assert inspection.status == InspectionStatus.SCHEDULED and inspection.result == ""


def test_an_assessed_fee_changes_amount_only_with_a_reason_recorded(staff_client):
    from permits.models import FeeAdjustment

    fee = FeeFactory(description="Plan review", amount="300.00")
    url = reverse("admin:permits_fee_change", args=[fee.pk])
    form = {
        "description": "Plan review",
        "amount": "250.00",
        "assessed_on": fee.assessed_on.isoformat(),
        "move_to": "",
        "move_note": "",
    }
    response = staff_client.post(url, form)
    assert response.status_code == 200
    assert "Give the reason the amount changes" in response.text
    fee.refresh_from_db()
    assert fee.amount == Decimal("300.00")
    response = staff_client.post(url, {**form, "adjust_reason": "Valuation corrected to $100,000"})
    assert response.status_code == 302
    fee.refresh_from_db()
    adjustment = FeeAdjustment.objects.get(fee=fee)
    assert (adjustment.previous_amount, adjustment.amount) == (Decimal("300.00"), Decimal("250.00"))
    assert adjustment.adjusted_by == staff_client.user
    assert "Valuation corrected" in staff_client.get(url).text
