import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from bookings.models import Booking, BookingStatus
from bookings.references import ALPHABET, PREFIX, normalise_reference
from communities.models import Community
from facilities.models import Facility
from tests.factories import (
    BookingFactory,
    ClosureFactory,
    CommunityFactory,
    FacilityFactory,
    OpeningHoursFactory,
)

pytestmark = pytest.mark.django_db


def refused(create):
    """True when the database refuses the write."""
    try:
        with transaction.atomic():
            create()
    except IntegrityError:
        return True
    return False


def test_slugs_are_unique():
    FacilityFactory(slug="balai-rakyat-beji")
    CommunityFactory(slug="forum-warga")

    assert refused(lambda: FacilityFactory(slug="balai-rakyat-beji"))
    assert refused(lambda: CommunityFactory(slug="forum-warga"))


def test_a_booking_ends_after_it_starts():
    start = dt.datetime(2027, 1, 4, 9, tzinfo=dt.UTC)

    assert refused(lambda: BookingFactory(start=start, end=start))
    assert not refused(lambda: BookingFactory(start=start, end=start + dt.timedelta(minutes=30)))


def test_a_booking_status_is_one_of_the_states():
    assert refused(lambda: BookingFactory(status="maybe"))
    for status in BookingStatus.values:
        assert not refused(lambda status=status: BookingFactory(status=status))


def test_a_community_status_is_one_of_its_states():
    assert refused(lambda: CommunityFactory(status="approved"))


def test_a_closure_ends_after_it_starts_and_hours_close_after_opening():
    start = dt.datetime(2027, 1, 4, 9, tzinfo=dt.UTC)

    assert refused(lambda: ClosureFactory(start=start, end=start - dt.timedelta(hours=1)))
    assert refused(lambda: OpeningHoursFactory(opens=dt.time(18), closes=dt.time(8)))
    assert refused(lambda: OpeningHoursFactory(weekday=7))


def test_facility_policy_numbers_are_held_by_the_database():
    assert refused(lambda: FacilityFactory(min_slots=3, max_slots=2))
    assert refused(lambda: FacilityFactory(slot_minutes=45))
    assert refused(lambda: FacilityFactory(capacity=0))
    assert refused(lambda: FacilityFactory(approval="mayor"))
    assert refused(lambda: FacilityFactory(max_active_per_user=0))
    assert refused(lambda: FacilityFactory(buffer_minutes=721))


def test_only_verified_communities_published_facilities_are_bookable():
    bookable = FacilityFactory()
    FacilityFactory(is_published=False)
    FacilityFactory(community=CommunityFactory(status=Community.Status.PENDING))

    assert list(Facility.objects.bookable()) == [bookable]


def test_each_booking_gets_a_short_unambiguous_unique_reference():
    references = {BookingFactory(start=_slot(i), end=_slot(i, 1)).reference for i in range(30)}

    assert len(references) == 30
    for reference in references:
        assert reference.startswith(PREFIX)
        assert len(reference) == len(PREFIX) + 6
        assert set(reference.removeprefix(PREFIX)) <= set(ALPHABET)
    assert not set(ALPHABET) & set("0O1IL2Z5S8BUV")


def test_a_reference_typed_loosely_is_normalised():
    assert normalise_reference(" hd-7k3q9p ") == "HD-7K3Q9P"
    assert normalise_reference("7k3q9p") == "HD-7K3Q9P"
    assert normalise_reference("HD7K3Q9P") == "HD-7K3Q9P"


def test_overlapping_finds_bookings_within_the_buffer():
    facility = FacilityFactory(buffer_minutes=30)
    held = BookingFactory(facility=facility, start=_slot(0), end=_slot(0, 2))  # 09:00-11:00
    BookingFactory(facility=facility, start=_slot(0), end=_slot(0, 2), status="cancelled")

    def overlapping(start, end):
        return list(Booking.objects.overlapping(facility, start, end + dt.timedelta(minutes=30)))

    assert overlapping(_slot(0, 2), _slot(0, 3)) == [held]  # starts at 11:00, inside the buffer
    assert overlapping(_slot(0, 2.5), _slot(0, 3)) == []  # 11:30: the buffer is kept
    assert overlapping(_slot(0, -1.5), _slot(0, -0.5)) == []  # ends 08:30: 30 min before 09:00
    assert overlapping(_slot(0, -1), _slot(0, -0.25)) == [held]  # ends 08:45: inside the buffer


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL exclusion constraint")
def test_postgresql_refuses_two_overlapping_slot_holders():
    facility = FacilityFactory()
    BookingFactory(facility=facility, start=_slot(0), end=_slot(0, 2))

    assert refused(lambda: BookingFactory(facility=facility, start=_slot(0, 1), end=_slot(0, 3)))
    # Back to back is allowed, and a cancelled booking holds nothing.
    assert not refused(
        lambda: BookingFactory(facility=facility, start=_slot(0, 2), end=_slot(0, 3))
    )
    assert not refused(
        lambda: BookingFactory(
            facility=facility, start=_slot(0), end=_slot(0, 2), status="cancelled"
        )
    )


def _slot(day: int, hours: float = 0) -> dt.datetime:
    base = dt.datetime(2027, 1, 4, 2, tzinfo=dt.UTC)  # 09:00 WIB on a Monday
    return base + dt.timedelta(days=day, hours=hours)
