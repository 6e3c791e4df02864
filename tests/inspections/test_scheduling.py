"""The city's scheduling rules: business days, holidays, the cut-off, days ahead, time zones."""

import datetime
import zoneinfo

import pytest

from inspections.models import Holiday
from inspections.scheduling import (
    CLOSED_HOLIDAY,
    CLOSED_TOO_FAR,
    CLOSED_TOO_SOON,
    allowed_days,
    can_cancel_online,
    cancel_deadline,
    next_available_day,
    request_calendar,
)

pytestmark = pytest.mark.django_db

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


def at(year, month, day, hour, minute=0, tz=CHICAGO) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=tz)


def d(month, day, year=2025) -> datetime.date:
    return datetime.date(year, month, day)


def test_before_the_cutoff_the_next_business_day():
    # Tuesday 3 June 2025, 10:00
    assert next_available_day(at(2025, 6, 3, 10)) == d(6, 4)


def test_after_the_cutoff_the_day_after_next():
    assert next_available_day(at(2025, 6, 3, 15, 0)) == d(6, 5)
    assert next_available_day(at(2025, 6, 3, 14, 59)) == d(6, 4)


def test_weekends_are_skipped():
    # Friday 6 June, morning: Monday 9 June. Friday after the cut-off: Tuesday 10 June.
    assert next_available_day(at(2025, 6, 6, 9)) == d(6, 9)
    assert next_available_day(at(2025, 6, 6, 16)) == d(6, 10)
    # On Saturday or Sunday Monday's list is already closed (at Friday's cut-off): Tuesday.
    assert next_available_day(at(2025, 6, 7, 9)) == d(6, 10)
    assert next_available_day(at(2025, 6, 8, 20)) == d(6, 10)
    assert all(day.weekday() < 5 for day in allowed_days(at(2025, 6, 6, 9)))


def test_holidays_are_skipped():
    Holiday.objects.create(date=d(7, 4), name="Independence Day")
    # Thursday 3 July morning: Friday is a holiday, so Monday 7 July.
    assert next_available_day(at(2025, 7, 3, 9)) == d(7, 7)
    # On the holiday itself, Monday's list is closed: Tuesday.
    assert next_available_day(at(2025, 7, 4, 9)) == d(7, 8)
    assert d(7, 4) not in allowed_days(at(2025, 7, 1, 9))


def test_a_holiday_staff_add_or_remove_counts_at_once(django_assert_num_queries):
    """The holiday list is cached; a change in admin forgets it."""
    thursday = at(2025, 7, 3, 9)
    assert next_available_day(thursday) == d(7, 4)
    with django_assert_num_queries(0):  # read from the cache now
        next_available_day(thursday)
    holiday = Holiday.objects.create(date=d(7, 4), name="Independence Day")
    assert next_available_day(thursday) == d(7, 7)
    holiday.delete()
    assert next_available_day(thursday) == d(7, 4)


def test_at_most_ten_business_days_ahead():
    days = allowed_days(at(2025, 6, 2, 9))  # Monday
    assert days[0] == d(6, 3) and days[-1] == d(6, 16)  # the 10th business day
    assert len(days) == 10
    late = allowed_days(at(2025, 6, 2, 16))
    assert late[0] == d(6, 4) and late[-1] == d(6, 16) and len(late) == 9


def test_days_ahead_is_a_setting(settings):
    settings.INSPECTION_MAX_BUSINESS_DAYS_AHEAD = 3
    assert allowed_days(at(2025, 6, 2, 9)) == [d(6, 3), d(6, 4), d(6, 5)]


def test_the_cutoff_is_a_setting(settings):
    settings.INSPECTION_CUTOFF = "12:00"
    assert next_available_day(at(2025, 6, 3, 12, 30)) == d(6, 5)


def test_the_cutoff_is_in_the_citys_time_zone():
    # 20:30 UTC is 14:30 in Chicago in winter (CST) and 15:30 in summer (CDT).
    winter = datetime.datetime(2025, 1, 14, 20, 30, tzinfo=datetime.UTC)  # Tuesday
    summer = datetime.datetime(2025, 7, 15, 20, 30, tzinfo=datetime.UTC)  # Tuesday
    assert next_available_day(winter) == d(1, 15)
    assert next_available_day(summer) == d(7, 17)
    # 03:00 UTC Wednesday is still Tuesday evening in Chicago: after the cut-off.
    assert next_available_day(datetime.datetime(2025, 7, 16, 3, 0, tzinfo=datetime.UTC)) == d(7, 17)


def test_cancel_until_the_cutoff_of_the_previous_business_day():
    # An inspection on Monday 9 June: cancel until Friday 6 June 15:00.
    assert cancel_deadline(d(6, 9)) == at(2025, 6, 6, 15)
    assert can_cancel_online(d(6, 9), at(2025, 6, 6, 14, 59))
    assert not can_cancel_online(d(6, 9), at(2025, 6, 6, 15, 0))
    assert not can_cancel_online(d(6, 9), at(2025, 6, 7, 10))


def test_the_cancel_window_skips_holidays():
    Holiday.objects.create(date=d(7, 4), name="Independence Day")
    # An inspection on Monday 7 July: the business day before is Thursday 3 July.
    assert cancel_deadline(d(7, 7)) == at(2025, 7, 3, 15)


def test_the_request_calendar_says_why_each_day_it_greys_out_is_not_available():
    """(From the newcomer walk: the date picker greyed out days without saying why.)"""
    Holiday.objects.create(date=d(11, 26, 2026), name="Thanksgiving Day")
    # Wednesday 18 November 2026 after the cut-off: Friday the 20th is the first day.
    days = allowed_days(at(2026, 11, 18, 16))
    calendar = request_calendar(days)
    cells = [(cell.day, cell.closed, cell.short_reason) for week in calendar.weeks for cell in week]
    soon, holiday, far = CLOSED_TOO_SOON, CLOSED_HOLIDAY, CLOSED_TOO_FAR
    assert cells == [
        (d(11, 16, 2026), soon, "Too soon"),
        (d(11, 17, 2026), soon, "Too soon"),
        (d(11, 18, 2026), soon, "Too soon"),
        (d(11, 19, 2026), soon, "Too soon"),  # the next business day, closed at the cut-off
        (d(11, 20, 2026), "", ""),
        (d(11, 23, 2026), "", ""),
        (d(11, 24, 2026), "", ""),
        (d(11, 25, 2026), "", ""),
        (d(11, 26, 2026), holiday, "Holiday"),
        (d(11, 27, 2026), "", ""),
        (d(11, 30, 2026), "", ""),
        (d(12, 1, 2026), "", ""),
        (d(12, 2, 2026), "", ""),
        (d(12, 3, 2026), "", ""),
        (d(12, 4, 2026), far, "Too far ahead"),  # the 11th business day
    ]
    assert calendar.reasons == [soon, holiday, far]
    [thanksgiving] = calendar.holidays
    assert thanksgiving.reason == "city holiday (Thanksgiving Day)"
    assert calendar.weeks[0][0].reason == "before the earliest day that can be requested"
    assert calendar.weeks[-1][-1].reason == "more than 10 business days ahead"
