"""Issue 13, requirements 5 and 6: every page a contractor or a clerk uses has no serious or
critical WCAG 2.1 AA violation, nor WCAG 2.2 AA (issue 23: axe's `wcag22aa` rules, the 24 px
target size) (axe-core, the copy shipped in the axe-playwright-python wheel,
injected under the strict CSP with page.evaluate), at a desktop's width and a phone's, and no
page is wider than a 390 px phone."""

import importlib.resources
import json

import pytest
from django.urls import reverse

from demo.seed import DEMO_PASSWORDS, seed_demo_city
from tests.e2e.test_registration import sign_in
from tests.e2e.test_staff_sign_in import sign_in_clerk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = importlib.resources.files("axe_playwright_python").joinpath("axe.min.js").read_text()
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}
RUN_AXE = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
  });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                  nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" "))}));
}"""
WIDER_THAN_THE_SCREEN = "() => document.documentElement.scrollWidth - window.innerWidth"
# What sticks out: the innermost elements past the right edge (not those inside a scrolling
# table, which scroll within it).
STICKING_OUT = """() => [...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1
    && (!(e.parentElement && e.parentElement.closest(".table-responsive"))
      || getComputedStyle(e).position !== "static")
    && ![...e.children].some((c) => c.getBoundingClientRect().right > window.innerWidth + 1))
  .slice(0, 3)
  .map((e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
       (e.className && typeof e.className === "string" ? "." + e.className.split(" ").join(".") : "")
       + " " + (e.textContent || "").trim().slice(0, 40))"""


def contractor_pages() -> list[str]:
    from inspections.models import Inspection
    from licenses.models import Contractor
    from payments.models import Payment
    from permits.models import Collection, Permit

    permit = (
        Permit.objects.filter(status="issued", licenses__holder__business_name__icontains="Lincoln")
        .order_by("number")
        .first()
    )
    business = Contractor.objects.get(
        memberships__user__username="demo", business_name__icontains="Lincoln"
    )
    pages = [
        reverse("dashboard"),
        reverse("permits:my_records"),
        reverse("permits:collections"),
        reverse("permits:detail", args=[permit.number]),
        reverse("inspections:request", args=[permit.number]),
        reverse("payments:cart"),
        reverse("payments:paid_items"),
        reverse("accounts:manage"),
        reverse("notifications:phone"),
        reverse("accounts:business", args=[business.pk]),
        reverse("payments:trust", args=[business.pk]),
        reverse("payments:trust_deposit", args=[business.pk]),
        reverse("permits:search") + "?address=wabash",
        # My Records filtered to a kind of "Needs your action" (issue 23: its totals link there).
        reverse("permits:my_records") + "?needs=ready",
        # Notifications (issue 24): the page, the preferences, the business's defaults.
        reverse("notifications:list"),
        reverse("notifications:preferences"),
        reverse("notifications:business_defaults", args=[business.pk]),
    ]
    from applications.models import Application
    from applications.selectors import STEP_SLUGS

    pages.append(reverse("applications:mine"))
    # Plan review, at each stage the demo city holds: the Reviews page, the Corrections page.
    for application in Application.objects.filter(
        applicant__username="demo", review_cycles__isnull=False
    ).distinct():
        pages.append(reverse("reviews:permit_reviews", args=[application.permit.number]))
        pages.append(reverse("applications:detail", args=[application.reference]))
    corrections = Application.objects.get(applicant__username="demo", street_name="N 5th St")
    pages.append(reverse("reviews:permit_corrections", args=[corrections.permit.number]))
    issued = Application.objects.get(applicant__username="demo", street_name="Lindbergh Blvd")
    pages.append(reverse("permits:detail", args=[issued.permit.number]))
    # Its conditions of approval (issue 23): answering one; the final inspection it holds.
    from reviews.models import ReviewCondition

    held = ReviewCondition.objects.filter(review__cycle__application=issued).first()
    pages.append(reverse("reviews:condition_answer", args=[issued.permit.number, held.pk]))
    pages.append(reverse("inspections:request", args=[issued.permit.number]))
    # Approved, a document needed before issuance: what it needs, and its Upload button.
    approved = Application.objects.get(applicant__username="demo", street_name="S Glenwood Ave")
    pages.append(reverse("permits:detail", args=[approved.permit.number]))
    pages.append(
        reverse("permits:detail", args=[approved.permit.number])
        + "?document=Energy%20Compliance%20%28REScheck%29"
    )
    if draft := Application.objects.filter(applicant__username="demo", status="draft").first():
        pages.append(reverse("applications:detail", args=[draft.reference]))
        pages += [reverse("applications:step", args=[draft.reference, step]) for step in STEP_SLUGS]
    if collection := Collection.objects.filter(owner__username="demo").first():
        pages.append(reverse("permits:collection", args=[collection.pk]))
    if inspection := Inspection.objects.filter(requested_by__username="demo").first():
        pages.append(reverse("inspections:detail", args=[inspection.pk]))
    if payment := Payment.objects.filter(user__username="demo", receipt_number__gt="").first():
        pages.append(reverse("payments:receipt", args=[payment.receipt_number]))
    return pages


def public_pages() -> list[str]:
    from permits.models import Permit

    permit = Permit.objects.order_by("number").first()
    return [
        reverse("home"),
        reverse("permits:search"),
        reverse("permits:search") + "?address=wabash",
        reverse("permits:detail", args=[permit.number]),
        reverse("account_login"),
        reverse("accounts:register"),
        reverse("applications:guide"),
        reverse("applications:type", args=["RES"]) + "?q_valuation=185000&q_plumbing_fixtures=x",
        reverse("permits:verify", args=[Permit.objects.exclude(check_code=None).get().check_code]),
    ]


def clerk_pages() -> list[str]:
    from inspections.models import Inspection
    from licenses.models import LicenseLink
    from payments.models import TrustAccount
    from permits.models import Fee, Permit

    permit = Permit.objects.filter(status="issued").order_by("number").first()
    pages = [
        reverse("admin:index"),
        reverse("admin:permits_permit_changelist"),
        reverse("admin:permits_permit_change", args=[permit.pk]),
        reverse("admin:permits_fee_change", args=[Fee.objects.filter(permit=permit).first().pk]),
        reverse("admin:inspections_inspection_changelist"),
        reverse("admin:inspections_inspection_queue"),
        reverse("admin:inspections_inspection_route"),
        reverse("admin:licenses_licenselink_changelist"),
        reverse("admin:payments_trustentry_add"),
        reverse("admin:payments_trustaccount_deposit"),
        reverse("admin:applications_intakequeue_changelist"),
        reverse("admin:applications_applicationtemplate_changelist"),
        reverse("admin:reviews_review_changelist"),
        reverse("admin:reviews_myreview_changelist"),
        reverse("admin:reviews_reviewdiscipline_changelist"),
        reverse("notifications:list"),
        reverse("notifications:preferences"),
    ]
    from applications.models import ApplicationTemplate
    from reviews.models import Review, ReviewDiscipline

    pages.append(
        reverse(
            "admin:reviews_reviewdiscipline_change",
            args=[ReviewDiscipline.objects.order_by("position").first().pk],
        )
    )
    for review in Review.objects.filter(status__in=["in_progress", "corrections_required"]):
        pages.append(reverse("admin:reviews_review_change", args=[review.pk]))
    pages.append(reverse("admin:reviews_reviewcondition_changelist"))
    pages.append(reverse("admin:reviews_answeredcondition_changelist"))

    if template := ApplicationTemplate.objects.first():
        pages.append(reverse("admin:applications_applicationtemplate_change", args=[template.pk]))
    if inspection := Inspection.objects.filter(status="scheduled").first():
        pages.append(reverse("admin:inspections_inspection_change", args=[inspection.pk]))
    if link := LicenseLink.objects.first():
        pages.append(reverse("admin:licenses_licenselink_change", args=[link.pk]))
    if account := TrustAccount.objects.first():
        pages.append(reverse("admin:payments_trustaccount_change", args=[account.pk]))
    return pages


# In a list of permits (or of inspections) on a phone, the number, status (or result) and fees due
# show without scrolling.
KEY_COLUMNS_CUT = """() => [...document.querySelectorAll("table.table-permits th[scope=col]")]
  .filter((th) => /^(Permit number|Permit|Status|Result|Fees due)$/.test(th.textContent.trim()))
  .filter((th) => th.getBoundingClientRect().right > window.innerWidth + 1)
  .map((th) => th.textContent.trim() + " by " +
       Math.round(th.getBoundingClientRect().right - window.innerWidth) + "px")"""


def check(page, base_url: str, paths: list[str], who: str) -> list[str]:
    problems = []
    for width_name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        for path in paths:
            response = page.goto(base_url + path)
            assert response.status == 200, f"{who} {path}: {response.status}"
            # The page itself, not a sign-in page it was sent to.
            assert page.url.split("#")[0] == base_url + path, f"{who} {path}: at {page.url}"
            page.evaluate(AXE)
            for violation in page.evaluate(RUN_AXE):
                problems.append(f"{who} {width_name} {path}: {json.dumps(violation)}")
            if width_name == "phone" and (cut := page.evaluate(KEY_COLUMNS_CUT)):
                problems.append(f"{who} phone {path}: {cut} need scrolling sideways")
            if width_name == "phone" and not path.startswith("/admin/"):
                wider = page.evaluate(WIDER_THAN_THE_SCREEN)
                if wider > 0:
                    culprits = page.evaluate(STICKING_OUT)
                    problems.append(
                        f"{who} phone {path}: {wider}px wider than the screen ({culprits})"
                    )
    return problems


def test_every_page_passes_axe_at_both_widths_and_fits_a_phone(page, live_server):
    seed_demo_city()
    problems = check(page, live_server.url, public_pages(), "visitor")
    # A wrong check code: its page (a 404, with a box to type the code again).
    for width, height in WIDTHS.values():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(live_server.url + reverse("permits:verify", args=["ZZZZ2222"]))
        page.evaluate(AXE)
        problems += [f"visitor wrong code: {json.dumps(v)}" for v in page.evaluate(RUN_AXE)]
    sign_in(page, live_server.url, "demo", DEMO_PASSWORDS["demo"])
    problems += check(page, live_server.url, contractor_pages(), "contractor")
    # The inspection request's date step (its days off were greyed too light to read).
    request_path = contractor_pages()[4]
    page.goto(live_server.url + request_path)
    page.get_by_role("radio").first.check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/date/")
    problems += check(page, live_server.url, [page.url.removeprefix(live_server.url)], "contractor")
    page.context.clear_cookies()
    sign_in_clerk(page, live_server.url)
    problems += check(page, live_server.url, clerk_pages(), "clerk")
    assert not problems, "\n".join(problems)
