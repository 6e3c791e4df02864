"""Issue 23, requirement 9: on a 390 px phone the permit page's inspection tables and Paid
Items show their key columns (inspection: type, date, result; paid items: receipt number,
status, total) on the screen, with nothing to scroll sideways."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from payments.models import EntryKind, TrustAccount, TrustEntry
from payments.services.cart import cart_add_permit
from payments.services.trust import trust_pay
from permits.models import PermitStatus
from tests.e2e.test_registration import sign_in
from tests.factories import (
    TEST_PASSWORD,
    FeeFactory,
    InspectionFactory,
    InspectionTypeFactory,
    LicenseFactory,
    PermitFactory,
    contractor_user,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
COMMENTS = (
    "Nail plates missing at the kitchen wall penetrations; the smoke detector in the hall "
    "bedroom is not interconnected. Correct both and request a re-inspection."
)

# For each table: every key cell's right edge within the screen, the table no wider than its
# box, and its scrolling wrapper with nothing to scroll.
MEASURE = """(table) => {
  const wrapper = table.closest('.table-responsive') || table.parentElement;
  const cells = [...table.querySelectorAll('tbody [data-label]')]
    .filter((cell) => KEYS.includes(cell.dataset.label) && cell.offsetParent !== null)
    .map((cell) => {
      const box = cell.getBoundingClientRect();
      return {label: cell.dataset.label, left: box.left, right: box.right, text: cell.innerText};
    });
  return {
    viewport: document.documentElement.clientWidth,
    tableScroll: table.scrollWidth, tableClient: table.clientWidth,
    wrapperScroll: wrapper.scrollWidth, wrapperClient: wrapper.clientWidth,
    pageScroll: document.documentElement.scrollWidth,
    cells,
  };
}"""


def check_table(page, selector: str, keys: list[str], rows: int) -> None:
    tables = page.locator(selector)
    assert tables.count() >= 1, selector
    for index in range(tables.count()):
        found = tables.nth(index).evaluate(MEASURE.replace("KEYS", repr(keys)))
        assert found["tableScroll"] <= found["tableClient"], found
        assert found["wrapperScroll"] <= found["wrapperClient"], found
        assert found["pageScroll"] <= found["viewport"], found
        labels = [cell["label"] for cell in found["cells"]]
        for key in keys:
            assert labels.count(key) >= rows, (key, found)
        for cell in found["cells"]:
            assert cell["left"] >= 0 and cell["right"] <= found["viewport"], cell


def test_inspection_tables_and_paid_items_fit_a_phone(page, live_server):
    license = LicenseFactory(holder__business_name="Prairie Electric Company of Springfield")
    user = contractor_user(license, can_pay=True)
    permit = PermitFactory(licenses=[license], status=PermitStatus.ISSUED)
    rough_in = InspectionTypeFactory(
        permit_type=permit.permit_type, name="Rough-In Electrical and Framing Combination"
    )
    for day, result in ((2, "failed"), (5, "passed")):
        InspectionFactory(
            permit=permit,
            inspection_type=rough_in,
            status="completed",
            result=result,
            completed_on=datetime.date(2026, 11, day),
            result_comments=COMMENTS,
        )
    InspectionFactory(
        permit=permit,
        inspection_type=rough_in,
        status="scheduled",
        scheduled_for=datetime.date.today() + datetime.timedelta(days=3),
    )
    FeeFactory(permit=permit, description="Electrical permit fee", amount=Decimal("1119.10"))
    account = TrustAccount.objects.create(contractor=license.holder)
    TrustEntry.objects.create(
        account=account, kind=EntryKind.DEPOSIT, amount=Decimal("5000.00"), reference="Check 1"
    )
    cart_add_permit(user=user, permit=permit)
    trust_pay(user=user, account=account, key=uuid.uuid4())

    page.set_viewport_size(PHONE)
    # The public page's inspection history: no sign-in.
    page.goto(f"{live_server.url}/permits/{permit.number}/")
    check_table(
        page,
        "table:has(caption:text('Inspections of permit'))",
        ["Inspection", "Completed", "Result"],
        2,
    )

    sign_in(page, live_server.url, user.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/permits/{permit.number}/")
    check_table(
        page,
        "table:has(caption:text('Completed inspections'))",
        ["Inspection", "Date", "Result"],
        2,
    )
    check_table(
        page, "table:has(caption:text('Upcoming inspections'))", ["Inspection", "Date", "Status"], 1
    )

    page.goto(live_server.url + reverse("payments:paid_items"))
    check_table(page, "table:has(caption:text('Your payments'))", ["Receipt", "Status", "Total"], 1)
    assert page.get_by_text("$1,119.10").first.is_visible()


def test_the_trust_history_my_licenses_and_documents_fit_a_phone(page, live_server):
    """From the newcomer walk: the trust account's Amount and Balance, a license request's
    status and its Remove button, and a document's size were off the screen at 390 px."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from permits.models import PermitDocument

    license = LicenseFactory(holder__business_name="Prairie Electric Company of Springfield")
    user = contractor_user(license, can_pay=True, can_upload=True)
    permit = PermitFactory(licenses=[license], status=PermitStatus.ISSUED)
    account = TrustAccount.objects.create(contractor=license.holder)
    TrustEntry.objects.create(
        account=account,
        kind=EntryKind.DEPOSIT,
        amount=Decimal("12500.00"),
        reference="Check 10442 from Prairie Electric Company of Springfield",
    )
    PermitDocument.objects.create(
        permit=permit,
        file=SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n%%EOF\n"),
        original_name="electrical-single-line-diagram-revision-3-final.pdf",
        content_type="application/pdf",
        size=1234567,
        uploaded_by=user,
    )

    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, user.username, TEST_PASSWORD)
    page.goto(live_server.url + reverse("payments:trust", args=[license.holder_id]))
    check_table(page, "table:has(caption:text('Trust account history'))", ["Amount", "Balance"], 1)
    page.goto(live_server.url + reverse("accounts:manage"))
    check_table(page, "table:has(caption:text('Licenses on your account'))", ["Request"], 1)
    page.goto(f"{live_server.url}/permits/{permit.number}/")
    check_table(page, "table:has(caption:text('Documents uploaded'))", ["File", "Size"], 1)
