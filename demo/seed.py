"""Load the demo city of `city.json` into the database.

The city itself is data (`city.json`): its businesses and their licenses, permit and inspection
types, the holidays, the staff and contractor logins, and 300 permits with their fees,
inspections and contacts. This module only turns that data into rows.

Every date in the data is a number of business days (Monday to Friday, not a holiday) from the
day the city is seeded, negative for the past. Counting in business days keeps the order of any
two dates whatever day the city is seeded, and puts every inspection on a day the department
works. A permit number's `{yy}` is the year of its application, as the city's counter numbers
them.

What the data's names mean where they are not the model's: a business's `contact` and a permit's
`owner` are names; `license`, `holder`, `user`, `requested_by`, `decided_by` and `by` name the
license, business or user of that number or name elsewhere in the file; a user whose `password` is
null has not signed in yet (named on permits only); `on` is the day of an inspection (scheduled
for, and done on, when completed); `assessed` is the day a fee was assessed.

Every object is found by its natural key before it is made, so seeding twice changes nothing. A
permit is found by its type and sequence (RES25-0104 is RES{yy}-0104), so a city seeded on an
earlier day, when a permit's application fell in another year, is not seeded again on top.
"""

import datetime
import json
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from applications import services as app_services
from applications.models import (
    Application,
    ApplicationTemplate,
    DocumentRequirement,
    FeeRule,
    Question,
    TemplateStatus,
)
from applications.selectors import open_template_for, template_parts
from inspections.models import Holiday, Inspection, InspectionArea, InspectionType, Inspector
from inspections.scheduling import is_business_day
from inspections.services import area_for, inspector_for
from licenses.models import (
    ROLE_FIELDS,
    Contractor,
    License,
    LicenseLink,
    LicenseType,
    Membership,
)
from payments.models import EntryKind, TrustAccount, TrustEntry
from payments.services.cart import cart_add_permit
from payments.services.trust import trust_pay
from permits.cards import permit_card_refresh
from permits.models import Fee, Permit, PermitContact, PermitLicense, PermitStatus, PermitType
from reviews import services as review_services
from reviews.models import (
    Review,
    ReviewComment,
    ReviewCondition,
    ReviewCycle,
    ReviewDiscipline,
    ReviewStatus,
)

CITY_FILE = Path(__file__).with_name("city.json")

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
# When the demo's inspectors result their inspections, and when contractors asked for them.
RESULTED_AT = datetime.time(14, 0)
REQUESTED_AT = datetime.time(10, 0)
PERMIT_NUMBER = re.compile(r"^([A-Z]+)(?:\d{2}|\{yy\})-(\d+)$")


@cache
def load_city() -> dict[str, Any]:
    return json.loads(CITY_FILE.read_text(encoding="utf-8"))


def demo_passwords() -> dict[str, str]:
    """The logins the README lists. Demo only: seed_demo refuses to run with production
    settings."""
    return {user["username"]: user["password"] for user in load_city()["users"] if user["password"]}


DEMO_PASSWORDS = demo_passwords()


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)

    def count(self, what: str, created: bool) -> None:
        if created:
            self.created[what] = self.created.get(what, 0) + 1


def holiday_on(rule: dict[str, Any], year: int) -> datetime.date:
    """A holiday rule of the data in one year: a fixed day of a month, or the nth (-1: last)
    weekday of a month, `days_after` it."""
    if "day" in rule:
        return datetime.date(year, rule["month"], rule["day"])
    weekday = WEEKDAYS.index(rule["weekday"])
    if rule["nth"] > 0:
        day = datetime.date(year, rule["month"], 1)
        day += datetime.timedelta(days=(weekday - day.weekday()) % 7)
        day += datetime.timedelta(weeks=rule["nth"] - 1)
    else:
        next_month = datetime.date(year + rule["month"] // 12, rule["month"] % 12 + 1, 1)
        day = next_month - datetime.timedelta(days=1)
        day -= datetime.timedelta(days=(day.weekday() - weekday) % 7)
        day += datetime.timedelta(weeks=rule["nth"] + 1)
    return day + datetime.timedelta(days=rule.get("days_after", 0))


class Calendar:
    """The data's dates (business days from the seeding day) as dates."""

    def __init__(self, today: datetime.date, holiday_rules: list[dict[str, Any]]) -> None:
        self.today = today
        # Wide enough for any date a demo city needs; holidays outside it would only be worked.
        self.holidays = {
            holiday_on(rule, year)
            for rule in holiday_rules
            for year in range(today.year - 10, today.year + 3)
        }
        self._ahead: list[datetime.date] = []
        self._behind: list[datetime.date] = []

    def day(self, offset: int) -> datetime.date:
        if offset == 0:
            return self.today
        days, step = (self._ahead, 1) if offset > 0 else (self._behind, -1)
        while len(days) < abs(offset):
            day = days[-1] if days else self.today
            day += datetime.timedelta(days=step)
            while not is_business_day(day, self.holidays):
                day += datetime.timedelta(days=step)
            days.append(day)
        return days[abs(offset) - 1]

    def at(self, offset: int, time: datetime.time) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(self.day(offset), time))


