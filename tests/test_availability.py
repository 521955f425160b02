"""The availability grid (bookings.availability): slot states, what it shows beside them, its
fixed cost in queries, and its agreement with the request rules."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings import rules
from bookings.availability import MAX_DAYS, SlotState, facility_availability
from bookings.errors import BookingError
from bookings.models import Booking, BookingStatus
from facilities.models import Facility
from tests.factories import (
    ClosureFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    open_facility,
    request_booking,
    wib,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

NOW = wib(2027, 2, 28, 10)  # Sunday 10:00
MORNING, AFTERNOON = (dt.time(8), dt.time(12)), (dt.time(13), dt.time(17))
F = SlotState.FREE
T = SlotState.TAKEN
C = SlotState.CLOSED
O = SlotState.OUTSIDE_HOURS  # noqa: E741
S = SlotState.TOO_SOON
B = SlotState.BEYOND_HORIZON
P = SlotState.PAST

# A lower bound on "start" keeps the overlap queries on the (facility, start) index.
START_LOWER_BOUND = re.compile(r'"bookings_booking"\."start" >=? ')


def states(day) -> str:
    return " ".join(slot.state.value for slot in day.slots)


def row(*codes) -> str:
    return " ".join(code.value for code in codes)


@pytest.fixture
def hall() -> Facility:
    """Open 08-12 and 13-17 every day, hourly slots, a 30-minute buffer, 24 hours' lead and
    a week's horizon; one booking on Tuesday 09-10 and a closure on Wednesday 13-15."""
    facility = open_facility(
        hours=[MORNING, AFTERNOON], slot_minutes=60, buffer_minutes=30, horizon_days=7
    )
    request_booking(facility, wib(2027, 3, 2, 9), wib(2027, 3, 2, 10), now=NOW)
    ClosureFactory(
        facility=facility, start=wib(2027, 3, 3, 13), end=wib(2027, 3, 3, 15), reason="Kerja bakti"
    )
    return facility


def test_each_slot_has_its_state(hall):
    grid = facility_availability(hall, dt.date(2027, 2, 28), 9, now=NOW)

    assert [day.date for day in grid.days] == [
        dt.date(2027, 2, 28) + dt.timedelta(days=n) for n in range(9)
    ]
    # One column per hour from 08:00 to 16:00; 12:00 is the midday gap.
    expected = {
        # Sunday: now is 10:00, bookings open 24 hours ahead.
        dt.date(2027, 2, 28): row(P, P, P, S, O, S, S, S, S),
        # Monday: 10:00 is exactly 24 hours ahead.
        dt.date(2027, 3, 1): row(S, S, F, F, O, F, F, F, F),
        # Tuesday: 09-10 is booked; its 30-minute buffer takes 08-09 and 10-11 too.
        dt.date(2027, 3, 2): row(T, T, T, F, O, F, F, F, F),
        # Wednesday: closed 13-15.
        dt.date(2027, 3, 3): row(F, F, F, F, O, C, C, F, F),
        dt.date(2027, 3, 7): row(F, F, F, F, O, F, F, F, F),  # the horizon's last day
        dt.date(2027, 3, 8): row(B, B, B, B, O, B, B, B, B),
    }
    for day in grid.days:
        assert [slot.start.time() for slot in day.slots] == [dt.time(h) for h in range(8, 17)]
        assert all(slot.end - slot.start == dt.timedelta(hours=1) for slot in day.slots)
        if day.date in expected:
            assert states(day) == expected[day.date], day.date
    free = [slot for day in grid.days for slot in day.slots if slot.is_free]
    assert free and all(slot.label for slot in free)


def test_the_grid_shows_opening_hours_closures_and_holidays(hall):
    ClosureFactory(facility=None, start=wib(2027, 3, 4), end=wib(2027, 3, 5), reason="Pilkada")
    ClosureFactory(start=wib(2027, 3, 4), end=wib(2027, 3, 5), reason="Another facility's")
    ClosureFactory(facility=hall, start=wib(2027, 3, 20), end=wib(2027, 3, 21), reason="Later")

    grid = facility_availability(hall, dt.date(2027, 3, 1), 8, now=NOW)

    assert all(day.opening_hours == [MORNING, AFTERNOON] for day in grid.days)
    assert sorted(closure.reason for closure in grid.closures) == ["Kerja bakti", "Pilkada"]
    assert {day.date: day.holiday for day in grid.days if day.holiday} == {
        dt.date(2027, 3, 8): rules.public_holiday(dt.date(2027, 3, 8))  # Nyepi
    }
    thursday = grid.days[3]
    assert states(thursday) == row(C, C, C, C, O, C, C, C, C)


