"""Availability: every slot of a facility's grid over a range of days, with its state.

Three queries whatever the number of days or bookings (opening hours, closures, the
slot-holding bookings that can touch the range, the last bounded below on the
(facility, start) index), and the same helpers as the request rules, so a slot shown free
is one the rules accept (for its time; the resident's own limits are checked on request).
"""

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bookings import rules
from bookings.models import Booking
from facilities.models import Closure, Facility
from haidepok import clock

MAX_DAYS = 31


class SlotState(StrEnum):
    FREE = "free"
    TAKEN = "taken"
    CLOSED = "closed"
    OUTSIDE_HOURS = "outside_hours"
    TOO_SOON = "too_soon"
    BEYOND_HORIZON = "beyond_horizon"
    PAST = "past"


SLOT_STATE_LABELS = {
    # A context: "Free" alone is also the label of a facility without a fee ("Gratis").
    SlotState.FREE: pgettext_lazy("slot state", "Free"),
    SlotState.TAKEN: _("Booked"),
    SlotState.CLOSED: _("Closed"),
    SlotState.OUTSIDE_HOURS: _("Not open"),
    SlotState.TOO_SOON: _("Too soon to book"),
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
    calendar = rules.FacilityCalendar.load(facility, range_start, range_end)
    holders = list(
        Booking.objects.holding_slot()
        .filter(
            facility=facility,
            start__gt=range_start - rules.MAX_BLOCKED_SPAN,
            start__lt=range_end + dt.timedelta(minutes=facility.buffer_minutes),
            blocked_until__gt=range_start,
        )
        .values_list("start", "blocked_until")
    )
    bookable = facility.is_published and facility.community.is_verified
    slot = dt.timedelta(minutes=facility.slot_minutes)
    buffer = dt.timedelta(minutes=facility.buffer_minutes)
    grid_start, grid_end = _grid_bounds(calendar)

    result = []
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        entry = Day(
            date=day,
            opening_hours=calendar.hours.get(day.weekday(), []),
            holiday=rules.public_holiday(day),
        )
        moment = clock.local_datetime(day, grid_start)
        day_end = clock.local_datetime(day, grid_end)
        while moment + slot <= day_end:
            entry.slots.append(
                Slot(
                    moment,
                    moment + slot,
                    _state(
                        facility, calendar, holders, moment, moment + slot, buffer, now, bookable
                    ),
                )
            )
            moment += slot
        result.append(entry)
    return Availability(
        facility=facility,
        days=result,
        closures=calendar.closures,
        valid_until=_next_change(facility, result, now),
    )


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


def _state(facility, calendar, holders, start, end, buffer, now, bookable) -> SlotState:
    if start <= now:
        return SlotState.PAST
    if not bookable or not calendar.within_opening_hours(start, end):
        return SlotState.OUTSIDE_HOURS
    if calendar.closure_reason(start, end):
        return SlotState.CLOSED
    blocked = end + buffer
    if any(held_start < blocked and held_until > start for held_start, held_until in holders):
        return SlotState.TAKEN
    if rules.too_soon(facility, start, now):
        return SlotState.TOO_SOON
    if rules.beyond_horizon(facility, start, now):
        return SlotState.BEYOND_HORIZON
    return SlotState.FREE