@dataclass
class Seeding:
    city: dict[str, Any]
    calendar: Calendar
    report: SeedReport
    users: dict[str, Any] = field(default_factory=dict)
    businesses: dict[str, Contractor] = field(default_factory=dict)
    licenses: dict[str, License] = field(default_factory=dict)
    permit_types: dict[str, PermitType] = field(default_factory=dict)
    inspection_types: dict[tuple[str, str], InspectionType] = field(default_factory=dict)
    area_inspectors: dict[InspectionArea | None, Inspector | None] = field(default_factory=dict)


@transaction.atomic
def seed_demo_city(*, today: datetime.date | None = None) -> SeedReport:
    """Seed the city of `city.json` as of `today` (the local date unless given)."""
    city = load_city()
    today = today or timezone.localdate()
    seeding = Seeding(city=city, calendar=Calendar(today, city["holidays"]), report=SeedReport())
    seed_holidays(seeding)
    seed_users(seeding)
    seed_staff_authenticators(seeding)
    seed_businesses(seeding)
    seed_permit_types(seeding)
    seed_inspection_areas(seeding)
    seed_memberships(seeding)
    seed_permits(seeding)
    seed_application_forms(seeding)
    seed_application_drafts(seeding)
    seed_review_disciplines(seeding)
    seed_application_stages(seeding)
    return seeding.report


def seed_holidays(seeding: Seeding) -> None:
    year = seeding.calendar.today.year
    for this_year in (year, year + 1):
        for rule in seeding.city["holidays"]:
            _, created = Holiday.objects.get_or_create(
                date=holiday_on(rule, this_year), defaults={"name": rule["name"]}
            )
            seeding.report.count("holidays", created)


def seed_users(seeding: Seeding) -> None:
    for spec in seeding.city["groups"]:
        group, _ = Group.objects.get_or_create(name=spec["name"])
        granted = []
        for app_label, codenames in spec["permissions"].items():
            permissions = Permission.objects.filter(content_type__app_label=app_label)
            if codenames != "all":
                permissions = permissions.filter(codename__in=codenames)
            granted += permissions
        # Exactly the city's list: a permission taken off it (the clerks' user admin) is taken
        # from a demo seeded before too.
        group.permissions.set(granted)

    user_model = get_user_model()
    for spec in seeding.city["users"]:
        defaults = {
            "email": spec["email"],
            "first_name": spec["first_name"],
            "last_name": spec["last_name"],
            "is_staff": spec.get("staff", False),
            "is_superuser": spec.get("superuser", False),
            "phone": spec.get("phone", ""),
        }
        for kind in ("business", "mailing"):
            address = spec.get(f"{kind}_address", {})
            defaults[f"{kind}_address"] = address.get("address", "")
            for part in ("city", "state", "zip"):
                defaults[f"{kind}_{part}"] = address.get(part, "")
        user, created = user_model.objects.get_or_create(
            username=spec["username"], defaults=defaults
        )
        if created:
            # No password: a person named on permits who has not signed in yet.
            if spec["password"]:
                user.set_password(spec["password"])
            else:
                user.set_unusable_password()
            user.save()
        seeding.report.count("users", created)
        user.groups.add(*(Group.objects.get(name=name) for name in spec.get("groups", [])))
        if spec.get("email_verified"):
            EmailAddress.objects.get_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )
        seeding.users[spec["username"]] = user


