"""The rules a booking request must pass, each written once.

`request_violations` answers with every rule that a request breaks (so a form can show each
one next to its field); `check_request` raises them as a BookingError. The rules about the
time alone (`time_violations`: the grid, the length, opening hours, closures, lead time,
horizon, other bookings) are also what the availability grid, the catalog's "free on" filter
and the API's `free_on` ask, through `can_start`: a moment is shown free exactly when a
booking of the facility's minimum length may start then.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache

import holidays
from allauth.account.models import EmailAddress
from django.utils import translation

from bookings import pricing
from bookings.errors import BookingError, Violation
from bookings.models import SLOT_HOLDING_STATUSES, Booking, BookingLine
from facilities.models import AddOn, Closure, Facility, OpeningHours
from haidepok import clock

# A booking lies inside one opening interval of one day, and the buffer after it is capped,
# so nothing that can overlap a moment starts more than this long before it. Conflict and
# availability queries use it as a lower bound on `start`, which keeps them on the
# (facility, start) index however many past bookings a facility has.
MAX_BLOCKED_SPAN = dt.timedelta(days=2)


# --- Two bookings -----------------------------------------------------------------------------


def blocked_until(facility: Facility, end: dt.datetime) -> dt.datetime:
    """The end of the time a booking keeps to itself: its end plus the facility's buffer."""
    return end + dt.timedelta(minutes=facility.buffer_minutes)


def overlaps(
    start: dt.datetime,
    until: dt.datetime,
    other_start: dt.datetime,
    other_until: dt.datetime,
) -> bool:
    """Whether two bookings clash: each keeps [start, end + buffer) to itself, half-open, so
    one whose buffer ends at 10.00 and one starting at 10.00 do not. The PostgreSQL exclusion
    constraint (migration 0002) and BookingQuerySet.overlapping state the same condition;
    tests/test_overlap.py holds all three to it."""
    return start < other_until and other_start < until


@dataclass(frozen=True)
class Holders:
    """The slot-holding bookings near a time, as (start, blocked_until), loaded once."""

    spans: tuple[tuple[dt.datetime, dt.datetime], ...]

    @classmethod
    def load(cls, facility: Facility, start: dt.datetime, end: dt.datetime) -> "Holders":
        """Those that can clash with a booking inside [start, end) (its buffer included)."""
        return cls.load_many([facility], start, end)[facility.pk]

    @classmethod
    def load_many(
        cls, facilities: Iterable[Facility], start: dt.datetime, end: dt.datetime
    ) -> dict[int, "Holders"]:
        """One query for many facilities."""
        facilities = list(facilities)
        longest_buffer = max((f.buffer_minutes for f in facilities), default=0)
        rows = (
            Booking.objects.holding_slot()
            .filter(
                facility__in=facilities,
                start__gt=start - MAX_BLOCKED_SPAN,
                start__lt=end + dt.timedelta(minutes=longest_buffer),
                blocked_until__gt=start,
            )
            .order_by("start")
            .values_list("facility_id", "start", "blocked_until")
        )
        spans: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {f.pk: [] for f in facilities}
        for facility_id, held_start, held_until in rows:
            spans[facility_id].append((held_start, held_until))
        return {facility_id: cls(tuple(found)) for facility_id, found in spans.items()}

    def clash(self, start: dt.datetime, until: dt.datetime) -> bool:
        return any(overlaps(start, until, held, held_until) for held, held_until in self.spans)


# --- A facility's calendar --------------------------------------------------------------------

# The holidays package names holidays in the server's locale unless told otherwise.
HOLIDAY_LANGUAGES = {"id": "id", "en": "en_US"}


@lru_cache(maxsize=32)
def indonesian_holidays(year: int, language: str) -> holidays.HolidayBase:
    return holidays.country_holidays("ID", years=year, language=language)


def public_holiday(day: dt.date) -> str | None:
    """The name of the Indonesian national holiday on `day`, if any, in the active language."""
    language = HOLIDAY_LANGUAGES.get(translation.get_language() or "id", "id")
    return indonesian_holidays(day.year, language).get(day)


