"""The demo city: a deterministic Springfield with contractors, licenses, 300 permits in every
status, fees and inspections, and the logins the README lists.

Every object is found by its natural key before it is made, so seeding twice changes nothing.
"""

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from inspections.models import (
    Holiday,
    Inspection,
    InspectionArea,
    InspectionResult,
    InspectionStatus,
    InspectionType,
    Inspector,
)
from inspections.services import INSPECTORS_GROUP, area_for, inspector_for
from licenses.models import (
    Contractor,
    License,
    LicenseLink,
    LicenseLinkStatus,
    LicenseStatus,
    LicenseType,
    Membership,
)
from licenses.tasks import REVIEWERS_GROUP
from payments.models import EntryKind, TrustAccount, TrustEntry
from permits.models import Fee, FeeStatus, Permit, PermitLicense, PermitStatus, PermitType

SEED = 2024
PERMIT_COUNT = 300

# The logins the README lists. Demo only: seed_demo refuses to run with production settings.
DEMO_PASSWORDS = {
    "admin": "springfield-admin",
    "clerk": "springfield-clerk",
    "demo": "springfield-demo",
    "inspector1": "springfield-inspector",
    "inspector2": "springfield-inspector",
}

LICENSE_TYPES = [
    ("EC", "Electrical"),
    ("MC", "Mechanical"),
    ("PC", "Plumbing"),
    ("GC", "General"),
    ("RC", "Residential"),
]

CONTRACTORS = [
    # business, contact, address, phone, email
    (
        "Lincoln Builders LLC",
        "Abe Stone",
        "401 S 6th St",
        "(217) 555-0141",
        "office@lincolnbuilders.example",
    ),
    (
        "Prairie Electric Co.",
        "Mary Todd",
        "1200 E Cook St",
        "(217) 555-0172",
        "dispatch@prairieelectric.example",
    ),
    (
        "Capitol Plumbing Inc.",
        "Ninian Edwards",
        "88 W Jefferson St",
        "(217) 555-0133",
        "info@capitolplumbing.example",
    ),
    (
        "Sangamon Mechanical",
        "Elijah Iles",
        "2300 N Grand Ave E",
        "(217) 555-0190",
        "service@sangamonmech.example",
    ),
    (
        "Route 66 Construction",
        "Ann Rutledge",
        "3100 S MacArthur Blvd",
        "(217) 555-0166",
        "bids@route66construction.example",
    ),
]

# number, type prefix, holder index, status. The demo contractor's company holds GC20001 and
# RC30001; EC10002 and PC40001 are linked to nobody, for a visitor to register against.
LICENSES = [
    ("GC20001", "GC", 0, LicenseStatus.ACTIVE),
    ("RC30001", "RC", 0, LicenseStatus.ACTIVE),
    ("EC10001", "EC", 1, LicenseStatus.ACTIVE),
    ("EC10002", "EC", 1, LicenseStatus.ACTIVE),
    ("PC40001", "PC", 2, LicenseStatus.ACTIVE),
    ("MC50001", "MC", 3, LicenseStatus.ACTIVE),
    ("GC20002", "GC", 4, LicenseStatus.EXPIRED),
    ("RC30002", "RC", 4, LicenseStatus.SUSPENDED),
]

PERMIT_TYPES = [
    # code, name, license prefixes that pull such permits, inspections
    (
        "RES",
        "Residential Building",
        ("RC", "GC"),
        [
            ("101", "Footing"),
            ("102", "Foundation"),
            ("105", "Framing"),
            ("110", "Insulation"),
            ("199", "Final"),
        ],
    ),
    (
        "COM",
        "Commercial Building",
        ("GC",),
        [("101", "Footing"), ("105", "Framing"), ("120", "Fire Separation"), ("199", "Final")],
    ),
    (
        "ELE",
        "Electrical",
        ("EC",),
        [("301", "Rough-In Electrical"), ("305", "Service"), ("399", "Final Electrical")],
    ),
    (
        "MEC",
        "Mechanical",
        ("MC",),
        [("401", "Rough-In Mechanical"), ("405", "Gas Pressure Test"), ("499", "Final Mechanical")],
    ),
    (
        "PLM",
        "Plumbing",
        ("PC",),
        [("501", "Underground Plumbing"), ("505", "Rough-In Plumbing"), ("599", "Final Plumbing")],
    ),
    ("ROF", "Roofing", ("RC", "GC"), [("601", "Roof Sheathing"), ("699", "Final Roofing")]),
    ("DEM", "Demolition", ("GC",), [("701", "Site Clearance"), ("799", "Final Demolition")]),
]