def seed_staff_authenticators(seeding: Seeding) -> None:
    """Staff sign in with a second factor (STAFF_REQUIRE_MFA): each demo staff login has an
    authenticator app set up with the city's published demo key, and its recovery codes.
    `manage.py demo_totp_code` prints the current code (README: Demo logins)."""
    from django.apps import apps

    if not apps.is_installed("allauth.mfa"):
        return
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.utils import encrypt

    secret = seeding.city["staff_authenticator_key"]
    for spec in seeding.city["users"]:
        if not spec.get("staff"):
            continue
        user = seeding.users[spec["username"]]
        _, created = Authenticator.objects.get_or_create(
            user=user,
            type=Authenticator.Type.TOTP,
            defaults={"data": {"secret": encrypt(secret)}},
        )
        if created:
            RecoveryCodes.activate(user)
        seeding.report.count("staff authenticator apps", created)


def seed_businesses(seeding: Seeding) -> None:
    license_types = {}
    for spec in seeding.city["license_types"]:
        license_types[spec["prefix"]], created = LicenseType.objects.get_or_create(
            prefix=spec["prefix"], defaults={"name": spec["name"]}
        )
        seeding.report.count("license types", created)

    for spec in seeding.city["businesses"]:
        seeding.businesses[spec["name"]], created = Contractor.objects.get_or_create(
            business_name=spec["name"],
            defaults={
                "contact_name": spec["contact"],
                "address": spec["address"],
                "city": spec["city"],
                "state": spec["state"],
                "zip_code": spec["zip"],
                "phone": spec["phone"],
                "email": spec["email"],
            },
        )
        seeding.report.count("contractors", created)

    for spec in seeding.city["licenses"]:
        seeding.licenses[spec["number"]], created = License.objects.get_or_create(
            number=spec["number"],
            defaults={
                "license_type": license_types[spec["type"]],
                "holder": seeding.businesses[spec["holder"]],
                "status": spec["status"],
                "issued_on": seeding.calendar.day(spec["issued"]),
                "expires_on": seeding.calendar.day(spec["expires"]),
            },
        )
        seeding.report.count("licenses", created)


def seed_permit_types(seeding: Seeding) -> None:
    for spec in seeding.city["permit_types"]:
        permit_type, created = PermitType.objects.get_or_create(
            code=spec["code"], defaults={"name": spec["name"]}
        )
        seeding.permit_types[spec["code"]] = permit_type
        seeding.report.count("permit types", created)
        for inspection in spec["inspections"]:
            kind, created = InspectionType.objects.get_or_create(
                permit_type=permit_type,
                code=inspection["code"],
                defaults={"name": inspection["name"], "is_final": inspection.get("final", False)},
            )
            seeding.inspection_types[spec["code"], inspection["code"]] = kind
            seeding.report.count("inspection types", created)


def seed_inspection_areas(seeding: Seeding) -> None:
    for spec in seeding.city["inspection_areas"]:
        area, created = InspectionArea.objects.get_or_create(
            name=spec["name"], defaults={"zip_codes": spec["zip_codes"]}
        )
        seeding.report.count("inspection areas", created)
        for username in spec["inspectors"]:
            _, created = Inspector.objects.get_or_create(
                user=seeding.users[username], defaults={"area": area}
            )
            seeding.report.count("inspectors", created)


