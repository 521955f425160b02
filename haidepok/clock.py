"""The one way to get "now", and to move times between UTC and Asia/Jakarta (WIB).

Times are stored aware and in UTC; residents think and read in WIB. Code asks this module
rather than calling timezone.now() itself, so tests and rules agree on one clock.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

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


# The years a date typed by anyone (a form, a query string, the API) may have: the one bound of
# the project. Outside it a date is a typing mistake or a probe, never a booking (no horizon
# reaches that far), and keeping far from the ends of Python's calendar (years 1 and 9999)
# means a day or a week added, or a move to UTC or WIB, cannot overflow.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2099


def within_bounds(value: dt.date | dt.datetime) -> bool:
    """Whether a date, or a moment as it reads in WIB (a naive one is WIB), lies within
    EARLIEST_YEAR..LATEST_YEAR."""
    if isinstance(value, dt.datetime) and not timezone.is_naive(value):
        try:
            value = value.astimezone(WIB)
        except OverflowError:  # within hours of year 1 or 9999: far outside
            return False
    return EARLIEST_YEAR <= value.year <= LATEST_YEAR


def out_of_bounds_message() -> str:
    """What a person is told about a date outside the bound, in the active language."""
    return _("Enter a date between the years %(first)s and %(last)s.") % {
        "first": EARLIEST_YEAR,
        "last": LATEST_YEAR,
    }


def day_from_query(text: str | None, default: dt.date | None) -> dt.date | None:
    """The date (YYYY-MM-DD) a page was asked for in its query string, or `default` when none
    was given, it is not a date, or it is outside the bound (within_bounds)."""
    try:
        day = dt.date.fromisoformat(text) if text else None
    except ValueError:
        return default
    if day is None or not within_bounds(day):
        return default
    return day


def moment_from_query(text: str | None) -> dt.datetime | None:
    """The moment (ISO 8601; without an offset, WIB) a page was asked for in its query string,
    or None when none was given, it is not a moment, or it is outside the bound."""
    try:
        moment = as_wib(dt.datetime.fromisoformat(text)) if text else None
    except ValueError:
        return None
    if moment is None or not within_bounds(moment):
        return None
    return moment


def local_datetime(day: dt.date, time: dt.time) -> dt.datetime:
    """The aware moment of a wall-clock time on a day in Depok."""
    return dt.datetime.combine(day, time, tzinfo=WIB)


def next_local_midnight(moment: dt.datetime) -> dt.datetime:
    """When the WIB date changes next after `moment`."""
    tomorrow = to_local(moment).date() + dt.timedelta(days=1)
    return local_datetime(tomorrow, dt.time.min)
