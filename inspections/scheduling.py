"""The city's scheduling rules, as the cities' portals state them:

- inspections happen on business days: Monday to Friday, except the holidays staff keep;
- a request made on a business day before the cut-off time (15:00 local by default) can have
  the next business day; after it, or on a weekend or holiday, the business day after that
  (the next day's list closes at the cut-off, which is also when cancelling online ends);
- at most 10 business days ahead (counted from today);
- an inspection can be cancelled online until the cut-off time of the business day before it.

Every function takes `now` (an aware datetime) and works in the city's time zone, so a request
made at 20:30 UTC is before the cut-off in winter (14:30 CST) and after it in summer (15:30 CDT).
"""

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from .models import Holiday


def cutoff_time() -> datetime.time:
    hours, minutes = settings.INSPECTION_CUTOFF.split(":")
    return datetime.time(int(hours), int(minutes))


HOLIDAYS_CACHE_KEY = "inspections:holidays"
# A city has a dozen holidays a year and changes them in admin, which forgets the cached list
# (inspections.signals); the timeout bounds how stale a worker's private cache can be.
HOLIDAYS_CACHE_SECONDS = 300


def all_holidays() -> frozenset[datetime.date]:
    """Every holiday the department has entered, read through the cache."""
    holidays = cache.get(HOLIDAYS_CACHE_KEY)
    if holidays is None:
        holidays = frozenset(Holiday.objects.values_list("date", flat=True))
        cache.set(HOLIDAYS_CACHE_KEY, holidays, HOLIDAYS_CACHE_SECONDS)
    return holidays


def forget_holidays() -> None:
    from core.calendar import forget_holidays as forget_counted_days

    cache.delete(HOLIDAYS_CACHE_KEY)
    forget_counted_days()


def holidays_between(start: datetime.date, end: datetime.date) -> set[datetime.date]:
    return {day for day in all_holidays() if start <= day <= end}


def is_business_day(day: datetime.date, holidays: Iterable[datetime.date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def _business_days_after(day: datetime.date, holidays: set[datetime.date]):
    while True:
        day += datetime.timedelta(days=1)
        if is_business_day(day, holidays):
            yield day


def allowed_days(now: datetime.datetime | None = None) -> list[datetime.date]:
    """The days a request made at `now` may ask for, soonest first."""
    local = timezone.localtime(now or timezone.now())
    today = local.date()
    # Weekends and holidays over the next few weeks cannot push 10 business days past 6 weeks.
    holidays = holidays_between(today, today + datetime.timedelta(days=60))
    ahead = settings.INSPECTION_MAX_BUSINESS_DAYS_AHEAD
    days = []
    for day in _business_days_after(today, holidays):
        days.append(day)
        if len(days) >= ahead:
            break
    late = local.time() >= cutoff_time() or not is_business_day(today, holidays)
    return days[1:] if late else days


def next_available_day(now: datetime.datetime | None = None) -> datetime.date | None:
    days = allowed_days(now)
    return days[0] if days else None


def cancel_deadline(
    scheduled_for: datetime.date, holidays: set[datetime.date] | None = None
) -> datetime.datetime:
    """The cut-off time of the business day before the inspection, in the city's time zone."""
    if holidays is None:
        holidays = holidays_between(scheduled_for - datetime.timedelta(days=30), scheduled_for)
    day = scheduled_for - datetime.timedelta(days=1)
    while not is_business_day(day, holidays):
        day -= datetime.timedelta(days=1)
    return timezone.make_aware(
        datetime.datetime.combine(day, cutoff_time()), timezone.get_current_timezone()
    )


def can_cancel_online(scheduled_for: datetime.date, now: datetime.datetime | None = None) -> bool:
    return (now or timezone.now()) < cancel_deadline(scheduled_for)


def mark_cancellable(inspections, now: datetime.datetime | None = None) -> None:
    """Set `cancellable` on each scheduled inspection of a list, with one query for holidays."""
    inspections = [i for i in inspections if i.scheduled_for is not None]
    if not inspections:
        return
    now = now or timezone.now()
    dates = [inspection.scheduled_for for inspection in inspections]
    holidays = holidays_between(min(dates) - datetime.timedelta(days=30), max(dates))
    for inspection in inspections:
        inspection.cancellable = inspection.status == "scheduled" and now < cancel_deadline(
            inspection.scheduled_for, holidays
        )