def seed_memberships(seeding: Seeding) -> None:
    users = seeding.users
    for spec in seeding.city["license_links"]:
        _, created = LicenseLink.objects.get_or_create(
            user=users[spec["user"]],
            license=seeding.licenses[spec["license"]],
            defaults={
                "status": spec["status"],
                "decided_by": users[spec["decided_by"]],
                "decided_at": timezone.now(),
            },
        )
        seeding.report.count("license links", created)

    for spec in seeding.city["memberships"]:
        _, created = Membership.objects.get_or_create(
            user=users[spec["user"]],
            contractor=seeding.businesses[spec["business"]],
            defaults={ROLE_FIELDS[role]: True for role in spec["roles"]},
        )
        seeding.report.count("memberships", created)

    for spec in seeding.city["trust_accounts"]:
        account, created = TrustAccount.objects.get_or_create(
            contractor=seeding.businesses[spec["business"]],
            defaults={"low_balance_threshold": Decimal(spec["low_balance_threshold"])},
        )
        if created:
            for deposit in spec["deposits"]:
                TrustEntry.objects.create(
                    account=account,
                    kind=EntryKind.DEPOSIT,
                    amount=Decimal(deposit["amount"]),
                    reference=deposit["reference"],
                    created_by=users[deposit["by"]],
                )
        seeding.report.count("trust accounts", created)


def permit_key(number: str) -> tuple[str, str] | None:
    """A permit's type and sequence, without the year: RES25-0104 and RES{yy}-0104 agree."""
    match = PERMIT_NUMBER.match(number)
    return (match[1], match[2]) if match else None


def seed_permits(seeding: Seeding) -> None:
    day = seeding.calendar.day
    existing = {permit_key(number) for number in Permit.objects.values_list("number", flat=True)}
    for spec in seeding.city["permits"]:
        if permit_key(spec["number"]) in existing:
            continue
        applied = day(spec["applied"])
        permit = Permit.objects.create(
            number=spec["number"].replace("{yy}", f"{applied:%y}"),
            permit_type=seeding.permit_types[spec["type"]],
            description=spec["description"],
            status=spec["status"],
            street_number=spec["street_number"],
            street_name=spec["street_name"],
            unit=spec.get("unit", ""),
            city=seeding.city["city"]["name"],
            state=seeding.city["city"]["state"],
            zip_code=spec["zip"],
            parcel_number=spec["parcel"],
            valuation=Decimal(spec["valuation"]),
            owner_name=spec["owner"],
            applied_on=applied,
            issued_on=day(spec["issued"]) if "issued" in spec else None,
            expires_on=day(spec["expires"]) if "expires" in spec else None,
            finaled_on=day(spec["finaled"]) if "finaled" in spec else None,
        )
        seeding.report.count("permits", True)
        if "license" in spec:
            PermitLicense.objects.create(permit=permit, license=seeding.licenses[spec["license"]])
        Fee.objects.bulk_create(
            Fee(
                permit=permit,
                description=fee["description"],
                amount=Decimal(fee["amount"]),
                status=fee["status"],
                assessed_on=day(fee["assessed"]),
            )
            for fee in spec.get("fees", [])
        )
        for contact in spec.get("contacts", []):
            PermitContact.objects.create(
                permit=permit, user=seeding.users[contact["user"]], contact_type=contact["type"]
            )
        seed_inspections(seeding, permit, spec)


def seed_inspections(seeding: Seeding, permit: Permit, spec: dict[str, Any]) -> None:
    calendar = seeding.calendar
    area = area_for(permit)
    resulted = []
    for visit in spec.get("inspections", []):
        on = calendar.day(visit["on"])
        inspection = Inspection(
            permit=permit,
            inspection_type=seeding.inspection_types[spec["type"], visit["type"]],
            status=visit["status"],
            scheduled_for=on,
            area=area,
            contact_name=visit.get("contact", ""),
            contact_phone=visit.get("phone", ""),
        )
        if "requested_by" in visit:
            inspection.requested_by = seeding.users[visit["requested_by"]]
        if visit["status"] == Inspection.Status.SCHEDULED:
            inspection.request_notes = visit.get("notes", "")
            # One at a time: each assignment counts the inspectors' loads of the day so far.
            inspection.inspector = inspector_for(area=area, day=on)
            inspection.save()
            continue
        # Past days have no open requests, so the area's inspector is the same every day.
        if area not in seeding.area_inspectors:
            seeding.area_inspectors[area] = inspector_for(area=area, day=on)
        inspection.inspector = seeding.area_inspectors[area]
        inspection.completed_on = on
        inspection.result = visit["result"]
        inspection.result_comments = visit.get("comments", "")
        inspection.inspector_notes = visit.get("notes", "")
        inspection.resulted_by = inspection.inspector.user if inspection.inspector else None
        inspection.resulted_at = calendar.at(visit["on"], RESULTED_AT)
        inspection.created_at = calendar.at(visit["on"] - 1, REQUESTED_AT)
        resulted.append(inspection)
    Inspection.objects.bulk_create(resulted)


