"""A booking kept despite new settings is kept despite that rule *and its cause*: the closure,
the opening hours or the limit it broke then. A later closure, other hours or a stricter
limit bring it back to the organizers' list (bookings.selectors.bookings_broken_by_policy)."""

import datetime as dt

import pytest

from bookings import services
from bookings.selectors import bookings_broken_by_policy
from facilities.models import OpeningHours
from tests.factories import (
    BookingFactory,
    ClosureFactory,
    open_facility,
    organizer_of,
    wib,
)

pytestmark = pytest.mark.django_db

NOW = wib(2027, 2, 20, 10)
MONDAY_10, MONDAY_12 = wib(2027, 3, 1, 10), wib(2027, 3, 1, 12)


@pytest.fixture
def kept():
    """A Monday booking that a power cut closure no longer allows, kept by an organizer."""
    facility = open_facility(max_slots=4)
    organizer = organizer_of(facility)
    booking = BookingFactory(facility=facility, start=MONDAY_10, end=MONDAY_12)
    ClosureFactory(facility=facility, start=MONDAY_10, end=wib(2027, 3, 1, 11), reason="Listrik")
    services.booking_keep_despite_policy(booking=booking, actor=organizer)
    assert bookings_broken_by_policy(facility, now=NOW) == []
    return booking


def codes(facility):
    return [
        (booking, [violation.code for violation in violations])
        for booking, violations in bookings_broken_by_policy(facility, now=NOW)
    ]


def test_a_second_closure_brings_a_kept_booking_back(kept):
    ClosureFactory(
        facility=kept.facility, start=wib(2027, 3, 1, 11), end=MONDAY_12, reason="Kerja bakti"
    )

    assert codes(kept.facility) == [(kept, ["closed"])]


def test_a_city_wide_closure_brings_a_kept_booking_back(kept):
    ClosureFactory(facility=None, start=wib(2027, 3, 1, 9), end=MONDAY_12, reason="Pilkada")

    assert codes(kept.facility) == [(kept, ["closed"])]


def test_other_opening_hours_bring_it_back_but_the_same_ones_do_not(kept):
    facility = kept.facility
    OpeningHours.objects.filter(facility=facility, weekday=0).update(opens=dt.time(11))
    assert codes(facility) == [(kept, ["outside_opening_hours", "closed"])]
    services.booking_keep_despite_policy(booking=kept, actor=organizer_of(facility))
    assert codes(facility) == []

    OpeningHours.objects.filter(facility=facility, weekday=0).update(opens=dt.time(10, 30))
    assert codes(facility) == [(kept, ["outside_opening_hours", "closed"])]


def test_a_stricter_limit_brings_it_back(kept):
    facility = kept.facility
    facility.max_slots = 1
    facility.save()
    services.booking_keep_despite_policy(booking=kept, actor=organizer_of(facility))
    assert kept.kept.rules.split(",") == [
        f"closed:closure-{facility.closures.get().pk}",
        "too_long:minutes=60",
    ]
    assert codes(facility) == []

    facility.slot_minutes, facility.max_slots = 30, 1
    facility.save()
    assert codes(facility) == [(kept, ["too_long", "closed"])]


def test_removing_the_closure_and_adding_an_identical_one_brings_it_back(kept):
    """Another closure at the same time is another decision to make (another event)."""
    closure = kept.facility.closures.get()
    start, end, reason = closure.start, closure.end, closure.reason
    closure.delete()
    assert codes(kept.facility) == []
    ClosureFactory(facility=kept.facility, start=start, end=end, reason=reason)

    assert codes(kept.facility) == [(kept, ["closed"])]