def test_a_facility_closed_on_public_holidays_shows_the_holiday_closed():
    facility = open_facility(closed_on_public_holidays=True, lead_hours=0)

    grid = facility_availability(facility, dt.date(2027, 8, 16), 3, now=wib(2027, 8, 1))

    monday, independence_day, wednesday = grid.days
    assert independence_day.holiday
    assert {slot.state for slot in independence_day.slots} == {C}
    assert {slot.state for slot in monday.slots + wednesday.slots} == {F}


def test_a_facility_nobody_may_book_shows_nothing_free():
    facility = open_facility(is_published=False)

    grid = facility_availability(facility, dt.date(2027, 3, 1), 2, now=NOW)

    assert {slot.state for day in grid.days for slot in day.slots} == {O}


def test_a_facility_without_opening_hours_has_no_slots():
    facility = open_facility(weekdays=[])

    grid = facility_availability(facility, dt.date(2027, 3, 1), 3, now=NOW)

    assert [day.slots for day in grid.days] == [[], [], []]


def test_a_long_buffer_from_the_evening_before_takes_the_next_morning():
    facility = open_facility(hours=[(dt.time(6), dt.time(23))], buffer_minutes=720)
    request_booking(facility, wib(2027, 3, 1, 21), wib(2027, 3, 1, 23), now=NOW)  # blocks to 11:00

    tuesday = facility_availability(facility, dt.date(2027, 3, 2), 1, now=NOW).days[0]

    assert states(tuesday).split()[:6] == ["taken"] * 5 + ["free"]  # 06..10 taken, 11 free
    with pytest.raises(BookingError) as info:
        rules.check_request(**_request(facility, wib(2027, 3, 2, 10), wib(2027, 3, 2, 11)))
    assert info.value.codes == ["slot_taken"]
    rules.check_request(**_request(facility, wib(2027, 3, 2, 11), wib(2027, 3, 2, 12)))


@pytest.mark.parametrize("days", [0, -1, MAX_DAYS + 1, 100])
def test_between_one_and_31_days_are_shown(hall, days):
    with pytest.raises(ValueError):
        facility_availability(hall, dt.date(2027, 3, 1), days, now=NOW)


@pytest.mark.parametrize("days", [1, MAX_DAYS])
def test_one_day_and_31_days_are_fine(hall, days):
    assert MAX_DAYS == 31
    assert len(facility_availability(hall, dt.date(2027, 3, 1), days, now=NOW).days) == days


# --- cost -------------------------------------------------------------------------------------

QUERY_BOUND = 4  # opening hours, closures, bookings, and the community of a fresh facility


def test_the_grid_costs_the_same_few_queries_for_one_empty_day_or_31_busy_days(
    django_assert_max_num_queries,
):
    quiet = open_facility()
    busy = open_facility()
    resident = UserFactory()
    hours = [
        wib(2027, 3, 1, 8) + dt.timedelta(days=d, hours=h) for d in range(31) for h in range(12)
    ]
    Booking.objects.bulk_create(
        Booking(
            reference=f"HD-T{n:05d}",
            facility=busy,
            user=resident,
            start=start,
            end=start + dt.timedelta(hours=1),
            blocked_until=start + dt.timedelta(hours=1),
            purpose="Latihan",
            attendees=5,
            contact_phone="0812",
            status=[BookingStatus.REQUESTED, BookingStatus.APPROVED][n % 2],
        )
        for n, start in enumerate(hours[:300])
    )
    ClosureFactory(facility=busy, start=wib(2027, 3, 28), end=wib(2027, 3, 29))  # a free day

    quiet, busy = Facility.objects.get(pk=quiet.pk), Facility.objects.get(pk=busy.pk)

    with django_assert_max_num_queries(QUERY_BOUND):
        one = facility_availability(quiet, dt.date(2027, 3, 1), 1, now=NOW)
    with django_assert_max_num_queries(QUERY_BOUND):
        month = facility_availability(busy, dt.date(2027, 3, 1), 31, now=NOW)

    assert len(one.days) == 1
    assert sum(slot.state == T for day in month.days for slot in day.slots) == 300


def test_the_bookings_queries_are_bounded_below_on_start(hall):
    with CaptureQueriesContext(connection) as grid_queries:
        facility_availability(hall, dt.date(2027, 3, 1), 7, now=NOW)
    with CaptureQueriesContext(connection) as rule_queries:
        rules.check_request(**_request(hall, wib(2027, 3, 4, 9), wib(2027, 3, 4, 10)))

    for captured in (grid_queries, rule_queries):
        overlap_queries = [
            query["sql"]
            for query in captured.captured_queries
            if 'FROM "bookings_booking"' in query["sql"] and '"blocked_until" >' in query["sql"]
        ]
        assert overlap_queries
        for sql in overlap_queries:
            assert START_LOWER_BOUND.search(sql), sql