def seed_application_forms(seeding: Seeding) -> None:
    """Each form of `application_forms`, as version 1 of its type's form, published."""
    clerk = seeding.users.get("clerk")
    for spec in seeding.city["application_forms"]:
        permit_type = seeding.permit_types[spec["type"]]
        if ApplicationTemplate.objects.filter(permit_type=permit_type).exists():
            seeding.report.count("application forms", False)
            continue
        publish_application_form(permit_type, spec, by=clerk)
        seeding.report.count("application forms", True)


def publish_application_form(
    permit_type: PermitType, spec: dict[str, Any], *, by=None
) -> ApplicationTemplate:
    """A form of city.json's `application_forms` (questions, documents, fee schedule) as a new
    version of the type's form, published (the benchmark's city takes the demo's forms too)."""
    template = ApplicationTemplate.objects.create(
        permit_type=permit_type, category=spec["category"], summary=spec["summary"]
    )
    for position, question in enumerate(spec["questions"], start=1):
        show_if = question.get("show_if", ["", ""])
        Question.objects.create(
            template=template,
            position=position * 10,
            section=question["section"],
            key=question["key"],
            label=question["label"],
            kind=question["kind"],
            required=question["required"],
            help_text=question.get("help", ""),
            unit=question.get("unit", ""),
            whole_number=question.get("whole", False),
            min_value=question.get("min"),
            max_value=question.get("max"),
            choices="\n".join(question.get("choices", [])),
            show_if_key=show_if[0],
            show_if_value=show_if[1],
            fills=question.get("fills", ""),
        )
    for position, document in enumerate(spec["documents"], start=1):
        DocumentRequirement.objects.create(
            template=template,
            position=position,
            name=document["name"],
            stage=document["stage"],
            formats=document["formats"],
            help_text=document["help"],
        )
    for position, fee in enumerate(spec["fees"], start=1):
        only_if = fee.get("only_if", ["", ""])
        FeeRule.objects.create(
            template=template,
            position=position,
            description=fee["description"],
            kind=fee["kind"],
            amount=Decimal(fee.get("amount", "0")),
            rate=Decimal(fee.get("rate", "0")),
            minimum=Decimal(fee.get("minimum", "0")),
            basis_key=fee.get("basis", ""),
            brackets=fee.get("brackets", ""),
            only_if_key=only_if[0],
            only_if_value=only_if[1],
        )
    template.move_to(TemplateStatus.PUBLISHED, by=by, note="From the demo city's forms")
    return template


def seed_review_disciplines(seeding: Seeding) -> None:
    """Plan review's disciplines, each with its reviewers' group and the types it reviews."""
    for position, spec in enumerate(seeding.city["review_disciplines"], start=1):
        discipline, created = ReviewDiscipline.objects.get_or_create(
            name=spec["name"],
            defaults={
                "group": Group.objects.get(name=spec["group"]),
                "target_days": spec["target_days"],
                "position": position,
            },
        )
        discipline.permit_types.add(*(seeding.permit_types[code] for code in spec["types"]))
        seeding.report.count("review disciplines", created)


DEMO_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
STAGES = ("submitted", "in_review", "corrections", "approved", "issued")
# Each stage's days, in business days before the seeding day: applied, accepted, decided,
# issued (a stage that has not got that far ignores the rest).
STAGE_DAYS = {
    "submitted": (-1, None, None, None),
    "in_review": (-6, -5, None, None),
    "corrections": (-16, -15, -8, None),
    "approved": (-20, -19, -4, None),
    # Paid from the trust account, and so issued, on the seeding day itself: the ledger is
    # append-only (a database trigger), its entry is dated when it is written.
    "issued": (-20, -19, -6, 0),
}


def _demo_upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, DEMO_PDF, content_type="application/pdf")


