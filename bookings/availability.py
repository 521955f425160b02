"""Availability: every slot of a facility's grid over a range of days, with its state, and
which facilities have a free slot on a day or between two times.

A slot is free when a booking of the facility's minimum length may start then: the grid asks
bookings.rules.can_start, the request rules' own answer, so what it shows free the rules
accept (for its time; the resident's own limits are checked on request). Three queries
whatever the number of days or bookings (opening hours, closures, the slot-holding bookings
that can touch the range, the last bounded below on the (facility, start) index), and as
many for any number of facilities.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bookings import rules
from facilities.models import Closure, Facility
from haidepok import clock

MAX_DAYS = 31


class SlotState(StrEnum):
    FREE = "free"
    TAKEN = "taken"
    CLOSED = "closed"
    OUTSIDE_HOURS = "outside_hours"
    TOO_SOON = "too_soon"
    # Free itself, but a booking of the minimum length starting here would not fit: the
    # facility closes, a closure or another booking begins before it would end.
    TOO_SHORT = "too_short"
    BEYOND_HORIZON = "beyond_horizon"
    PAST = "past"


SLOT_STATE_LABELS = {
    # A context: "Free" alone is also the label of a facility without a fee ("Gratis").
    SlotState.FREE: pgettext_lazy("slot state", "Free"),
    SlotState.TAKEN: _("Booked"),
    SlotState.CLOSED: _("Closed"),
    SlotState.OUTSIDE_HOURS: _("Not open"),
    SlotState.TOO_SOON: _("Too soon to book"),
    SlotState.TOO_SHORT: _("Too little time to book"),
    SlotState.BEYOND_HORIZON: _("Not open for booking yet"),
    SlotState.PAST: _("Past"),
}


@dataclass(frozen=True)
class Slot:
    start: dt.datetime
    end: dt.datetime
    state: SlotState

    @property
    def is_free(self) -> bool:
        return self.state == SlotState.FREE

    @property
    def label(self) -> str:
        return str(SLOT_STATE_LABELS[self.state])

    # For the week on the facility page, which shows a hundred slots and more: formatted here
    # once, not through the template's date filters (WIB, as the rest of the grid).
    @property
    def start_label(self) -> str:
        return clock.to_local(self.start).strftime("%H.%M")

    @property
    def start_param(self) -> str:
        return clock.to_local(self.start).strftime("%Y-%m-%dT%H:%M")


@dataclass
class Day:
    date: dt.date
    opening_hours: list[tuple[dt.time, dt.time]]
    holiday: str | None
    slots: list[Slot] = field(default_factory=list)


@dataclass
class Availability:
    facility: Facility
    days: list[Day]
    closures: list[Closure]
    # When the clock alone changes a slot's state (a slot becomes past or too soon, a day
    # opens for booking at midnight): how long the grid may be cached.
    valid_until: dt.datetime


def facility_availability(
    facility: Facility, first_day: dt.date, days: int, *, now: dt.datetime | None = None
) -> Availability:
    """The grid of `facility` for `days` days from `first_day` (WIB dates)."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}")
    now = now or clock.now()
    range_start = clock.local_datetime(first_day, dt.time.min)
    range_end = clock.local_datetime(first_day + dt.timedelta(days=days), dt.time.min)
    # A booking starting on the last day may run past midnight only in theory (the rules
    # keep it inside one day's hours); its minimum length is what the rules look at.
    reach = range_end + rules.minimum_length(facility)
    calendar = rules.FacilityCalendar.load(facility, range_start, reach)
    holders = rules.Holders.load(facility, range_start, reach)
    grid_start, grid_end = _grid_bounds(calendar)
    result = []
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        entry = Day(
            date=day,
            opening_hours=calendar.hours.get(day.weekday(), []),
            holiday=rules.public_holiday(day),
        )
        entry.slots = [
            Slot(start, end, _state(facility, calendar, holders, start, end, now))
            for start, end in _cells(facility, day, grid_start, grid_end)
        ]
        result.append(entry)
    return Availability(
        facility=facility,
        days=result,
        closures=calendar.closures,
        valid_until=_next_change(facility, result, now),
    )