@dataclass(frozen=True)
class Closing:
    """Why a facility is closed at some time, and which closure (or holiday) says so: a
    booking kept despite one closure is not kept despite another (KeptConflict)."""

    reason: str
    cause: str


@dataclass(frozen=True)
class FacilityCalendar:
    """What a facility's opening hours and closures say about time, loaded once."""

    facility: Facility
    hours: dict[int, list[tuple[dt.time, dt.time]]]
    closures: list[Closure]

    @classmethod
    def load(cls, facility: Facility, start: dt.datetime, end: dt.datetime) -> "FacilityCalendar":
        return cls.load_many([facility], start, end)[facility.pk]

    @classmethod
    def load_many(
        cls, facilities: Iterable[Facility], start: dt.datetime, end: dt.datetime
    ) -> dict[int, "FacilityCalendar"]:
        """The calendars of many facilities over [start, end) in two queries."""
        facilities = list(facilities)
        hours: dict[int, dict[int, list[tuple[dt.time, dt.time]]]] = {f.pk: {} for f in facilities}
        intervals = OpeningHours.objects.filter(facility__in=facilities).order_by("opens")
        for facility_id, weekday, opens, closes in intervals.values_list(
            "facility_id", "weekday", "opens", "closes"
        ):
            hours[facility_id].setdefault(weekday, []).append((opens, closes))
        closures = list(
            Closure.objects.affecting_any(facilities)
            .filter(start__lt=end, end__gt=start)
            .order_by("start")
        )
        return {
            f.pk: cls(
                facility=f,
                hours=hours[f.pk],
                closures=[c for c in closures if c.facility_id in (None, f.pk)],
            )
            for f in facilities
        }

    @cached_property
    def _open(self) -> dict[int, list[tuple[dt.time, dt.time]]]:
        return {weekday: _merged(intervals) for weekday, intervals in self.hours.items()}

    def within_opening_hours(self, start: dt.datetime, end: dt.datetime) -> bool:
        """Open for the whole of [start, end), on one day; intervals that touch (08–12 and
        12–16) are open straight through."""
        local_start, local_end = clock.to_local(start), clock.to_local(end)
        if local_start.date() != local_end.date():
            return False
        return any(
            opens <= local_start.time() and local_end.time() <= closes
            for opens, closes in self._open.get(local_start.weekday(), [])
        )

    def closing(self, start: dt.datetime, end: dt.datetime) -> Closing | None:
        """Why the facility is closed during [start, end), or None when it is not: the first
        closure's reason, and every closure and holiday then as the cause."""
        reasons, causes = [], []
        for closure in self.closures:
            if closure.start < end and closure.end > start:
                reasons.append(closure.reason)
                causes.append(f"closure-{closure.pk}")
        if self.facility.closed_on_public_holidays:
            local_start = clock.to_local(start)
            local_last = clock.to_local(end - dt.timedelta(microseconds=1))
            for day in sorted({local_start.date(), local_last.date()}):
                if name := public_holiday(day):
                    reasons.append(name)
                    causes.append(f"holiday-{day.isoformat()}")
        if not reasons:
            return None
        return Closing(reasons[0], "+".join(causes))

    def hours_signature(self, day: dt.date) -> str:
        """The opening hours of `day`'s weekday as text: what a booking outside them broke."""
        intervals = self._open.get(day.weekday(), [])
        return "+".join(f"{opens:%H%M}-{closes:%H%M}" for opens, closes in intervals) or "shut"


def closing_at(facility: Facility, start: dt.datetime, end: dt.datetime) -> Closing | None:
    """Why `facility` is closed during [start, end), if it is: one query (its closures only)."""
    closures = list(
        Closure.objects.affecting(facility).filter(start__lt=end, end__gt=start).order_by("start")
    )
    return FacilityCalendar(facility=facility, hours={}, closures=closures).closing(start, end)


def _merged(intervals: list[tuple[dt.time, dt.time]]) -> list[tuple[dt.time, dt.time]]:
    merged: list[tuple[dt.time, dt.time]] = []
    for opens, closes in sorted(intervals):
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return merged


# --- The rules about time ---------------------------------------------------------------------


def on_grid(facility: Facility, moment: dt.datetime) -> bool:
    local = clock.to_local(moment)
    minutes = local.hour * 60 + local.minute
    return local.second == 0 and local.microsecond == 0 and minutes % facility.slot_minutes == 0


