"""Issue 23, requirement 13 (last bullet): a waived fee goes back to due only while its permit has
never been issued (nor closed), and only by city staff who may change fees. The fee's own rule
(`Fee.check_move`) refuses it whoever asks; admin offers "Move to: Due" only where it would be
made."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from core.status import InvalidStatusMove
from permits.models import Fee, FeeStatus, PermitStatus
from tests.factories import FeeFactory, PermitFactory, UserFactory, moves, set_status
from tests.portal.test_admin import admin_post_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def fee_clerk():
    """City staff with the permission to change fees (and to use admin's fee pages)."""
    user = UserFactory(is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["change_fee", "view_fee", "view_permit"])
    )
    return user


def waived_fee(permit_status: str, *, issued_before: bool = False) -> Fee:
    permit = PermitFactory(status=permit_status, issued_on=None)
    if issued_before:
        permit.issued_on = permit.created_at.date()
        permit.save(update_fields=["issued_on"])
    # A second fee still due keeps a Ready to Issue permit from being issued by the waiver.
    FeeFactory(permit=permit, description="Plan review fee")
    fee = FeeFactory(permit=permit)
    set_status(fee, FeeStatus.WAIVED)
    return Fee.objects.get(pk=fee.pk)


@pytest.mark.parametrize(
    "status",
    [
        PermitStatus.SUBMITTED,
        PermitStatus.IN_REVIEW,
        PermitStatus.PENDING_APPROVAL,
        PermitStatus.READY_TO_ISSUE,
    ],
)
def test_a_waiver_is_withdrawn_before_the_permit_is_issued(fee_clerk, status):
    fee = waived_fee(status)
    fee.move_to(FeeStatus.DUE, by=fee_clerk, note="Waiver entered in error")
    assert Fee.objects.get(pk=fee.pk).status == FeeStatus.DUE
    (move,) = moves(fee)
    assert (move.from_status, move.to_status, move.changed_by) == (
        FeeStatus.WAIVED,
        FeeStatus.DUE,
        fee_clerk,
    )


@pytest.mark.parametrize(
    ("status", "said"),
    [
        (PermitStatus.ISSUED, "has been issued"),
        (PermitStatus.EXPIRED, "has been issued"),
        (PermitStatus.FINALED, "has been issued"),
        (PermitStatus.CANCELLED, "is cancelled"),
    ],
)
def test_a_waiver_stands_once_the_permit_is_issued_or_closed(fee_clerk, status, said):
    fee = waived_fee(status, issued_before=status != PermitStatus.CANCELLED)
    with pytest.raises(InvalidStatusMove, match=f"stays waived: permit .* {said}"):
        fee.move_to(FeeStatus.DUE, by=fee_clerk, note="Waiver entered in error")
    assert Fee.objects.get(pk=fee.pk).status == FeeStatus.WAIVED
    assert moves(fee) == []
    assert FeeStatus.DUE not in fee.manual_moves_from(FeeStatus.WAIVED)


def test_a_permit_issued_once_and_back_before_issue_keeps_its_waivers(fee_clerk):
    """Its issue date says it was issued: the waiver stood on an issued permit."""
    fee = waived_fee(PermitStatus.READY_TO_ISSUE, issued_before=True)
    with pytest.raises(InvalidStatusMove, match="has been issued"):
        fee.move_to(FeeStatus.DUE, by=fee_clerk, note="Waiver entered in error")
    assert Fee.objects.get(pk=fee.pk).status == FeeStatus.WAIVED


@pytest.mark.parametrize("who", ["nobody", "staff without the permission", "inactive clerk"])
def test_only_staff_who_may_change_fees_withdraw_a_waiver(fee_clerk, who):
    fee = waived_fee(PermitStatus.IN_REVIEW)
    if who == "nobody":
        by = None
    elif who == "staff without the permission":
        by = UserFactory(is_staff=True)
    else:
        fee_clerk.is_active = False
        fee_clerk.save()
        by = fee_clerk
    with pytest.raises(InvalidStatusMove, match="Only city staff who may change fees"):
        fee.move_to(FeeStatus.DUE, by=by, note="Waiver entered in error")
    assert Fee.objects.get(pk=fee.pk).status == FeeStatus.WAIVED


def move_choices(client, fee: Fee) -> list[str]:
    page = client.get(reverse("admin:permits_fee_change", args=[fee.pk]))
    return [value for value, _ in page.context["adminform"].form.fields["move_to"].choices]


def test_admin_offers_due_for_a_waived_fee_only_before_issue(client, fee_clerk):
    client.force_login(fee_clerk)
    before = waived_fee(PermitStatus.READY_TO_ISSUE)
    issued = waived_fee(PermitStatus.ISSUED, issued_before=True)
    assert move_choices(client, before) == ["", FeeStatus.DUE]
    assert move_choices(client, issued) == [""]


def test_admin_refuses_due_for_a_waived_fee_on_an_issued_permit_posted_anyway(client, fee_clerk):
    """A page opened before the permit was issued, saved after: the move is refused (it is no
    longer a choice), and the fee stays waived."""
    client.force_login(fee_clerk)
    fee = waived_fee(PermitStatus.READY_TO_ISSUE)
    url = reverse("admin:permits_fee_change", args=[fee.pk])
    data = admin_post_data(client.get(url))
    data.update(move_to=FeeStatus.DUE, move_note="Waiver entered in error")
    set_status(fee.permit, PermitStatus.ISSUED)
    response = client.post(url, data)
    assert response.status_code == 200
    assert "move_to" in response.context["adminform"].form.errors
    assert Fee.objects.get(pk=fee.pk).status == FeeStatus.WAIVED


def test_admin_withdraws_a_waiver_before_issue(client, fee_clerk):
    client.force_login(fee_clerk)
    fee = waived_fee(PermitStatus.READY_TO_ISSUE)
    url = reverse("admin:permits_fee_change", args=[fee.pk])
    data = admin_post_data(client.get(url))
    data.update(move_to=FeeStatus.DUE, move_note="Waiver entered in error")
    assert client.post(url, data).status_code == 302
    assert Fee.objects.get(pk=fee.pk).status == FeeStatus.DUE