STREETS = [
    "N 5th St",
    "S 6th St",
    "E Adams St",
    "W Washington St",
    "E Capitol Ave",
    "S Grand Ave W",
    "N Walnut St",
    "W Lawrence Ave",
    "S Spring St",
    "E Monroe St",
    "W Jefferson St",
    "N MacArthur Blvd",
    "S College St",
    "W Edwards St",
    "E Cook St",
    "Wabash Ave",
    "Chatham Rd",
    "Stevenson Dr",
    "Peoria Rd",
    "Clear Lake Ave",
    "S 2nd St",
    "W Iles Ave",
    "E Laurel St",
    "Lindbergh Blvd",
]
WORK = {
    "RES": [
        "New single-family dwelling",
        "Kitchen remodel with new load-bearing beam",
        "Detached garage 24x24",
        "Basement finish with egress window",
        "Two-story addition",
    ],
    "COM": [
        "Tenant build-out, retail suite",
        "New restaurant shell",
        "Office interior alteration",
        "Warehouse mezzanine",
        "Medical office remodel",
    ],
    "ELE": [
        "200A service upgrade",
        "Rewire single-family dwelling",
        "EV charger circuit",
        "Solar PV system 8.4 kW",
        "Generator transfer switch",
    ],
    "MEC": [
        "Furnace and AC replacement",
        "Rooftop unit replacement",
        "Ductwork for addition",
        "Gas line for range",
        "Boiler replacement",
    ],
    "PLM": [
        "Water heater replacement",
        "Sewer lateral repair",
        "Bathroom rough-in",
        "Backflow preventer",
        "Water service replacement",
    ],
    "ROF": [
        "Tear-off and re-roof, asphalt shingles",
        "Flat roof membrane replacement",
        "Roof deck repair after storm",
    ],
    "DEM": [
        "Demolish detached garage",
        "Interior demolition, non-structural",
        "Demolish fire-damaged dwelling",
    ],
}
OWNERS = [
    "J. Baker",
    "M. Lopez",
    "Sangamon County",
    "T. Nguyen",
    "R. Patel",
    "Oak Ridge HOA",
    "L. Schmidt",
    "K. Johnson",
    "Capital Area Church",
    "D. Wright",
]

# How the 300 permits spread over the statuses: every status is there, Issued most of all.
STATUS_WEIGHTS = [
    (PermitStatus.SUBMITTED, 25),
    (PermitStatus.IN_REVIEW, 30),
    (PermitStatus.PENDING_APPROVAL, 20),
    (PermitStatus.READY_TO_ISSUE, 25),
    (PermitStatus.ISSUED, 110),
    (PermitStatus.FINALED, 50),
    (PermitStatus.EXPIRED, 25),
    (PermitStatus.CANCELLED, 15),
]


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)

    def count(self, what: str, created: bool) -> None:
        if created:
            self.created[what] = self.created.get(what, 0) + 1


CENT = Decimal("0.01")


def at_least(amount: Decimal, floor: str) -> Decimal:
    return max(amount, Decimal(floor)).quantize(CENT)