def _cells(facility: Facility, day: dt.date, grid_start: dt.time, grid_end: dt.time):
    """The grid's cells of one day, as (start, end)."""
    slot = dt.timedelta(minutes=facility.slot_minutes)
    moment = clock.local_datetime(day, grid_start)
    day_end = clock.local_datetime(day, grid_end)
    while moment + slot <= day_end:
        yield moment, moment + slot
        moment += slot


def _state(facility, calendar, holders, start, end, now) -> SlotState:
    """The state of the cell [start, end). Free exactly when rules.can_start says so; any
    other state names why not, from the cell's own time first."""
    if rules.can_start(facility, calendar, holders, start, now):
        return SlotState.FREE
    if start <= now:
        return SlotState.PAST
    if not facility.is_bookable or not calendar.within_opening_hours(start, end):
        return SlotState.OUTSIDE_HOURS
    if calendar.closing(start, end):
        return SlotState.CLOSED
    if holders.clash(start, rules.blocked_until(facility, end)):
        return SlotState.TAKEN
    if rules.too_soon(facility, start, now):
        return SlotState.TOO_SOON
    if rules.beyond_horizon(facility, start, now):
        return SlotState.BEYOND_HORIZON
    return SlotState.TOO_SHORT


def free_facility_ids(
    facilities: Iterable[Facility],
    start: dt.datetime,
    end: dt.datetime,
    *,
    now: dt.datetime | None = None,
) -> set[int]:
    """The ids of those `facilities` where a booking of the minimum length may start on the
    grid in [start, end) and end by `end`: free between two times, or on a day (midnight to
    midnight). The same answer as the grid's free slots, for any number of facilities in
    three queries."""
    now = now or clock.now()
    facilities = list(facilities)
    if not facilities or end <= start:
        return set()
    calendars = rules.FacilityCalendar.load_many(facilities, start, end)
    holders = rules.Holders.load_many(facilities, start, end)
    free = set()
    for facility in facilities:
        calendar, held = calendars[facility.pk], holders[facility.pk]
        length = rules.minimum_length(facility)
        for day in _days(start, end):
            cells = _cells(facility, day, *_grid_bounds(calendar))
            if any(
                start <= cell_start
                and cell_start + length <= end
                and rules.can_start(facility, calendar, held, cell_start, now)
                for cell_start, _cell_end in cells
            ):
                free.add(facility.pk)
                break
    return free


def _days(start: dt.datetime, end: dt.datetime) -> list[dt.date]:
    first = clock.to_local(start).date()
    last = clock.to_local(end - dt.timedelta(microseconds=1)).date()
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _next_change(facility: Facility, days: list[Day], now: dt.datetime) -> dt.datetime:
    """The first moment after `now` at which `_state` can answer differently for a slot of
    `days` with nothing else changed: a start (past), a start less the lead time (too soon),
    or the next midnight in WIB (the booking horizon moves by a day)."""
    lead = dt.timedelta(hours=facility.lead_hours)
    changes = [clock.next_local_midnight(now)]
    for day in days:
        for slot in day.slots:
            changes.extend(moment for moment in (slot.start - lead, slot.start) if moment > now)
    return min(changes)


def _grid_bounds(calendar: rules.FacilityCalendar) -> tuple[dt.time, dt.time]:
    """From the earliest opening to the latest closing of the week, so days line up, on the
    slot grid counted from midnight (as the rules count it): a facility opening at 08:30 with
    60-minute slots shows 08:00 (not open yet) and then 09:00."""
    intervals = [interval for day in calendar.hours.values() for interval in day]
    if not intervals:
        return dt.time(0), dt.time(0)
    first = grid_floor(calendar.facility, min(opens for opens, _ in intervals))
    return first, max(closes for _, closes in intervals)


def grid_floor(facility: Facility, moment: dt.time) -> dt.time:
    """The last start on the facility's grid at or before `moment`."""
    minutes = moment.hour * 60 + moment.minute
    minutes -= minutes % facility.slot_minutes
    return dt.time(minutes // 60, minutes % 60)