# --- agreement with the rules -----------------------------------------------------------------

# What the rules say of a booking of the minimum length starting in a slot of each state.
STATE_TO_CODES = {
    T: {"slot_taken"},
    C: {"closed"},
    O: {"outside_opening_hours"},
    S: {"too_soon"},
    B: {"beyond_horizon"},
    P: {"in_past"},
    # The slot itself is free, but the minimum length runs into something.
    SlotState.TOO_SHORT: {"outside_opening_hours", "closed", "slot_taken"},
}


def _request(facility, start, end, user=None, now=NOW):
    return {
        "facility": facility,
        "user": user or UserFactory(),
        "start": start,
        "end": end,
        "attendees": 1,
        "now": now,
    }


def assert_grid_agrees_with_the_rules(facility, first_day, days, now):
    """A booking of the minimum length starting in each free slot passes check_request for a
    fresh resident; starting in any other slot it is refused, for a reason its state names."""
    resident = UserFactory()
    grid = facility_availability(facility, first_day, days, now=now)
    length = dt.timedelta(minutes=facility.min_slots * facility.slot_minutes)
    free = 0
    for day in grid.days:
        for slot in day.slots:
            request = _request(facility, slot.start, slot.start + length, user=resident, now=now)
            if slot.is_free:
                rules.check_request(**request)
                free += 1
            else:
                with pytest.raises(BookingError) as info:
                    rules.check_request(**request)
                assert STATE_TO_CODES[slot.state] & set(info.value.codes), (slot, info.value.codes)
    return free


def test_the_slots_shown_free_are_the_slots_the_rules_accept():
    facility = open_facility(
        hours=[(dt.time(7), dt.time(11, 30)), (dt.time(13), dt.time(21))],
        slot_minutes=30,
        min_slots=1,
        buffer_minutes=30,
        lead_hours=3,
        horizon_days=2,
    )
    now = wib(2027, 3, 1, 9, 10)
    request_booking(facility, wib(2027, 3, 1, 14), wib(2027, 3, 1, 15, 30), now=now)
    request_booking(facility, wib(2027, 3, 2, 7), wib(2027, 3, 2, 8), now=now)
    request_booking(facility, wib(2027, 3, 2, 16, 30), wib(2027, 3, 2, 17), now=now)
    ClosureFactory(facility=facility, start=wib(2027, 3, 2, 10, 15), end=wib(2027, 3, 2, 13, 45))
    ClosureFactory(facility=None, start=wib(2027, 3, 3, 20), end=wib(2027, 3, 4, 9))

    free = assert_grid_agrees_with_the_rules(facility, dt.date(2027, 3, 1), 4, now)

    assert free > 20


@pytest.mark.parametrize(
    ("slot_minutes", "opens", "closes"),
    [
        pytest.param(120, dt.time(9), dt.time(17), id="2h-slots-opening-at-9"),
        pytest.param(60, dt.time(8, 30), dt.time(16, 30), id="1h-slots-opening-at-8:30"),
    ],
)
def test_the_grid_agrees_with_the_rules_when_opening_is_off_the_slot_grid(
    slot_minutes, opens, closes
):
    facility = open_facility(
        hours=[(opens, closes)], slot_minutes=slot_minutes, min_slots=1, max_slots=2
    )

    free = assert_grid_agrees_with_the_rules(facility, dt.date(2027, 3, 1), 2, NOW)

    assert free > 0


def test_with_a_two_slot_minimum_the_last_slot_and_a_one_slot_gap_are_not_free():
    facility = open_facility(
        hours=[(dt.time(8), dt.time(21))], min_slots=2, max_slots=4, buffer_minutes=0, lead_hours=0
    )
    request_booking(facility, wib(2027, 3, 1, 9), wib(2027, 3, 1, 11), now=NOW)
    request_booking(facility, wib(2027, 3, 1, 12), wib(2027, 3, 1, 14), now=NOW)

    monday = facility_availability(facility, dt.date(2027, 3, 1), 1, now=NOW).days[0]
    states = {slot.start_label: slot.state for slot in monday.slots}

    assert states["08.00"] == states["11.00"] == states["20.00"] == SlotState.TOO_SHORT
    assert states["14.00"] == states["19.00"] == SlotState.FREE
    assert assert_grid_agrees_with_the_rules(facility, dt.date(2027, 3, 1), 2, NOW) > 10