@transaction.atomic
def seed_demo_city(*, today: datetime.date | None = None) -> SeedReport:
    today = today or timezone.localdate()
    rng = random.Random(SEED)
    report = SeedReport()

    license_types = {}
    for prefix, name in LICENSE_TYPES:
        license_types[prefix], created = LicenseType.objects.get_or_create(
            prefix=prefix, defaults={"name": name}
        )
        report.count("license types", created)

    contractors = []
    for business, contact, address, phone, email in CONTRACTORS:
        contractor, created = Contractor.objects.get_or_create(
            business_name=business,
            defaults={
                "contact_name": contact,
                "address": address,
                "city": "Springfield",
                "state": "IL",
                "zip_code": "62701",
                "phone": phone,
                "email": email,
            },
        )
        contractors.append(contractor)
        report.count("contractors", created)

    licenses = {}
    for number, prefix, holder, status in LICENSES:
        issued = today - datetime.timedelta(days=900)
        expires = (
            today - datetime.timedelta(days=40)
            if status == LicenseStatus.EXPIRED
            else today + datetime.timedelta(days=400)
        )
        licenses[number], created = License.objects.get_or_create(
            number=number,
            defaults={
                "license_type": license_types[prefix],
                "holder": contractors[holder],
                "status": status,
                "issued_on": issued,
                "expires_on": expires,
            },
        )
        report.count("licenses", created)

    permit_types = {}
    for code, name, _prefixes, inspections in PERMIT_TYPES:
        permit_types[code], created = PermitType.objects.get_or_create(
            code=code, defaults={"name": name}
        )
        report.count("permit types", created)
        for inspection_code, inspection_name in inspections:
            _, created = InspectionType.objects.get_or_create(
                permit_type=permit_types[code],
                code=inspection_code,
                defaults={"name": inspection_name},
            )
            report.count("inspection types", created)

    seed_inspectors(report, today)
    seed_permits(rng, today, permit_types, licenses, report)
    seed_users(report, licenses)
    return report


AREAS = [
    ("Downtown", "62701 62703", "inspector1", "Ivy", "Downtown"),
    ("North and West", "62702 62704 62711 62712", "inspector2", "Noel", "Northwest"),
]


def us_holidays(year: int) -> list[tuple[datetime.date, str]]:
    """The holidays a city building department closes for (fixed dates, and the Mondays and
    Thursdays the federal calendar puts them on)."""

    def nth_weekday(month: int, weekday: int, n: int) -> datetime.date:
        day = datetime.date(year, month, 1)
        day += datetime.timedelta(days=(weekday - day.weekday()) % 7)
        return day + datetime.timedelta(weeks=n - 1)

    def last_monday(month: int) -> datetime.date:
        day = datetime.date(year, month + 1, 1) - datetime.timedelta(days=1)
        return day - datetime.timedelta(days=day.weekday())

    return [
        (datetime.date(year, 1, 1), "New Year's Day"),
        (nth_weekday(1, 0, 3), "Martin Luther King Jr. Day"),
        (last_monday(5), "Memorial Day"),
        (datetime.date(year, 7, 4), "Independence Day"),
        (nth_weekday(9, 0, 1), "Labor Day"),
        (datetime.date(year, 11, 11), "Veterans Day"),
        (nth_weekday(11, 3, 4), "Thanksgiving Day"),
        (nth_weekday(11, 3, 4) + datetime.timedelta(days=1), "Day after Thanksgiving"),
        (datetime.date(year, 12, 25), "Christmas Day"),
    ]


