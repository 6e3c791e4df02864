"""The demo city's data and its calendar: `city.json` read once, the demo logins' passwords,
the holidays' rules and the business days the data's dates count, and what one seeding carries
from step to step (the rows made so far, by the data's names, and the report of what was
created)."""

import datetime
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.utils import timezone

from inspections.models import InspectionArea, InspectionType, Inspector
from inspections.scheduling import is_business_day
from licenses.models import Contractor, License
from permits.models import PermitType

# demo/city.json, beside this package.
CITY_FILE = Path(__file__).parents[1] / "city.json"

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


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
