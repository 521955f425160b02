"""Free means bookable, for any facility: for random policies, opening hours, closures, other
bookings and moments, every slot the availability grid calls free is one where the rules
accept a booking of the facility's minimum length, and every other slot is one where they
refuse it. The catalog's filter says the same of the whole day."""

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookings import rules
from bookings.availability import facility_availability, free_facility_ids
from bookings.errors import BookingError
from facilities.models import Facility
from haidepok import clock
from tests.factories import (
    BookingFactory,
    ClosureFactory,
    FacilityFactory,
    OpeningHoursFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

# A Monday; Nyepi (10 March 2027) falls within the three days shown.
FIRST_DAY = dt.date(2027, 3, 8)
DAYS = 3
HALF_HOURS = st.integers(0, 48)


@st.composite
def day_hours(draw):
    """Up to two opening intervals of one day, on half hours; they may touch."""
    marks = sorted(draw(st.lists(HALF_HOURS, min_size=0, max_size=4, unique=True)))
    intervals = []
    for opens, closes in zip(marks[::2], marks[1::2], strict=False):
        if draw(st.booleans()) and intervals and intervals[-1][1] < opens:
            opens = intervals[-1][1]  # touching the one before: 08-12 and 12-16
        intervals.append((opens, closes))
    return [(_time(opens), _time(closes)) for opens, closes in intervals if closes > opens]


def _time(half_hours: int) -> dt.time:
    return dt.time(23, 59) if half_hours == 48 else dt.time(half_hours // 2, 30 * (half_hours % 2))


@st.composite
def facilities(draw):
    slot = draw(st.sampled_from([15, 30, 60, 120]))
    min_slots = draw(st.integers(1, 3))
    return {
        "slot_minutes": slot,
        "min_slots": min_slots,
        "max_slots": draw(st.integers(min_slots, min_slots + 3)),
        "buffer_minutes": draw(st.sampled_from([0, 0, 15, 30, 60])),
        "lead_hours": draw(st.integers(0, 30)),
        "horizon_days": draw(st.integers(1, 4)),
        "closed_on_public_holidays": draw(st.booleans()),
        "hours": {weekday: draw(day_hours()) for weekday in range(7)},
    }


# Moments in the shown days, on a 15-minute grid (so on and off every facility's grid).
MOMENTS = st.integers(0, DAYS * 96 - 1).map(
    lambda quarter: clock.local_datetime(FIRST_DAY, dt.time()) + dt.timedelta(minutes=15 * quarter)
)


def test_every_free_slot_is_bookable_and_every_other_is_not():
    resident = UserFactory()

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        policy=facilities(),
        closures=st.lists(st.tuples(MOMENTS, st.integers(1, 40)), max_size=3),
        bookings=st.lists(st.tuples(MOMENTS, st.integers(1, 16)), max_size=8),
        now_offset=st.integers(-24 * 60, 2 * 24 * 60),
    )
    def agree(policy, closures, bookings, now_offset):
        now = clock.local_datetime(FIRST_DAY, dt.time(6)) + dt.timedelta(minutes=now_offset)
        with transaction.atomic():
            facility = _facility(policy, closures, bookings)
            free = sum(_check_each_slot(facility, resident, now))
            # The catalog's "free on" answer for the whole range is the grid's.
            range_start = clock.local_datetime(FIRST_DAY, dt.time())
            range_end = range_start + dt.timedelta(days=DAYS)
            listed = free_facility_ids([facility], range_start, range_end, now=now)
            assert (facility.pk in listed) == (free > 0)
            transaction.set_rollback(True)

    agree()


def _check_each_slot(facility, resident, now):
    """For each slot of the grid: True for a free one, which the rules accept; False for any
    other, which they refuse."""
    grid = facility_availability(facility, FIRST_DAY, DAYS, now=now)
    length = rules.minimum_length(facility)
    for day in grid.days:
        for slot in day.slots:
            request = {
                "facility": facility,
                "user": resident,
                "start": slot.start,
                "end": slot.start + length,
                "attendees": 1,
                "now": now,
            }
            if slot.is_free:
                rules.check_request(**request)  # raises if a free slot is refused
            else:
                with pytest.raises(BookingError):
                    rules.check_request(**request)
            yield slot.is_free


def _facility(policy, closures, bookings) -> Facility:
    hours = policy.pop("hours")
    facility = FacilityFactory(**policy, max_active_per_user=5, capacity=50)
    policy["hours"] = hours
    for weekday, intervals in hours.items():
        for opens, closes in intervals:
            OpeningHoursFactory(facility=facility, weekday=weekday, opens=opens, closes=closes)
    for start, quarters in closures:
        ClosureFactory(
            facility=facility, start=start, end=start + dt.timedelta(minutes=15 * quarters)
        )
    held: list[tuple[dt.datetime, dt.datetime]] = []
    for start, quarters in bookings:
        end = start + dt.timedelta(minutes=15 * quarters)
        until = rules.blocked_until(facility, end)
        # Slot holders never overlap (the database refuses it): skip one that would.
        if any(rules.overlaps(start, until, other, other_until) for other, other_until in held):
            continue
        held.append((start, until))
        BookingFactory(facility=facility, start=start, end=end, blocked_until=until)
    return facility
