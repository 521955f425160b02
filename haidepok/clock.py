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


def local_datetime(day: dt.date, time: dt.time) -> dt.datetime:
    """The aware moment of a wall-clock time on a day in Depok."""
    return dt.datetime.combine(day, time, tzinfo=WIB)