def seed_application_stages(seeding: Seeding) -> None:
    """Online applications of `demo` at every stage of their way, made as people make them
    (the services the pages call): submitted and waiting at intake; in review; corrections
    asked (Zoning); approved with fees due; issued (paid from the trust account), with its
    permit card."""
    demo, clerk = seeding.users["demo"], seeding.users["clerk"]
    reviewers = {"Building": seeding.users["plans"], "Zoning": seeding.users["zoning"]}
    for spec in seeding.city["application_stages"]:
        exists = Application.objects.filter(
            applicant=demo, street_number=spec["street_number"], street_name=spec["street_name"]
        ).exists()
        seeding.report.count("applications at every stage", not exists)
        if exists:
            continue
        application = _seed_application_stage(seeding, spec, demo, clerk, reviewers)
        _date_application_stage(seeding, application, STAGE_DAYS[spec["stage"]])


def _date_application_stage(seeding: Seeding, application, days) -> None:
    """Made through the services today; dated as of the seeding day, each step on its day."""
    from django.contrib.contenttypes.models import ContentType

    from core.models import Event

    applied, accepted, decided, issued = days
    application.refresh_from_db()

    def at(offset: int, time: datetime.time) -> datetime.datetime:
        if offset == 0:
            return timezone.make_aware(datetime.datetime.combine(seeding.calendar.today, time))
        return seeding.calendar.at(offset, time)

    nine, ten, three = datetime.time(9), datetime.time(10), datetime.time(15)
    Application.objects.filter(pk=application.pk).update(
        created_at=at(applied, datetime.time(8, 30)),
        updated_at=at(applied, nine),
        submitted_at=at(applied, nine),
        expires_on=None,
    )
    application.documents.update(uploaded_at=at(applied, datetime.time(8, 45)))
    application.submissions.update(
        submitted_at=at(applied, nine), decided_at=at(accepted, ten) if accepted else None
    )
    permit = Permit.objects.get(pk=application.permit_id)
    permit_days = {"applied_on": seeding.calendar.day(applied)}
    if issued is not None:
        issued_on = seeding.calendar.today if issued == 0 else seeding.calendar.day(issued)
        permit_days |= {
            "issued_on": issued_on,
            "expires_on": issued_on + datetime.timedelta(days=settings.PERMIT_EXPIRY_DAYS),
        }
    Permit.objects.filter(pk=permit.pk).update(**permit_days)
    when = {
        PermitStatus.SUBMITTED: applied,
        PermitStatus.IN_REVIEW: accepted,
        PermitStatus.PENDING_APPROVAL: decided,
        PermitStatus.READY_TO_ISSUE: decided,
        PermitStatus.ISSUED: issued,
    }
    # The history (core.events) as of those days too: each move of the permit on its day.
    permit_moves = Event.objects.filter(
        content_type=ContentType.objects.get_for_model(Permit), object_id=permit.pk
    )
    for event in permit_moves:
        if when.get(event.payload.get("to")) is not None:
            Event.objects.filter(pk=event.pk).update(
                occurred_at=at(when[event.payload["to"]], three)
            )
    Event.objects.filter(
        content_type=ContentType.objects.get_for_model(Application), object_id=application.pk
    ).update(occurred_at=at(applied, nine))
    for cycle in ReviewCycle.objects.filter(application=application):
        ReviewCycle.objects.filter(pk=cycle.pk).update(
            opened_at=at(accepted, ten), decided_at=at(decided, three) if cycle.decided_at else None
        )
        for review in cycle.reviews.select_related("discipline"):
            Review.objects.filter(pk=review.pk).update(
                due_on=seeding.calendar.day(accepted + review.discipline.target_days)
                if accepted + review.discipline.target_days
                else seeding.calendar.today,
                decided_at=at(decided, three) if review.decided_at else None,
            )
    if decided is not None:
        permit.fees.update(assessed_on=seeding.calendar.day(decided))
    if issued is not None:
        # Its card, as of its (seeded) issue date: made here, not after the seed commits.
        permit_card_refresh(permit=permit)


