"""The one way to get "now", and to move times between UTC and Asia/Jakarta (WIB).

Times are stored aware and in UTC; residents think and read in WIB. Code asks this module
rather than calling timezone.now() itself, so tests and rules agree on one clock.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

WIB = ZoneInfo("Asia/Jakarta")


def now() -> dt.datetime:
    """The current moment, aware, in UTC."""
    return timezone.now()


def local_now() -> dt.datetime:
    """The current moment in WIB."""
    return now().astimezone(WIB)


def to_local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(WIB)


def as_wib(moment: dt.datetime) -> dt.datetime:
    """An aware datetime; a naive one is taken to be WIB (what residents type)."""
    if timezone.is_naive(moment):
        return moment.replace(tzinfo=WIB)
    return moment


# The years a booking can have. A date outside them, typed into a query string, is not used:
# one week later or two days earlier would overflow the date type at its ends.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2999


def day_from_query(text: str | None, default: dt.date | None) -> dt.date | None:
    """The date (YYYY-MM-DD) a page was asked for in its query string, or `default` when none
    was given, it is not a date, or its year is outside EARLIEST_YEAR..LATEST_YEAR."""
    try:
        day = dt.date.fromisoformat(text) if text else None
    except ValueError:
        return default
    if day is None or not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        return default
    return day


def local_datetime(day: dt.date, time: dt.time) -> dt.datetime:
    """The aware moment of a wall-clock time on a day in Depok."""
    return dt.datetime.combine(day, time, tzinfo=WIB)


def next_local_midnight(moment: dt.datetime) -> dt.datetime:
    """When the WIB date changes next after `moment`."""
    tomorrow = to_local(moment).date() + dt.timedelta(days=1)
    return local_datetime(tomorrow, dt.time.min)