def minimum_length(facility: Facility) -> dt.timedelta:
    return dt.timedelta(minutes=facility.minimum_minutes)


def too_soon(facility: Facility, start: dt.datetime, now: dt.datetime) -> bool:
    return start < now + dt.timedelta(hours=facility.lead_hours)


def last_bookable_day(facility: Facility, now: dt.datetime) -> dt.date:
    """Bookings open `horizon_days` ahead: up to and including that whole day, in WIB."""
    return clock.to_local(now).date() + dt.timedelta(days=facility.horizon_days)


def beyond_horizon(facility: Facility, start: dt.datetime, now: dt.datetime) -> bool:
    return clock.to_local(start).date() > last_bookable_day(facility, now)


def policy_violations(
    facility: Facility, calendar: FacilityCalendar, start: dt.datetime, end: dt.datetime
) -> list[Violation]:
    """The rules about the time itself (grid, length, opening hours, closures): what a request
    must meet, and what an existing booking may stop meeting when the organizers change the
    facility's policy, hours or closures. Each names its cause, so that a booking kept
    despite one change is not taken to be kept despite the next."""
    violations: list[Violation] = []
    minutes = facility.slot_minutes
    if not (on_grid(facility, start) and on_grid(facility, end)):
        violations.append(Violation("not_on_grid", {"slot": minutes}))
    length = end - start
    if length < minimum_length(facility):
        violations.append(Violation("too_short", {"minutes": facility.min_slots * minutes}))
    elif length > dt.timedelta(minutes=facility.max_slots * minutes):
        violations.append(Violation("too_long", {"minutes": facility.max_slots * minutes}))
    if not calendar.within_opening_hours(start, end):
        day = clock.to_local(start).date()
        violations.append(Violation("outside_opening_hours", cause=calendar.hours_signature(day)))
    if closing := calendar.closing(start, end):
        violations.append(Violation("closed", {"reason": closing.reason}, cause=closing.cause))
    return violations


def timing_violations(facility: Facility, start: dt.datetime, now: dt.datetime) -> list[Violation]:
    """When the request comes: not after the start, not too late, not too early."""
    if start <= now:
        return [Violation("in_past")]
    if too_soon(facility, start, now):
        return [Violation("too_soon", {"hours": facility.lead_hours})]
    if beyond_horizon(facility, start, now):
        return [Violation("beyond_horizon", {"days": facility.horizon_days})]
    return []


def time_violations(
    facility: Facility,
    calendar: FacilityCalendar,
    holders: Holders,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
) -> list[Violation]:
    """Every rule about the time alone that [start, end) breaks: what any resident would be
    told, whoever they are."""
    if not facility.is_bookable:
        return [Violation("not_bookable")]
    violations = policy_violations(facility, calendar, start, end)
    violations += timing_violations(facility, start, now)
    if holders.clash(start, blocked_until(facility, end)):
        violations.append(Violation("slot_taken"))
    return violations


def can_start(
    facility: Facility,
    calendar: FacilityCalendar,
    holders: Holders,
    start: dt.datetime,
    now: dt.datetime,
) -> bool:
    """Free: a booking of the facility's minimum length may start at `start`. The grid, the
    catalog and the API call a time free exactly when this says so."""
    end = start + minimum_length(facility)
    return not time_violations(facility, calendar, holders, start, end, now)


# --- The rules about the resident -------------------------------------------------------------


def email_verified(user) -> bool:
    return EmailAddress.objects.filter(user=user, verified=True).exists()


def active_bookings_count(facility: Facility, user, now: dt.datetime) -> int:
    """Pending or upcoming bookings that `user` holds at `facility`."""
    return Booking.objects.holding_slot().filter(facility=facility, user=user, end__gt=now).count()


# --- Add-ons ----------------------------------------------------------------------------------