def _seed_application_stage(seeding, spec, demo, clerk, reviewers) -> Application:
    template = open_template_for("RES")
    license = seeding.licenses[spec["license"]]
    application = app_services.application_start(template=template, applicant=demo)
    app_services.application_save_location(
        application=application,
        by=demo,
        values={
            "street_number": spec["street_number"],
            "street_name": spec["street_name"],
            "city": seeding.city["city"]["name"],
            "state": seeding.city["city"]["state"],
            "zip_code": spec["zip"],
            "parcel_number": spec["parcel"],
        },
    )
    app_services.application_save_people(
        application=application,
        by=demo,
        license_id=license.pk,
        owner_name=spec["owner"],
        owner_email=spec["owner_email"],
    )
    app_services.application_save_answers(application=application, by=demo, answers=spec["answers"])
    for requirement in template_parts(template).documents:
        if requirement.needed_to_submit:
            app_services.application_document_upload(
                application=application,
                requirement_id=requirement.pk,
                upload=_demo_upload(f"{requirement.name.lower().replace(' ', '-')}.pdf"),
                by=demo,
            )
    app_services.application_attest(application=application, by=demo, name="Dana Builder")
    app_services.application_submit(
        application=application,
        by=demo,
        on=seeding.calendar.day(STAGE_DAYS[spec["stage"]][0]),
    )
    stage = STAGES.index(spec["stage"])
    if stage < STAGES.index("in_review"):
        return application
    app_services.application_accept(application=application, by=clerk)
    reviews = {
        review.discipline.name: review
        for review in Review.objects.filter(cycle__application=application).select_related(
            "discipline"
        )
    }
    review_services.review_start(review=reviews["Building"], by=reviewers["Building"])
    if stage < STAGES.index("corrections"):
        return application
    review_services.review_decide(
        review=reviews["Building"], decision=ReviewStatus.APPROVED, by=reviewers["Building"]
    )
    zoning = reviews["Zoning"]
    if spec["stage"] == "corrections":
        for reference, text in spec["corrections"]:
            ReviewComment.objects.create(review=zoning, reference=reference, text=text)
        review_services.review_decide(
            review=zoning, decision=ReviewStatus.CORRECTIONS_REQUIRED, by=reviewers["Zoning"]
        )
        return application
    if spec.get("condition"):
        ReviewCondition.objects.create(review=zoning, text=spec["condition"])
        decision = ReviewStatus.APPROVED_WITH_CONDITIONS
    else:
        decision = ReviewStatus.APPROVED
    review_services.review_decide(review=zoning, decision=decision, by=reviewers["Zoning"])
    if spec["stage"] == "approved":
        return application
    application.refresh_from_db()
    permit = Permit.objects.get(pk=application.permit_id)
    energy = template.document_requirements.get(stage="issuance")
    review_services.issuance_document_upload(
        application=application,
        requirement_id=energy.pk,
        upload=_demo_upload("rescheck-report.pdf"),
        by=demo,
    )
    cart_add_permit(user=demo, permit=permit)
    trust_pay(
        user=demo, account=TrustAccount.objects.get(contractor=license.holder), key=uuid.uuid4()
    )
    return application


def seed_application_drafts(seeding: Seeding) -> None:
    """Drafts in progress, found by their applicant, type and street."""
    for spec in seeding.city["application_drafts"]:
        user = seeding.users[spec["user"]]
        template = ApplicationTemplate.objects.get(
            permit_type=seeding.permit_types[spec["type"]], status=TemplateStatus.PUBLISHED
        )
        exists = Application.objects.filter(
            applicant=user,
            template__permit_type=template.permit_type,
            street_name=spec["street_name"],
        ).exists()
        if not exists:
            license = seeding.licenses[spec["license"]]
            saved = seeding.calendar.day(spec["saved"])
            application = Application.objects.create(
                template=template,
                applicant=user,
                street_number=spec["street_number"],
                street_name=spec["street_name"],
                city=seeding.city["city"]["name"],
                state=seeding.city["city"]["state"],
                zip_code=spec["zip"],
                parcel_number=spec["parcel"],
                business=license.holder,
                license=license,
                owner_name=spec["owner"],
                owner_email=spec["owner_email"],
                answers=spec["answers"],
                steps_saved=spec["steps"],
            )
            application.touch_expiry(saved)
            application.save(update_fields=["expires_on", "reminded_on"])
        seeding.report.count("application drafts", not exists)
