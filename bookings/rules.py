"""The rules a booking request must pass: one function that every entry point calls.

`request_violations` answers with every rule that fails (so a form can show each one next to
its field); `check_request` raises them as a BookingError. The same facts (grid, opening
hours, closures, holidays, lead time, horizon) also drive the availability grid, through the
small helpers below, so the calendar never offers a slot the rules would refuse.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import holidays
from allauth.account.models import EmailAddress
from django.utils import translation

from bookings.errors import BookingError, Violation
from bookings.models import Booking
from facilities.models import Closure, Facility, OpeningHours
from haidepok import clock

# A booking lies inside one opening interval of one day, and the buffer after it is capped,
# so nothing that can overlap a moment starts more than this long before it. Conflict and
# availability queries use it as a lower bound on `start`, which keeps them on the
# (facility, start) index however many past bookings a facility has.
MAX_BLOCKED_SPAN = dt.timedelta(days=2)

# Outside these years a request is refused before any date arithmetic is done on it.
EARLIEST_YEAR, LATEST_YEAR = clock.EARLIEST_YEAR, clock.LATEST_YEAR


# The holidays package names holidays in the server's locale unless told otherwise.
HOLIDAY_LANGUAGES = {"id": "id", "en": "en_US"}


@lru_cache(maxsize=32)
def _indonesian_holidays(year: int, language: str) -> holidays.HolidayBase:
    return holidays.country_holidays("ID", years=year, language=language)


def public_holiday(day: dt.date) -> str | None:
    """The name of the Indonesian national holiday on `day`, if any, in the active language."""
    language = HOLIDAY_LANGUAGES.get(translation.get_language() or "id", "id")
    return _indonesian_holidays(day.year, language).get(day)


@dataclass(frozen=True)
class FacilityCalendar:
    """What a facility's opening hours and closures say about time, loaded once."""

    facility: Facility
    hours: dict[int, list[tuple[dt.time, dt.time]]]
    closures: list[Closure]

    @classmethod
    def load(cls, facility: Facility, start: dt.datetime, end: dt.datetime) -> "FacilityCalendar":
        hours: dict[int, list[tuple[dt.time, dt.time]]] = {}
        for interval in OpeningHours.objects.filter(facility=facility).order_by("opens"):
            hours.setdefault(interval.weekday, []).append((interval.opens, interval.closes))
        closures = list(
            Closure.objects.affecting(facility)
            .filter(start__lt=end, end__gt=start)
            .order_by("start")
        )
        return cls(facility=facility, hours=hours, closures=closures)

    def within_opening_hours(self, start: dt.datetime, end: dt.datetime) -> bool:
        local_start, local_end = clock.to_local(start), clock.to_local(end)
        if local_start.date() != local_end.date():
            return False
        return any(
            opens <= local_start.time() and local_end.time() <= closes
            for opens, closes in _merged(self.hours.get(local_start.weekday(), []))
        )

    def closure_reason(self, start: dt.datetime, end: dt.datetime) -> str | None:
        """Why the facility is closed during [start, end), or None when it is not."""
        for closure in self.closures:
            if closure.start < end and closure.end > start:
                return closure.reason
        if self.facility.closed_on_public_holidays:
            local_start = clock.to_local(start)
            local_last = clock.to_local(end - dt.timedelta(microseconds=1))
            for day in {local_start.date(), local_last.date()}:
                if name := public_holiday(day):
                    return name
        return None


def _merged(intervals: list[tuple[dt.time, dt.time]]) -> list[tuple[dt.time, dt.time]]:
    """Intervals that touch (08-12 and 12-16) are open straight through (08-16)."""
    merged: list[tuple[dt.time, dt.time]] = []
    for opens, closes in sorted(intervals):
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return merged


def on_grid(facility: Facility, moment: dt.datetime) -> bool:
    local = clock.to_local(moment)
    minutes = local.hour * 60 + local.minute
    return local.second == 0 and local.microsecond == 0 and minutes % facility.slot_minutes == 0


def too_soon(facility: Facility, start: dt.datetime, now: dt.datetime) -> bool:
    return start < now + dt.timedelta(hours=facility.lead_hours)


