"""The city's business days, for any app that counts them (plan review's target days and its
clock). The holidays are kept by the inspections app (staff enter them in admin); it registers
where to read them from here, so an app beside it counts the same days without importing it."""

import datetime
import time
from collections.abc import Callable, Iterable

_holidays: list[Callable[[], Iterable[datetime.date]]] = []


def register_holidays(source: Callable[[], Iterable[datetime.date]]) -> None:
    """`source()` gives every holiday the city keeps (read through a cache: it is called often)."""
    if source not in _holidays:
        _holidays.append(source)


# Read once a minute at most per process: a list of due dates asks for every row's business
# days, and each read of the source is a cache round trip (measured: the reviewer's queue).
HOLIDAYS_MEMO_SECONDS = 60
_memo: tuple[float, frozenset[datetime.date]] | None = None


def holidays() -> frozenset[datetime.date]:
    global _memo
    now = time.monotonic()
    if _memo is None or now - _memo[0] > HOLIDAYS_MEMO_SECONDS:
        _memo = (now, frozenset(day for source in _holidays for day in source()))
    return _memo[1]


def forget_holidays() -> None:
    """The holidays changed (staff edited them): read them again on the next count."""
    global _memo
    _memo = None


def is_business_day(day: datetime.date, off: Iterable[datetime.date] = ()) -> bool:
    return day.weekday() < 5 and day not in off


def add_business_days(start: datetime.date, count: int) -> datetime.date:
    """The business day `count` business days after `start` (start itself not counted)."""
    off = holidays()
    day = start
    while count > 0:
        day += datetime.timedelta(days=1)
        if is_business_day(day, off):
            count -= 1
    return day


def business_days_between(start: datetime.date, end: datetime.date) -> int:
    """Business days after `start` up to and including `end` (0 when end is not after start)."""
    off = holidays()
    days, day = 0, start
    while day < end:
        day += datetime.timedelta(days=1)
        days += is_business_day(day, off)
    return days
