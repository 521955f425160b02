"""A facility's day or week as staff see it in the admin: opening hours, closures (its own and
city-wide ones), public holidays, and every booking with its status. Three queries."""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from bookings import rules
from bookings.models import Booking, BookingStatus
from facilities.models import Closure, Facility, OpeningHours
from haidepok import clock


@dataclass
class ClosureOnDay:
    closure: Closure
    whole_day: bool
    start: dt.time  # local times of the part of the closure that falls on this day
    end: dt.time | None  # None: until the end of the day


@dataclass
class CalendarDay:
    date: dt.date
    hours: list[tuple[dt.time, dt.time]]
    holiday: str | None
    closed_on_holiday: bool
    closures: list[ClosureOnDay] = field(default_factory=list)
    bookings: list[Booking] = field(default_factory=list)


@dataclass
class StaffCalendar:
    facility: Facility
    mode: str  # "day" or "week"
    first: dt.date
    days: list[CalendarDay]
    today: dt.date

    @property
    def last(self) -> dt.date:
        return self.days[-1].date

    @property
    def step(self) -> dt.timedelta:
        return dt.timedelta(days=len(self.days))

    @property
    def previous(self) -> dt.date:
        return self.first - self.step

    @property
    def next(self) -> dt.date:
        return self.first + self.step

    @property
    def status_counts(self) -> list[tuple[str, str, int]]:
        """(status, label, count) of the bookings shown, in the order of the state machine."""
        counts = Counter(booking.status for day in self.days for booking in day.bookings)
        return [
            (status, label, counts[status])
            for status, label in BookingStatus.choices
            if counts[status]
        ]


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def parse_day(text: str | None) -> dt.date | None:
    return clock.day_from_query(text, None)


def calendar_for(facility: Facility, query, *, today: dt.date | None = None) -> StaffCalendar:
    """`?day=YYYY-MM-DD` shows that day; `?week=YYYY-MM-DD` the week (Monday to Sunday) that
    holds the date; neither (or a date that does not parse) this week."""
    today = today or clock.local_now().date()
    if day := parse_day(query.get("day")):
        return facility_calendar(facility, day, days=1, mode="day", today=today)
    week = parse_day(query.get("week")) or today
    return facility_calendar(facility, monday_of(week), days=7, mode="week", today=today)


def facility_calendar(
    facility: Facility, first: dt.date, *, days: int, mode: str, today: dt.date
) -> StaffCalendar:
    start = clock.local_datetime(first, dt.time.min)
    end = start + dt.timedelta(days=days)

    hours: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for interval in OpeningHours.objects.filter(facility=facility).order_by("weekday", "opens"):
        hours.setdefault(interval.weekday, []).append((interval.opens, interval.closes))
    closures = list(
        Closure.objects.affecting(facility)
        .filter(start__lt=end, end__gt=start)
        .select_related("facility")
        .order_by("start", "pk")
    )
    bookings = list(
        Booking.objects.filter(facility=facility, start__lt=end, end__gt=start)
        .select_related("user")
        .order_by("start", "pk")
    )

    calendar_days = []
    for offset in range(days):
        date = first + dt.timedelta(days=offset)
        holiday = rules.public_holiday(date)
        day = CalendarDay(
            date=date,
            hours=hours.get(date.weekday(), []),
            holiday=holiday,
            closed_on_holiday=bool(holiday and facility.closed_on_public_holidays),
        )
        day_start = clock.local_datetime(date, dt.time.min)
        day_end = day_start + dt.timedelta(days=1)
        for closure in closures:
            if closure.start < day_end and closure.end > day_start:
                part_start = clock.to_local(max(closure.start, day_start))
                part_end = clock.to_local(min(closure.end, day_end))
                day.closures.append(
                    ClosureOnDay(
                        closure=closure,
                        whole_day=closure.start <= day_start and closure.end >= day_end,
                        start=part_start.time(),
                        end=None if part_end >= day_end else part_end.time(),
                    )
                )
        day.bookings = [b for b in bookings if clock.to_local(b.start).date() == date]
        calendar_days.append(day)
    return StaffCalendar(facility=facility, mode=mode, first=first, days=calendar_days, today=today)