def last_bookable_day(facility: Facility, now: dt.datetime) -> dt.date:
    """Bookings open `horizon_days` ahead: up to and including that whole day, in WIB."""
    return clock.to_local(now).date() + dt.timedelta(days=facility.horizon_days)


def beyond_horizon(facility: Facility, start: dt.datetime, now: dt.datetime) -> bool:
    return clock.to_local(start).date() > last_bookable_day(facility, now)


def blocked_until(facility: Facility, end: dt.datetime) -> dt.datetime:
    """The end of the time a booking keeps to itself: its end plus the facility's buffer."""
    return end + dt.timedelta(minutes=facility.buffer_minutes)


def conflicting_bookings(
    facility: Facility, start: dt.datetime, end: dt.datetime, exclude: Iterable[int] = ()
):
    return (
        Booking.objects.overlapping(facility, start, blocked_until(facility, end))
        .filter(start__gt=start - MAX_BLOCKED_SPAN)
        .exclude(pk__in=list(exclude))
    )


def email_verified(user) -> bool:
    return EmailAddress.objects.filter(user=user, verified=True).exists()


def active_bookings_count(facility: Facility, user, now: dt.datetime) -> int:
    """Pending or upcoming bookings that `user` holds at `facility`."""
    return Booking.objects.holding_slot().filter(facility=facility, user=user, end__gt=now).count()


def policy_violations(
    facility: Facility, calendar: FacilityCalendar, start: dt.datetime, end: dt.datetime
) -> list[Violation]:
    """The rules about the time itself (grid, length, opening hours, closures): what a request
    must meet, and what an existing booking may stop meeting when the organizers change the
    facility's policy, hours or closures."""
    violations: list[Violation] = []
    minutes = facility.slot_minutes
    if not (on_grid(facility, start) and on_grid(facility, end)):
        violations.append(Violation("not_on_grid", {"slot": minutes}))
    length = end - start
    if length < dt.timedelta(minutes=facility.min_slots * minutes):
        violations.append(Violation("too_short", {"minutes": facility.min_slots * minutes}))
    elif length > dt.timedelta(minutes=facility.max_slots * minutes):
        violations.append(Violation("too_long", {"minutes": facility.max_slots * minutes}))
    if not calendar.within_opening_hours(start, end):
        violations.append(Violation("outside_opening_hours"))
    if reason := calendar.closure_reason(start, end):
        violations.append(Violation("closed", {"reason": reason}))
    return violations


def request_violations(
    *,
    facility: Facility,
    user,
    start: dt.datetime,
    end: dt.datetime,
    attendees: int,
    now: dt.datetime,
) -> list[Violation]:
    """Every rule that a request for [start, end) at `facility` by `user` breaks."""
    violations: list[Violation] = []

    def fail(code: str, **params):
        violations.append(Violation(code, params))

    if not email_verified(user):
        fail("email_not_verified")
    if not (facility.is_published and facility.community.is_verified):
        fail("not_bookable")
        return violations  # nothing else about an unbookable facility is worth saying
    if end <= start:
        fail("too_short", minutes=facility.min_slots * facility.slot_minutes)
        return violations
    # Dates at the edge of the calendar would overflow the date arithmetic below; they are
    # simply in the past or far beyond any horizon.
    if start.year < EARLIEST_YEAR:
        fail("in_past")
        return violations
    if end.year > LATEST_YEAR:
        fail("beyond_horizon", days=facility.horizon_days)
        return violations

    calendar = FacilityCalendar.load(facility, start, end)
    violations += policy_violations(facility, calendar, start, end)

    if start <= now:
        fail("in_past")
    elif too_soon(facility, start, now):
        fail("too_soon", hours=facility.lead_hours)
    elif beyond_horizon(facility, start, now):
        fail("beyond_horizon", days=facility.horizon_days)

    if attendees < 1:
        fail("no_attendees")
    elif attendees > facility.capacity:
        fail("over_capacity", capacity=facility.capacity)
    if active_bookings_count(facility, user, now) >= facility.max_active_per_user:
        fail("quota_exceeded", limit=facility.max_active_per_user)

    if conflicting_bookings(facility, start, end).exists():
        fail("slot_taken")
    return violations


def check_request(**request) -> None:
    """Raise BookingError with every broken rule; return quietly when the request may go in."""
    violations = request_violations(**request)
    if violations:
        raise BookingError.of(violations)