def seed_inspectors(report: SeedReport, today: datetime.date) -> None:
    user_model = get_user_model()
    group, _ = Group.objects.get_or_create(name=INSPECTORS_GROUP)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="inspections",
            codename__in=["view_inspection", "change_inspection"],
        )
    )
    for name, zips, username, first, last in AREAS:
        area, created = InspectionArea.objects.get_or_create(
            name=name, defaults={"zip_codes": zips}
        )
        report.count("inspection areas", created)
        user, created = user_model.objects.get_or_create(
            username=username,
            defaults={
                "email": f"{username}@springfield.example",
                "is_staff": True,
                "first_name": first,
                "last_name": f"{last} (Inspector)",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORDS[username])
            user.save()
        user.groups.add(group)
        _, created = Inspector.objects.get_or_create(user=user, defaults={"area": area})
        report.count("inspectors", created)
    for year in (today.year, today.year + 1):
        for day, name in us_holidays(year):
            _, created = Holiday.objects.get_or_create(date=day, defaults={"name": name})
            report.count("holidays", created)


def seed_permits(
    rng: random.Random, today: datetime.date, permit_types: dict, licenses: dict, report: SeedReport
) -> None:
    statuses = [status for status, weight in STATUS_WEIGHTS for _ in range(weight)]
    rng.shuffle(statuses)
    sequence: dict[str, int] = {}
    inspection_types = {}
    for inspection_type in InspectionType.objects.all():
        inspection_types.setdefault(inspection_type.permit_type_id, []).append(inspection_type)
    by_prefix: dict[str, list[License]] = {}
    for license in licenses.values():
        if license.status == LicenseStatus.ACTIVE or rng.random() < 0.3:
            by_prefix.setdefault(license.license_type.prefix, []).append(license)

    existing = set(Permit.objects.values_list("number", flat=True))
    for index in range(PERMIT_COUNT):
        code, _name, prefixes, _inspections = PERMIT_TYPES[index % len(PERMIT_TYPES)]
        status = statuses[index]
        age = (
            rng.randint(0, 60)
            if status in (PermitStatus.SUBMITTED, PermitStatus.IN_REVIEW)
            else rng.randint(20, 1300)
        )
        applied = today - datetime.timedelta(days=age)
        key = f"{code}{applied:%y}"
        sequence[key] = sequence.get(key, 100) + rng.randint(1, 7)
        number = f"{key}-{sequence[key]:04d}"
        base = rng.choice([2500, 8000, 15000, 42000, 120000, 380000])
        valuation = Decimal(rng.randint(base * 6, base * 14)).scaleb(-1).quantize(CENT)
        candidates = [license for prefix in prefixes for license in by_prefix.get(prefix, [])]
        license = candidates[index % len(candidates)] if candidates else None
        street = rng.choice(STREETS)
        street_number = str(rng.randint(1, 48) * 100 + rng.randint(0, 99))
        unit = rng.choice(["", "", "", "", "A", "2B", "101"])
        description = rng.choice(WORK[code])
        owner = rng.choice(OWNERS)
        zip_code = rng.choice(["62701", "62702", "62703", "62704", "62711", "62712"])
        parcel = f"14-{rng.randint(10, 36)}.0-{rng.randint(100, 499)}-{rng.randint(1, 99):03d}"
        dates = permit_dates(rng, status, applied, today)
        # Draw the fees and inspections whether or not the permit exists, so every run draws
        # the same numbers and a second run makes exactly nothing.
        fee_plan = plan_fees(rng, code, status, valuation)
        inspection_plan = plan_inspections(
            rng, status, dates, len(inspection_types[permit_types[code].pk]), today
        )
        if number in existing:
            continue
        permit = Permit.objects.create(
            number=number,
            permit_type=permit_types[code],
            description=description,
            status=status,
            street_number=street_number,
            street_name=street,
            unit=unit,
            city="Springfield",
            state="IL",
            zip_code=zip_code,
            parcel_number=parcel,
            valuation=valuation,
            owner_name=owner,
            applied_on=applied,
            **dates,
        )
        report.count("permits", True)
        if license is not None:
            PermitLicense.objects.create(permit=permit, license=license)
        Fee.objects.bulk_create(
            [
                Fee(
                    permit=permit,
                    description=desc,
                    amount=amount,
                    status=fee_status,
                    assessed_on=applied,
                )
                for desc, amount, fee_status in fee_plan
            ]
        )
        kinds = inspection_types[permit_types[code].pk]
        area = area_for(permit)
        Inspection.objects.bulk_create(
            [
                Inspection(
                    permit=permit,
                    inspection_type=kinds[kind],
                    status=insp_status,
                    scheduled_for=scheduled,
                    completed_on=completed,
                    result=result,
                    result_comments=comments,
                    inspector_notes=notes if insp_status != InspectionStatus.SCHEDULED else "",
                    area=area if insp_status == InspectionStatus.SCHEDULED else None,
                    inspector=inspector_for(area=area, day=scheduled)
                    if insp_status == InspectionStatus.SCHEDULED
                    else None,
                    contact_name="Dana Builder"
                    if insp_status == InspectionStatus.SCHEDULED
                    else "",
                    contact_phone="(217) 555-0141"
                    if insp_status == InspectionStatus.SCHEDULED
                    else "",
                    request_notes=notes if insp_status == InspectionStatus.SCHEDULED else "",
                )
                for (
                    kind,
                    insp_status,
                    scheduled,
                    completed,
                    result,
                    comments,
                    notes,
                ) in inspection_plan
            ]
        )


def permit_dates(
    rng: random.Random, status: str, applied: datetime.date, today: datetime.date
) -> dict:
    days = datetime.timedelta
    dates: dict = {}
    if status in (PermitStatus.ISSUED, PermitStatus.FINALED, PermitStatus.EXPIRED):
        issued = min(applied + days(rng.randint(3, 30)), today)
        dates["issued_on"] = issued
        if status == PermitStatus.EXPIRED:
            dates["expires_on"] = min(issued + days(180), today - days(rng.randint(1, 60)))
        elif status == PermitStatus.FINALED:
            dates["expires_on"] = issued + days(365)
            dates["finaled_on"] = min(issued + days(rng.randint(20, 300)), today)
        else:
            # Most issued permits are current; a few lapsed yesterday, for expire_permits.
            dates["expires_on"] = (
                today - days(1)
                if rng.random() < 0.03
                else max(issued + days(365), today + days(rng.randint(30, 300)))
            )
    return dates


def plan_fees(
    rng: random.Random, code: str, status: str, valuation: Decimal
) -> list[tuple[str, Decimal, str]]:
    permit_fee = at_least(valuation * Decimal("0.0125"), "50")
    review_fee = at_least(permit_fee * Decimal("0.35"), "35")
    paid, due = FeeStatus.PAID, FeeStatus.DUE
    fees: list[tuple[str, Decimal, str]] = []
    if code in ("RES", "COM"):
        fees.append(
            (
                "Plan Review Fee",
                review_fee,
                paid if status != PermitStatus.SUBMITTED or rng.random() < 0.5 else due,
            )
        )
    if status in (PermitStatus.SUBMITTED, PermitStatus.IN_REVIEW, PermitStatus.PENDING_APPROVAL):
        return fees
    permit_status = due if status == PermitStatus.READY_TO_ISSUE else paid
    if status == PermitStatus.CANCELLED:
        permit_status = FeeStatus.WAIVED
    fees.append(("Building Permit Fee", permit_fee, permit_status))
    fees.append(("Technology Fee", Decimal("15.00"), permit_status))
    if status == PermitStatus.ISSUED and rng.random() < 0.2:
        fees.append(("Re-inspection Fee", Decimal("75.00"), due))
    return fees


def plan_inspections(
    rng: random.Random, status: str, dates: dict, kinds: int, today: datetime.date
) -> list[tuple]:
    if status not in (PermitStatus.ISSUED, PermitStatus.FINALED, PermitStatus.EXPIRED):
        return []
    days = datetime.timedelta
    issued = dates["issued_on"]
    done = kinds if status == PermitStatus.FINALED else rng.randint(0, kinds - 1)
    plan = []
    day = issued
    for kind in range(done):
        day = day + days(rng.randint(2, 12))
        failed = rng.random() < 0.15 and kind < done - 1
        if failed:
            plan.append(
                (
                    kind,
                    InspectionStatus.COMPLETED,
                    day,
                    day,
                    InspectionResult.FAILED,
                    "Correct the items on the correction notice and request again.",
                    "Blocking missing at midspan; photos on file.",
                )
            )
            day = day + days(rng.randint(2, 6))
        plan.append(
            (kind, InspectionStatus.COMPLETED, day, day, InspectionResult.PASSED, "Approved.", "")
        )
    if status == PermitStatus.ISSUED and done < kinds and rng.random() < 0.5:
        upcoming = today + days(rng.randint(1, 9))
        while upcoming.weekday() >= 5:  # inspections happen on business days
            upcoming += days(1)
        plan.append((done, InspectionStatus.SCHEDULED, upcoming, None, "", "", "Gate code 4411."))
    return plan


def seed_users(report: SeedReport, licenses: dict[str, License]) -> None:
    user_model = get_user_model()
    clerks, _ = Group.objects.get_or_create(name="Permit Clerks")
    clerk_permissions = Permission.objects.filter(
        content_type__app_label__in=["licenses", "permits", "inspections", "payments", "accounts"]
    )
    clerks.permissions.add(*clerk_permissions)

    admin, created = user_model.objects.get_or_create(
        username="admin",
        defaults={
            "email": "admin@springfield.example",
            "is_staff": True,
            "is_superuser": True,
            "first_name": "Site",
            "last_name": "Administrator",
        },
    )
    if created:
        admin.set_password(DEMO_PASSWORDS["admin"])
        admin.save()
    report.count("users", created)

    clerk, created = user_model.objects.get_or_create(
        username="clerk",
        defaults={
            "email": "clerk@springfield.example",
            "is_staff": True,
            "first_name": "Pat",
            "last_name": "Clerk",
        },
    )
    if created:
        clerk.set_password(DEMO_PASSWORDS["clerk"])
        clerk.save()
    clerk.groups.add(clerks)
    reviewers, _ = Group.objects.get_or_create(name=REVIEWERS_GROUP)
    clerk.groups.add(reviewers)
    report.count("users", created)

    demo, created = user_model.objects.get_or_create(
        username="demo",
        defaults={
            "email": "demo@lincolnbuilders.example",
            "first_name": "Dana",
            "last_name": "Builder",
        },
    )
    if created:
        demo.set_password(DEMO_PASSWORDS["demo"])
        demo.phone = "(217) 555-0141"
        demo.business_address = "401 S 6th St"
        demo.business_city = "Springfield"
        demo.business_state = "IL"
        demo.business_zip = "62701"
        demo.mailing_address, demo.mailing_city = demo.business_address, demo.business_city
        demo.mailing_state, demo.mailing_zip = demo.business_state, demo.business_zip
        demo.save()
    report.count("users", created)
    verify_email(demo)
    # The demo contractor works at Lincoln Builders LLC: approved on its two licenses, and its
    # Manager (the first approved user of a business becomes one).
    for number in ("GC20001", "RC30001"):
        _, created = LicenseLink.objects.get_or_create(
            user=demo,
            license=licenses[number],
            defaults={
                "status": LicenseLinkStatus.APPROVED,
                "decided_by": clerk,
                "decided_at": timezone.now(),
            },
        )
        report.count("license links", created)
    _, created = Membership.objects.get_or_create(
        user=demo, contractor=licenses["GC20001"].holder, defaults={"can_manage": True}
    )
    report.count("memberships", created)
    # Lincoln Builders keeps a trust account with the city.
    account, created = TrustAccount.objects.get_or_create(
        contractor=licenses["GC20001"].holder,
        defaults={"low_balance_threshold": Decimal("500.00")},
    )
    if created:
        TrustEntry.objects.create(
            account=account,
            kind=EntryKind.DEPOSIT,
            amount=Decimal("5000.00"),
            reference="Check 2201",
            created_by=clerk,
        )
    report.count("trust accounts", created)


def verify_email(user) -> None:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
