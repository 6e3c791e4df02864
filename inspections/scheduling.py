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
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from .models import Holiday


def day_label(day: datetime.date) -> str:
    """A day as the request's pages and messages write it: Monday 06/02/2025 (in French,
    lundi 2 juin 2025)."""
    return dateformat.format(day, _("l m/d/Y"))


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


# Why a weekday of the request's calendar cannot be asked for (weekends are not on it).
CLOSED_HOLIDAY = "holiday"
CLOSED_TOO_SOON = "too_soon"
CLOSED_TOO_FAR = "too_far"
# What a closed day shows on itself, in short.
SHORT_REASONS = {
    CLOSED_HOLIDAY: pgettext_lazy("closed day", "Holiday"),
    CLOSED_TOO_SOON: pgettext_lazy("closed day", "Too soon"),
    CLOSED_TOO_FAR: pgettext_lazy("closed day", "Too far ahead"),
}


@dataclass(frozen=True)
class CalendarDay:
    """A weekday of the request's calendar: whether it can be asked for, and if not, why."""

    day: datetime.date
    closed: str = ""  # a CLOSED_* reason; "" when the day can be asked for
    holiday: str = ""  # the holiday's name

    @property
    def allowed(self) -> bool:
        return not self.closed

    @property
    def short_reason(self) -> str:
        return str(SHORT_REASONS.get(self.closed, ""))

    @property
    def reason(self) -> str:
        if self.closed == CLOSED_HOLIDAY:
            if self.holiday:
                return _("city holiday (%(name)s)") % {"name": self.holiday}
            return _("city holiday")
        if self.closed == CLOSED_TOO_SOON:
            return _("before the earliest day that can be requested")
        if self.closed == CLOSED_TOO_FAR:
            ahead = settings.INSPECTION_MAX_BUSINESS_DAYS_AHEAD
            return ngettext(
                "more than %(count)d business day ahead",
                "more than %(count)d business days ahead",
                ahead,
            ) % {"count": ahead}
        return ""


@dataclass(frozen=True)
class RequestCalendar:
    """The date step's calendar: its weeks, and for its note, the reasons some of its days
    cannot be asked for (in CLOSED_ORDER) and its holidays."""

    weeks: list[list[CalendarDay]]

    @property
    def reasons(self) -> list[str]:
        found = {day.closed for week in self.weeks for day in week if day.closed}
        return [reason for reason in CLOSED_ORDER if reason in found]

    @property
    def holidays(self) -> list[CalendarDay]:
        return [day for week in self.weeks for day in week if day.closed == CLOSED_HOLIDAY]


CLOSED_ORDER = [CLOSED_TOO_SOON, CLOSED_HOLIDAY, CLOSED_TOO_FAR]


def request_calendar(days: list[datetime.date]) -> RequestCalendar:
    """The weeks (Monday to Friday) from the first to the last of `days` (allowed_days), each
    weekday allowed or with the reason it is not: a holiday (by name), before the first day
    (today, and the next business day after the cut-off), or past the last."""
    allowed = set(days)
    start = days[0] - datetime.timedelta(days=days[0].weekday())
    end = days[-1] + datetime.timedelta(days=4 - days[-1].weekday())
    names = dict(Holiday.objects.filter(date__range=(start, end)).values_list("date", "name"))
    weeks, monday = [], start
    while monday <= days[-1]:
        week = []
        for offset in range(5):
            day = monday + datetime.timedelta(days=offset)
            if day in allowed:
                week.append(CalendarDay(day))
            elif day in names:
                week.append(CalendarDay(day, CLOSED_HOLIDAY, names.get(day, "")))
            elif day < days[0]:
                week.append(CalendarDay(day, CLOSED_TOO_SOON))
            else:
                week.append(CalendarDay(day, CLOSED_TOO_FAR))
        weeks.append(week)
        monday += datetime.timedelta(days=7)
    return RequestCalendar(weeks)


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
