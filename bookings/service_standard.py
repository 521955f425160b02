"""The service standard: a request waiting for a decision is decided within
settings.SERVICE_STANDARD_WORKING_DAYS working days, and everyone reads its deadline here.

A working day is a weekday that is neither an Indonesian public holiday (the `holidays`
package, as bookings.rules reads it for facilities closed on holidays) nor wholly covered by a
city-wide closure (facilities.Closure without a facility: the whole city is shut, e.g. for a
public event). A closure of one facility does not stop the offices that decide.

The deadline of a request is the end (24.00 WIB) of the N-th working day after the day it was
made. The request's own day never counts, even a working day and even at 07.00: the standard
promises N whole working days, and a rule that depended on the hour of the request would give
two residents who asked on the same day two different deadlines. It is never after the
booking's start, since a request still undecided then expires (bookings.services.bookings_sweep).

Each question costs one query (the city-wide closures of the days it looks at); the holidays
of a year are computed once per process (bookings.rules caches them).
"""

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Case, F, Q, When
from django.utils import dateformat
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _

from bookings.models import Booking, BookingStatus
from bookings.rules import indonesian_holidays
from facilities.models import Closure
from haidepok import clock

DAY = dt.timedelta(days=1)

# How many days after the first one a calendar loads at once when the caller gave none: enough
# for any usual deadline (weekends, the long Idul Fitri break) in one query; a longer walk
# (a city-wide closure of weeks) loads the next stretch.
LOAD_AHEAD_DAYS = 31


def is_public_holiday(day: dt.date) -> bool:
    """Whether `day` is an Indonesian national holiday (its name does not matter here)."""
    return day in indonesian_holidays(day.year, "id")


