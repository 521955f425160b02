"""An add-on's stock is held over time, like a slot: the peak of items that slot-holding
bookings hold at one moment (bookings.rules.addons_in_use) plus what a request asks must fit
the stock. Shared by the facilities that lend it, and race-free: booking_request locks the
add-ons' rows, so two requests at two halls cannot both take the last sound systems."""

import datetime as dt
import time

import pytest
from django.db import connection

from bookings import rules, services
from bookings.errors import BookingError
from bookings.models import Booking, BookingLine, BookingStatus
from tests.factories import (
    AddOnFactory,
    BookingFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    priced_facility,
    request_booking,
    wib,
)
from tests.race_support import race

NOW = wib(2027, 2, 20, 10)
DAY = (2027, 3, 1)


def at(hour, minute=0):
    return wib(*DAY, hour, minute)


def two_halls(stock=10, **policy):
    """Two halls of one community lending the same sound systems (`stock` of them)."""
    policy = {"approval": "auto", "max_slots": 12, "max_active_per_user": 20, **policy}
    first, second = priced_facility(**policy), priced_facility(**policy)
    second.community = first.community
    second.save()
    sound = AddOnFactory(
        community=first.community, name="Sound system", stock=stock, offered_at=[first, second]
    )
    return first, second, sound


def book(facility, start, end, sound, quantity, **kwargs):
    return request_booking(
        facility, start, end, now=NOW, tariff_class="sosial", addons={sound.pk: quantity}, **kwargs
    )


def refusal(facility, start, end, sound, quantity):
    with pytest.raises(BookingError) as error:
        book(facility, start, end, sound, quantity)
    return error.value


# --- The peak ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_bookings_that_never_meet_each_hold_six_of_ten_and_one_across_both_takes_four():
    hall_a, hall_b, sound = two_halls(stock=10)
    book(hall_a, at(8), at(10), sound, 6)
    book(hall_a, at(14), at(16), sound, 6)

    # Across both (09.00-15.00): at no moment are more than six out, so four are free.
    refused = refusal(hall_b, at(9), at(15), sound, 5)
    across = book(hall_b, at(9), at(15), sound, 4)

    assert refused.code == "addon_out_of_stock"
    assert refused.violations[0].params == {"name": "Sound system", "available": 4}
    assert refused.by_field() == {"addons": [refused.message]}
    assert across.lines.get(kind="addon").quantity == 4
    assert rules.addons_in_use([sound], at(0), at(23)) == {sound.pk: 10}


@pytest.mark.django_db
def test_bookings_that_touch_do_not_share_their_items():
    hall_a, hall_b, sound = two_halls(stock=10)
    book(hall_a, at(10), at(12), sound, 10)

    # Ending at 12.00 frees all ten for a booking starting at 12.00 (and one ending at 10.00).
    after = book(hall_b, at(12), at(14), sound, 10)
    before = book(hall_b, at(8), at(10), sound, 10)
    # An hour of overlap is overlap.
    overlapping = refusal(hall_b, at(10), at(11), sound, 1)
    straddling = refusal(hall_a, at(13), at(15), sound, 1)

    assert after.pk and before.pk
    assert overlapping.code == straddling.code == "addon_out_of_stock"
    assert rules.addons_in_use([sound], at(11), at(13)) == {sound.pk: 10}
    assert rules.addons_in_use([sound], at(12), at(12, 30)) == {sound.pk: 10}


@pytest.mark.django_db
def test_the_peak_counts_only_the_overlap_with_the_time_asked():
    hall_a, hall_b, sound = two_halls(stock=10)
    book(hall_a, at(8), at(12), sound, 3)
    book(hall_b, at(11), at(13), sound, 4)
    book(hall_a, at(12), at(14), sound, 2)

    assert rules.addons_in_use([sound], at(11), at(12)) == {sound.pk: 7}  # 3 + 4
    assert rules.addons_in_use([sound], at(12), at(13)) == {sound.pk: 6}  # 4 + 2
    assert rules.addons_in_use([sound], at(13), at(14)) == {sound.pk: 2}
    assert rules.addons_in_use([sound], at(14), at(16)) == {}
    assert rules.addons_in_use([sound], at(6), at(8)) == {}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "ending", [BookingStatus.CANCELLED, BookingStatus.REJECTED, BookingStatus.EXPIRED]
)
def test_a_booking_that_ended_frees_its_items(ending):
    hall_a, hall_b, sound = two_halls(stock=10)
    holder = book(hall_a, at(10), at(12), sound, 10)
    assert refusal(hall_b, at(10), at(12), sound, 1).code == "addon_out_of_stock"

    Booking.objects.filter(pk=holder.pk).update(
        status=ending, rejection_category="other" if ending == BookingStatus.REJECTED else ""
    )

    assert book(hall_b, at(10), at(12), sound, 10).pk


@pytest.mark.django_db
def test_a_cancellation_through_the_service_frees_the_items():
    hall_a, hall_b, sound = two_halls(stock=2)
    resident = UserFactory()
    holder = book(hall_a, at(10), at(12), sound, 2, user=resident)

    services.booking_cancel(booking=holder, actor=resident, now=NOW)

    assert book(hall_b, at(10), at(12), sound, 2).pk
    # The cancelled booking keeps its line (its price as it was), without holding anything.
    assert holder.lines.get(kind="addon").quantity == 2


@pytest.mark.django_db
def test_a_stock_lowered_below_what_is_out_leaves_nothing_free():
    hall_a, hall_b, sound = two_halls(stock=10)
    book(hall_a, at(10), at(12), sound, 8)
    sound.stock = 5
    sound.save()

    refused = refusal(hall_b, at(10), at(12), sound, 1)

    assert refused.violations[0].params["available"] == 0
    # The booking already made keeps its eight.
    assert BookingLine.objects.get(addon=sound).quantity == 8


