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


# What a time on the facility page says of itself under its hour, in a word or two: the
# legend above the times gives the full label.
SLOT_STATE_SHORT_LABELS = {
    SlotState.FREE: pgettext_lazy("slot state", "Free"),
    SlotState.TAKEN: pgettext_lazy("slot state, short", "Booked"),
    SlotState.CLOSED: pgettext_lazy("slot state, short", "Closed"),
    SlotState.OUTSIDE_HOURS: pgettext_lazy("slot state, short", "Not open"),
    SlotState.TOO_SOON: pgettext_lazy("slot state, short", "Too soon"),
    SlotState.TOO_SHORT: pgettext_lazy("slot state, short", "Too short"),
    SlotState.BEYOND_HORIZON: pgettext_lazy("slot state, short", "Not yet"),
    SlotState.PAST: pgettext_lazy("slot state, short", "Past"),
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

    @property
    def short_label(self) -> str:
        return str(SLOT_STATE_SHORT_LABELS[self.state])

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
    `days` with nothing else changed (see _next_clock_change)."""
    return _next_clock_change(facility, (slot.start for day in days for slot in day.slots), now)


def _next_clock_change(facility: Facility, starts, now: dt.datetime) -> dt.datetime:
    """The first moment after `now` at which the clock alone changes what a start among
    `starts` is: it passes (past), or comes within the lead time (too soon); or the next
    midnight in WIB (the booking horizon moves by a day)."""
    lead = dt.timedelta(hours=facility.lead_hours)
    changes = [clock.next_local_midnight(now)]
    for start in starts:
        changes.extend(moment for moment in (start - lead, start) if moment > now)
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


# --- The facility page's day picker ---------------------------------------------------------

# The strip of days on the facility page shows this many at a time, from today: a week, the
# span a resident plans in, and what fits one row of a phone's screen when scrolled.
STRIP_DAYS = 7


class DayStatus(StrEnum):
    FREE = "free"  # at least one time a booking may start
    FULL = "full"  # open, but every time is booked (or left too short by bookings)
    CLOSED = "closed"  # not open that day: no hours, a closure, a holiday
    UNAVAILABLE = "unavailable"  # open, but what is left is past or too soon to book


@dataclass
class PickerDay(Day):
    status: DayStatus = DayStatus.CLOSED
    free_count: int = 0

    @property
    def times(self) -> list[Slot]:
        """The day's start times a resident can read: those within opening hours."""
        return [slot for slot in self.slots if slot.state != SlotState.OUTSIDE_HOURS]

    @property
    def gone_runs(self) -> list["TimeRun"]:
        """The times at the start of the day that have passed or are too soon to book, as
        runs of one state ("08.00–13.00 past"): said in a line each rather than a row of
        tiles each, so that the first free time is not pushed down the page."""
        runs: list[TimeRun] = []
        for slot in self.times[: self._gone_count]:
            if runs and runs[-1].state == slot.state:
                runs[-1].last = slot
            else:
                runs.append(TimeRun(slot.state, slot, slot))
        return runs

    @property
    def tiles(self) -> list[Slot]:
        """The times shown one by one: from the first that is neither past nor too soon."""
        return self.times[self._gone_count :]

    @property
    def _gone_count(self) -> int:
        gone = 0
        for slot in self.times:
            if slot.state not in (SlotState.PAST, SlotState.TOO_SOON):
                break
            gone += 1
        return gone


@dataclass
class TimeRun:
    state: SlotState
    first: Slot
    last: Slot

    @property
    def label(self) -> str:
        return str(SLOT_STATE_LABELS[self.state])


@dataclass
class DayPicker:
    """The facility page's picker: a strip of days from today (never a past day, never one
    beyond the horizon) and the chosen day's start times."""

    facility: Facility
    strip: list[PickerDay]
    day: PickerDay
    # The first day with a free time from today (None: none before the horizon): the day
    # shown when none was asked for.
    first_free_day: dt.date | None
    # The strip before and after this one: the day to open there (its first with a free
    # time, else its first), or None at either end.
    earlier: dt.date | None
    later: dt.date | None
    # A day was asked for (?tanggal=) that cannot be shown: past, beyond the horizon.
    refused: bool
    valid_until: dt.datetime


def day_picker(
    facility: Facility, asked: dt.date | None, *, now: dt.datetime | None = None
) -> DayPicker:
    """The picker for the day `asked` (None: the first day with a free time). Free exactly as
    the grid says (rules.can_start); three queries, whatever the horizon or the bookings."""
    now = now or clock.now()
    today = clock.to_local(now).date()
    last = max(today, rules.last_bookable_day(facility, now))
    range_start = clock.local_datetime(today, dt.time.min)
    reach = clock.local_datetime(last + dt.timedelta(days=1), dt.time.min)
    reach += rules.minimum_length(facility)
    calendar = rules.FacilityCalendar.load(facility, range_start, reach)
    holders = rules.Holders.load(facility, range_start, reach)
    bounds = _grid_bounds(calendar)

    def is_free(start: dt.datetime) -> bool:
        return rules.can_start(facility, calendar, holders, start, now)

    def first_free(first: dt.date, until: dt.date) -> dt.date | None:
        day = first
        while day <= until:
            if any(is_free(start) for start, _end in _cells(facility, day, *bounds)):
                return day
            day += dt.timedelta(days=1)
        return None

    first_free_day = first_free(today, last)
    refused = asked is not None and not today <= asked <= last
    chosen = asked if asked is not None and not refused else (first_free_day or today)
    # Strips start at today and follow each other a week at a time, so a day's link always
    # opens the same strip.
    strip_start = today + dt.timedelta(days=(chosen - today).days // STRIP_DAYS * STRIP_DAYS)
    strip_end = min(strip_start + dt.timedelta(days=STRIP_DAYS - 1), last)
    strip = []
    day = strip_start
    while day <= strip_end:
        entry = PickerDay(
            date=day,
            opening_hours=calendar.hours.get(day.weekday(), []),
            holiday=rules.public_holiday(day),
        )
        entry.slots = [
            Slot(start, end, _state(facility, calendar, holders, start, end, now))
            for start, end in _cells(facility, day, *bounds)
        ]
        entry.free_count = sum(slot.is_free for slot in entry.slots)
        entry.status = _day_status(entry)
        strip.append(entry)
        day += dt.timedelta(days=1)

    def strip_opening(first: dt.date) -> dt.date:
        end = min(first + dt.timedelta(days=STRIP_DAYS - 1), last)
        return first_free(first, end) or first

    step = dt.timedelta(days=STRIP_DAYS)
    return DayPicker(
        facility=facility,
        strip=strip,
        day=next(entry for entry in strip if entry.date == chosen),
        first_free_day=first_free_day,
        earlier=strip_opening(strip_start - step) if strip_start > today else None,
        later=strip_opening(strip_start + step) if strip_start + step <= last else None,
        refused=refused,
        valid_until=_next_grid_change(facility, today, strip_end + step, bounds, now),
    )


def _next_grid_change(
    facility: Facility,
    first: dt.date,
    last: dt.date,
    bounds: tuple[dt.time, dt.time],
    now: dt.datetime,
) -> dt.datetime:
    """As _next_change, for every cell from `first` to `last`: the picker shows the strip, but
    also names the first free day and opens the strips before and after it on their first
    free day, any of which the clock alone may change (a free time becomes too soon)."""
    days = (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
    starts = (start for day in days for start, _end in _cells(facility, day, *bounds))
    return _next_clock_change(facility, starts, now)


def _day_status(day: PickerDay) -> DayStatus:
    """What the strip says of a day: its free times, or why it has none."""
    if day.free_count:
        return DayStatus.FREE
    states = {slot.state for slot in day.times}
    if SlotState.TAKEN in states:
        return DayStatus.FULL
    if states & {SlotState.PAST, SlotState.TOO_SOON}:
        return DayStatus.UNAVAILABLE
    # No hours that weekday, a closure or a holiday (what a closure leaves is too short).
    return DayStatus.CLOSED


def lengths_that_fit(
    facility: Facility, start: dt.datetime, *, now: dt.datetime | None = None
) -> list[int]:
    """The lengths (in slots, min_slots to max_slots) a booking starting at `start` may have
    by the rules about time (rules.time_violations: opening hours, closures, the next booking
    and its buffer): what the booking form offers. Empty when none may start then. Two
    queries."""
    now = now or clock.now()
    slot = dt.timedelta(minutes=facility.slot_minutes)
    longest = start + slot * facility.max_slots
    calendar = rules.FacilityCalendar.load(facility, start, longest)
    holders = rules.Holders.load(facility, start, longest)
    return [
        slots
        for slots in range(facility.min_slots, facility.max_slots + 1)
        if not rules.time_violations(facility, calendar, holders, start, start + slot * slots, now)
    ]