def _merged(spans: Iterable[tuple[dt.datetime, dt.datetime]]) -> list[list[dt.datetime]]:
    """Closures as disjoint periods: two that overlap or touch close one longer period, so a
    day shut in the morning by one and in the afternoon by another is shut all day."""
    merged: list[list[dt.datetime]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days from `first` to `last` (WIB dates) the whole city is closed, loaded once."""

    first: dt.date
    last: dt.date
    closed_days: frozenset[dt.date]

    @classmethod
    def of(
        cls, first: dt.date, last: dt.date, closures: Iterable[tuple[dt.datetime, dt.datetime]]
    ) -> "WorkingCalendar":
        """The calendar of these city-wide closures (start, end), without the database."""
        closed = set()
        for start, end in _merged(closures):
            day = max(first, clock.to_local(start).date())
            while day <= last:
                day_start = clock.local_datetime(day, dt.time.min)
                if day_start >= end:
                    break
                if start <= day_start and day_start + DAY <= end:
                    closed.add(day)
                day += DAY
        return cls(first, last, frozenset(closed))

    @classmethod
    def load(cls, first: dt.date, last: dt.date) -> "WorkingCalendar":
        """The calendar of the city-wide closures from `first` to `last`: one query."""
        closures = Closure.objects.filter(
            facility__isnull=True,
            start__lt=clock.local_datetime(last + DAY, dt.time.min),
            end__gt=clock.local_datetime(first, dt.time.min),
        ).values_list("start", "end")
        return cls.of(first, last, closures)

    def is_working_day(self, day: dt.date) -> bool:
        if not self.first <= day <= self.last:
            raise ValueError(f"{day} is outside this calendar ({self.first} to {self.last})")
        return day.weekday() < 5 and not is_public_holiday(day) and day not in self.closed_days


def is_working_day(day: dt.date, *, calendar: WorkingCalendar | None = None) -> bool:
    """Whether offices decide on `day`: not a weekend, a public holiday or a day the whole
    city is closed."""
    return (calendar or WorkingCalendar.load(day, day)).is_working_day(day)


def _days_after(day: dt.date, calendar: WorkingCalendar | None) -> Iterator[tuple[dt.date, bool]]:
    """The days after `day`, each with whether it is a working day. With a calendar given the
    walk stays inside it (ValueError beyond); without one it loads a stretch at a time."""
    loads = calendar is None
    current = day
    while True:
        current += DAY
        if loads and (calendar is None or current > calendar.last):
            calendar = WorkingCalendar.load(current, current + dt.timedelta(days=LOAD_AHEAD_DAYS))
        yield current, calendar.is_working_day(current)


def add_working_days(day: dt.date, n: int, *, calendar: WorkingCalendar | None = None) -> dt.date:
    """The n-th working day after `day` (`day` itself when n is 0; `day` needs not be a working
    day)."""
    if n < 0:
        raise ValueError("n must not be negative")
    if n == 0:
        return day
    counted = 0
    for current, working in _days_after(day, calendar):
        counted += working
        if counted == n:
            return current
    raise AssertionError("unreachable")  # pragma: no cover


def working_days_between(
    first: dt.date, last: dt.date, *, calendar: WorkingCalendar | None = None
) -> int:
    """How many working days come after `first` up to and including `last` (0 when `last` is
    not after `first`): add_working_days(d, n) is the first day with n of them."""
    if last <= first:
        return 0
    calendar = calendar or WorkingCalendar.load(first + DAY, last)
    return sum(
        calendar.is_working_day(first + dt.timedelta(days=offset))
        for offset in range(1, (last - first).days + 1)
    )


def decision_due_at(
    requested_at: dt.datetime,
    booking_start: dt.datetime,
    *,
    calendar: WorkingCalendar | None = None,
) -> dt.datetime:
    """When a request made at `requested_at` for a booking starting at `booking_start` must be
    decided: the end of the SERVICE_STANDARD_WORKING_DAYS-th working day after the day of the
    request (00.00 WIB of the day after it), or the booking's start if that comes first."""
    days = settings.SERVICE_STANDARD_WORKING_DAYS
    request_day = clock.to_local(requested_at).date()
    # However many holidays come, the deadline is no sooner than `days` days later: a start
    # before that caps it without a question to the database.
    earliest = clock.local_datetime(request_day + dt.timedelta(days=days + 1), dt.time.min)
    if booking_start <= earliest or days == 0:
        return min(earliest, booking_start)
    # The walk stops at the booking's day at the latest: a calendar up to it is enough.
    counted = 0
    for day, working in _days_after(request_day, calendar):
        end_of_day = clock.local_datetime(day + DAY, dt.time.min)
        if end_of_day >= booking_start:
            return booking_start
        counted += working
        if counted == days:
            return end_of_day
    raise AssertionError("unreachable")  # pragma: no cover


# --- How a deadline reads ---------------------------------------------------------------------

OVERDUE, DUE_TODAY, ON_TIME = "overdue", "due_today", "on_time"


# Requests waiting for a decision first, the earliest deadline on top; then the rest (a
# decided booking keeps its old deadline, which no longer matters).
PENDING_BY_DEADLINE = Case(When(status=BookingStatus.REQUESTED, then=F("decision_due_at")))


def state_filter(state: str, now: dt.datetime) -> Q:
    """The requests in a state of the service standard (OVERDUE, DUE_TODAY, ON_TIME) at `now`:
    the one definition behind the admin's filter, the dashboard and Deadline.state."""
    end_of_today = clock.next_local_midnight(now)
    waiting = Q(status=BookingStatus.REQUESTED, decision_due_at__isnull=False)
    if state == OVERDUE:
        return waiting & Q(decision_due_at__lte=now)
    if state == DUE_TODAY:
        return waiting & Q(decision_due_at__gt=now, decision_due_at__lte=end_of_today)
    if state == ON_TIME:
        return waiting & Q(decision_due_at__gt=end_of_today)
    raise ValueError(f"unknown state {state!r}")


@dataclass(frozen=True)
class Deadline:
    """A request's deadline as people read it at `now`."""

    due_at: dt.datetime
    now: dt.datetime

    @property
    def overdue(self) -> bool:
        return self.now >= self.due_at

    @property
    def state(self) -> str:
        if self.overdue:
            return OVERDUE
        return DUE_TODAY if self.due_at <= clock.next_local_midnight(self.now) else ON_TIME

    @property
    def at_end_of_day(self) -> bool:
        return clock.to_local(self.due_at).time() == dt.time.min

    @property
    def day(self) -> dt.date:
        """The day the decision is due on: for 00.00, the day that ends then."""
        local = clock.to_local(self.due_at)
        return local.date() - DAY if self.at_end_of_day else local.date()

    def day_text(self) -> str:
        """ "Friday, 4 December" in the active language (with the year when it is not this
        year's)."""
        same_year = self.day.year == clock.to_local(self.now).year
        return dateformat.format(self.day, "l, j F" if same_year else "l, j F Y")

    def when_text(self) -> str:
        """ "Friday, 4 December", with the hour when it is not the day's end."""
        if self.at_end_of_day:
            return self.day_text()
        return _("%(day)s, %(time)s WIB") % {
            "day": self.day_text(),
            "time": dateformat.format(clock.to_local(self.due_at), "H.i"),
        }

    def text(self) -> str:
        """ "Decision by Friday, 4 December" (with the hour when it is not the day's end)."""
        return _("Decision by %(when)s") % {"when": self.when_text()}

    def left_text(self) -> str:
        """ "1 day, 3 hours left", or "overdue by 2 hours"."""
        if self.overdue:
            return _("overdue by %(time)s") % {"time": timesince(self.due_at, self.now, depth=2)}
        return _("%(time)s left") % {"time": timeuntil(self.due_at, self.now, depth=2)}


def deadline_of(booking: Booking, now: dt.datetime | None = None) -> Deadline | None:
    """The deadline of a request waiting for a decision; None for any other booking."""
    if booking.status != BookingStatus.REQUESTED or booking.decision_due_at is None:
        return None
    return Deadline(booking.decision_due_at, now or clock.now())