@pytest.mark.django_db
def test_the_stock_is_one_for_all_facilities_that_lend_it_and_other_add_ons_are_apart():
    hall_a, hall_b, sound = two_halls(stock=2)
    projector = AddOnFactory(community=hall_a.community, stock=1, offered_at=[hall_b])
    book(hall_a, at(10), at(12), sound, 2)

    mixed = request_booking(
        hall_b,
        at(10),
        at(12),
        now=NOW,
        tariff_class="sosial",
        addons={projector.pk: 1},
    )
    with pytest.raises(BookingError) as both:
        request_booking(
            hall_b,
            at(12),
            at(14),
            now=NOW,
            tariff_class="sosial",
            addons={projector.pk: 1, sound.pk: 3},
        )

    assert mixed.lines.get(kind="addon").addon == projector
    # Three of two is over the stock whatever the time; the projector is free at 12.00.
    assert both.value.codes == ["addon_over_stock"]


@pytest.mark.django_db
def test_a_quantity_that_is_not_a_number_of_items_is_one_reason_not_two():
    hall_a, hall_b, sound = two_halls(stock=1)
    book(hall_a, at(10), at(12), sound, 1)

    for quantity in (True, 0, -1):
        refused = refusal(hall_b, at(10), at(12), sound, quantity)
        assert refused.codes == ["addon_quantity"]


@pytest.mark.django_db
def test_a_slot_holding_booking_without_lines_holds_no_items():
    hall_a, hall_b, sound = two_halls(stock=1)
    BookingFactory(facility=hall_a, start=at(10), end=at(12), status=BookingStatus.APPROVED)

    assert book(hall_b, at(10), at(12), sound, 1).pk


# --- The race ---------------------------------------------------------------------------------


@pytest.fixture(params=["as-it-comes", "all-checked-before-any-insert"])
def timing(request, monkeypatch):
    """As in tests/test_races.py: let requests run as they come, or hold each for a moment
    after its rules passed, so that (without the add-ons' lock) every request would have
    counted the stock before any took from it."""
    if request.param == "all-checked-before-any-insert":
        check_request = rules.check_request

        def check_then_pause(**kwargs):
            check_request(**kwargs)
            time.sleep(0.05)

        monkeypatch.setattr(rules, "check_request", check_then_pause)
    return request.param


def split(outcomes):
    holders = [outcome for outcome in outcomes if isinstance(outcome, Booking)]
    refused = [outcome for outcome in outcomes if not isinstance(outcome, Booking)]
    unexpected = [
        outcome
        for outcome in refused
        if not (isinstance(outcome, BookingError) and outcome.codes == ["addon_out_of_stock"])
    ]
    assert unexpected == [], [repr(outcome) for outcome in unexpected]
    return holders, refused


def most_out_at_once(sound) -> int:
    return rules.addons_in_use([sound], at(0), at(23, 59)).get(sound.pk, 0)


def race_test(test):
    """Threads on a transactional database; on PostgreSQL only, where requests really run
    at once (SQLite's IMMEDIATE transactions serialise every write anyway)."""
    marks = [
        pytest.mark.django_db(transaction=True),
        pytest.mark.usefixtures("fast_password_hashing"),
        pytest.mark.skipif(
            connection.vendor != "postgresql",
            reason="SQLite serialises every write transaction anyway (IMMEDIATE)",
        ),
    ]
    for mark in marks:
        test = mark(test)
    return test


@race_test
@pytest.mark.parametrize("pairs", [10])
def test_two_halls_sharing_three_sound_systems_lend_them_once_per_moment(timing, pairs):
    # At each hour a request at each hall, each for two of three: one of each pair fits.
    hall_a, hall_b, sound = two_halls(stock=3, hours=((dt.time(6), dt.time(20)),))
    residents = [UserFactory() for _ in range(2 * pairs)]

    def attempt(i):
        hall = hall_a if i % 2 else hall_b
        start = at(6 + i // 2)
        return book(hall, start, start + dt.timedelta(hours=1), sound, 2, user=residents[i])

    holders, refused = split(race(attempt, threads=2 * pairs))

    assert (len(holders), len(refused)) == (pairs, pairs)
    assert sorted(holder.start for holder in holders) == [at(6 + hour) for hour in range(pairs)]
    assert most_out_at_once(sound) == 2
    assert Booking.objects.count() == pairs
    assert BookingLine.objects.filter(addon=sound).count() == pairs


@race_test
def test_requests_that_overlap_in_a_chain_never_lend_more_than_the_stock(timing):
    # Hall A on the hour, hall B on the half hour, each request one hour for two of three:
    # each overlaps its neighbours at the other hall. Which win depends on the order; that
    # the stock holds, and that every refusal was a real one, does not.
    hall_a, hall_b, sound = two_halls(
        stock=3, slot_minutes=30, max_slots=4, hours=((dt.time(6), dt.time(20)),)
    )
    residents = [UserFactory() for _ in range(20)]

    def times(i):
        start = at(6 + i // 2, 30 if i % 2 else 0)
        return start, start + dt.timedelta(hours=1)

    def attempt(i):
        return book(hall_b if i % 2 else hall_a, *times(i), sound, 2, user=residents[i])

    outcomes = race(attempt, threads=20)
    holders, refused = split(outcomes)

    assert most_out_at_once(sound) <= 3
    assert holders, outcomes
    for i, outcome in enumerate(outcomes):
        if isinstance(outcome, BookingError):  # it did overlap a holder: two more did not fit
            start, end = times(i)
            assert rules.addons_in_use([sound], start, end)[sound.pk] >= 2
