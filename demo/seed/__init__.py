"""Load the demo city of `city.json` into the database.

The city itself is data (`city.json`): its businesses and their licenses, permit and inspection
types, the holidays, the staff and contractor logins, and 300 permits with their fees,
inspections and contacts. This package only turns that data into rows, one module a concern:
`data` (the file, its calendar, what a seeding carries), `people` (logins, businesses,
licenses, memberships, trust accounts), `permit_records` (holidays, permit and inspection
types, inspection areas, the permits on record with their fees, contacts and inspections),
`online_forms` (application forms, plan review's disciplines, drafts) and
`application_stages` (online applications at every stage, made through the services).

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

from django.db import transaction
from django.utils import timezone

from .application_stages import seed_application_stages
from .data import (
    CITY_FILE,
    DEMO_PASSWORDS,
    Calendar,
    Seeding,
    SeedReport,
    demo_passwords,
    holiday_on,
    load_city,
)
from .online_forms import (
    publish_application_form,
    seed_application_drafts,
    seed_application_forms,
    seed_review_disciplines,
    seed_review_reasons,
)
from .people import seed_businesses, seed_memberships, seed_staff_authenticators, seed_users
from .permit_records import (
    permit_key,
    seed_holidays,
    seed_inspection_areas,
    seed_inspections,
    seed_permit_types,
    seed_permits,
)

__all__ = [
    "CITY_FILE",
    "DEMO_PASSWORDS",
    "Calendar",
    "SeedReport",
    "Seeding",
    "demo_passwords",
    "holiday_on",
    "load_city",
    "permit_key",
    "publish_application_form",
    "seed_application_drafts",
    "seed_application_forms",
    "seed_application_stages",
    "seed_businesses",
    "seed_demo_city",
    "seed_holidays",
    "seed_inspection_areas",
    "seed_inspections",
    "seed_memberships",
    "seed_permit_types",
    "seed_permits",
    "seed_review_disciplines",
    "seed_review_reasons",
    "seed_staff_authenticators",
    "seed_users",
]


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
    seed_review_reasons(seeding)
    seed_application_stages(seeding)
    return seeding.report
