"""The building department's set-up and the permits already on record: the holidays, permit
types with their inspection types, inspection areas and their inspectors, and the data's permits
with their license, fees, contacts and inspections (requested, scheduled and resulted)."""

import datetime
import re
from decimal import Decimal
from typing import Any

from inspections.models import Holiday, Inspection, InspectionArea, InspectionType, Inspector
from inspections.scheduling import is_business_day
from inspections.services import area_for, inspector_for
from licenses.models import LicenseType
from payments.imports import imported_fees_pay
from permits.models import Fee, FeeStatus, Permit, PermitContact, PermitLicense, PermitType

from .data import Seeding, holiday_on

# When the demo's inspectors result their inspections, and when contractors asked for them.
RESULTED_AT = datetime.time(14, 0)
REQUESTED_AT = datetime.time(10, 0)
PERMIT_NUMBER = re.compile(r"^([A-Z]+)(?:\d{2}|\{yy\})-(\d+)$")


def seed_holidays(seeding: Seeding) -> None:
    year = seeding.calendar.today.year
    for this_year in (year, year + 1):
        for rule in seeding.city["holidays"]:
            _, created = Holiday.objects.get_or_create(
                date=holiday_on(rule, this_year), defaults={"name": rule["name"]}
            )
            seeding.report.count("holidays", created)


def seed_permit_types(seeding: Seeding) -> None:
    for spec in seeding.city["permit_types"]:
        permit_type, created = PermitType.objects.get_or_create(
            code=spec["code"], defaults={"name": spec["name"]}
        )
        seeding.permit_types[spec["code"]] = permit_type
        seeding.report.count("permit types", created)
        if created:  # which licenses may apply for it (staff change it in admin afterwards)
            permit_type.license_types.set(
                LicenseType.objects.filter(prefix__in=spec["license_types"])
            )
        for inspection in spec["inspections"]:
            kind, created = InspectionType.objects.get_or_create(
                permit_type=permit_type,
                code=inspection["code"],
                defaults={
                    "name": inspection["name"],
                    "is_final": inspection.get("final", False),
                    # The city's flat fee for a visit after a failed one (the schedule's own).
                    "reinspection_fee": Decimal(
                        inspection.get("reinspection_fee", seeding.city["city"]["reinspection_fee"])
                    ),
                },
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


def permit_key(number: str) -> tuple[str, str] | None:
    """A permit's type and sequence, without the year: RES25-0104 and RES{yy}-0104 agree."""
    match = PERMIT_NUMBER.match(number)
    return (match[1], match[2]) if match else None


def seed_permits(seeding: Seeding) -> None:
    day = seeding.calendar.day
    existing = {permit_key(number) for number in Permit.objects.values_list("number", flat=True)}
    # The demo city's paid fees were paid before the portal, in the city's own system: paid by
    # a recorded payment, as an import's are (payments.imports).
    paid_elsewhere: list[Fee] = []
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
        fees = Fee.objects.bulk_create(
            Fee(
                permit=permit,
                description=fee["description"],
                amount=Decimal(fee["amount"]),
                status=FeeStatus.DUE if fee["status"] == FeeStatus.PAID else fee["status"],
                assessed_on=day(fee["assessed"]),
            )
            for fee in spec.get("fees", [])
        )
        paid_elsewhere += [
            fee
            for fee, given in zip(fees, spec.get("fees", []), strict=True)
            if given["status"] == FeeStatus.PAID
        ]
        for contact in spec.get("contacts", []):
            PermitContact.objects.create(
                permit=permit, user=seeding.users[contact["user"]], contact_type=contact["type"]
            )
        seed_inspections(seeding, permit, spec)
    imported_fees_pay(paid_elsewhere, note="the demo city's records")


def seed_inspections(seeding: Seeding, permit: Permit, spec: dict[str, Any]) -> None:
    calendar = seeding.calendar
    area = area_for(permit)
    resulted = []
    for visit in spec.get("inspections", []):
        on = calendar.day(visit["on"])
        if visit["on"] == 0 and not is_business_day(on, calendar.holidays):
            # Today's stops, on a day nobody inspects: the next business day's instead.
            on = calendar.day(1)
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