def addons_in_use(addons: Iterable[AddOn], start: dt.datetime, end: dt.datetime) -> dict[int, int]:
    """For each add-on, the most items that slot-holding bookings hold at any one moment of
    [start, end): what is not free then. (Two bookings that never meet in time may each hold
    six of ten, and a third across both may still have four.) One query."""
    rows = (
        BookingLine.objects.filter(
            addon__in=list(addons),
            booking__status__in=SLOT_HOLDING_STATUSES,
            booking__start__gt=start - MAX_BLOCKED_SPAN,
            booking__start__lt=end,
            booking__end__gt=start,
        )
        .values_list("addon_id", "booking__start", "booking__end", "quantity")
        .order_by()
    )
    changes: dict[int, list[tuple[dt.datetime, int]]] = {}
    for addon_id, held_from, held_until, quantity in rows:
        # Clipped to [start, end): only the overlap counts.
        changes.setdefault(addon_id, []).extend(
            [(max(held_from, start), quantity), (min(held_until, end), -quantity)]
        )
    peaks = {}
    for addon_id, moments in changes.items():
        held = peak = 0
        # At the same moment, a booking ending frees its items before the next one takes them.
        for _moment, change in sorted(moments):
            held += change
            peak = max(peak, held)
        peaks[addon_id] = peak
    return peaks


def addon_violations(
    offered: dict[int, AddOn], wanted: dict[int, int], start: dt.datetime, end: dt.datetime
) -> list[Violation]:
    """Add-ons of which fewer items are free in [start, end) than `wanted` (id → quantity).
    booking_request locks the add-ons' rows first, so two requests cannot both take the last."""
    in_use = addons_in_use(offered.values(), start, end)
    violations = []
    for addon_id, quantity in sorted(wanted.items()):
        addon = offered.get(addon_id)
        if addon is None or not pricing.is_quantity(quantity):
            continue  # pricing.quote_violations says why
        available = max(0, addon.stock - in_use.get(addon_id, 0))
        if quantity > available and quantity <= addon.stock:
            violations.append(
                Violation("addon_out_of_stock", {"name": addon.name, "available": available})
            )
    return violations


def request_violations(
    *,
    facility: Facility,
    user,
    start: dt.datetime,
    end: dt.datetime,
    attendees: int,
    now: dt.datetime,
    tariff_class: str = "",
    addons: dict[int, int] | None = None,
) -> list[Violation]:
    """Every rule that a request for [start, end) at `facility` by `user` breaks, with its
    tariff class and add-ons (id → quantity)."""
    violations: list[Violation] = []
    if not email_verified(user):
        violations.append(Violation("email_not_verified"))
    if not facility.is_bookable:
        # Nothing else about an unbookable facility is worth saying.
        return [*violations, Violation("not_bookable")]
    if end <= start:
        minutes = facility.min_slots * facility.slot_minutes
        return [*violations, Violation("too_short", {"minutes": minutes})]
    # A moment outside the project's date bound (near the ends of the calendar, where the
    # date arithmetic below would overflow) is simply in the past or beyond any horizon.
    if not (clock.within_bounds(start) and clock.within_bounds(end)):
        if start < now:
            return [*violations, Violation("in_past")]
        return [*violations, Violation("beyond_horizon", {"days": facility.horizon_days})]

    calendar = FacilityCalendar.load(facility, start, end)
    holders = Holders.load(facility, start, end)
    found = time_violations(facility, calendar, holders, start, end, now)
    # The resident's own limits come before "taken", which is said last (as the form shows).
    taken = [violation for violation in found if violation.code == "slot_taken"]
    violations += [violation for violation in found if violation.code != "slot_taken"]
    if attendees < 1:
        violations.append(Violation("no_attendees"))
    elif attendees > facility.capacity:
        violations.append(Violation("over_capacity", {"capacity": facility.capacity}))
    if active_bookings_count(facility, user, now) >= facility.max_active_per_user:
        violations.append(Violation("quota_exceeded", {"limit": facility.max_active_per_user}))
    addons = addons or {}
    offered = pricing.offered_addons(facility, addons.keys())
    violations += pricing.quote_violations(facility, tariff_class, start, addons, offered=offered)
    violations += addon_violations(offered, addons, start, end)
    return violations + taken


def check_request(**request) -> None:
    """Raise BookingError with every broken rule; return quietly when the request may go in."""
    violations = request_violations(**request)
    if violations:
        raise BookingError.of(violations)
