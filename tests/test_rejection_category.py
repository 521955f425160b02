"""Every rejection has a category from a list, besides the decider's words (what the public
statistics count), and every decision by a person records how many working days it took."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from bookings import services
from bookings.models import Booking, BookingStatus, RejectionCategory
from tests.factories import (
    BookingFactory,
    ClosureFactory,
    UserFactory,
    assert_refused,
    fast_password_hashing,  # noqa: F401 (a fixture)
    open_facility,
    organizer_of,
    wib,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

START = wib(2027, 3, 17, 10)  # a Wednesday, after every decision below


def request_made_at(facility, moment: dt.datetime) -> Booking:
    booking = BookingFactory(facility=facility, start=START, end=START + dt.timedelta(hours=2))
    Booking.objects.filter(pk=booking.pk).update(created_at=moment)
    booking.refresh_from_db()
    return booking


@pytest.fixture
def facility():
    return open_facility(approval="community")


def test_a_rejection_without_a_known_category_is_refused_and_changes_nothing(facility):
    booking = request_made_at(facility, wib(2027, 2, 1, 9))
    staff = UserFactory(is_staff=True)

    for category in ["", "weather", None]:
        with pytest.raises(services.BookingError) as info:
            services.booking_reject(
                booking=booking, actor=staff, reason="Penuh", category=category, now=wib(2027, 2, 2)
            )
        assert_refused(info.value, "rejection_category_required")
        assert info.value.by_field() == {"category": ["Pilih alasan penolakan dari daftar."]}
    booking.refresh_from_db()
    assert (booking.status, booking.rejection_category) == (BookingStatus.REQUESTED, "")


def test_the_category_is_kept_with_the_rejection(facility):
    booking = request_made_at(facility, wib(2027, 2, 1, 9))

    services.booking_reject(
        booking=booking,
        actor=organizer_of(facility),
        reason="Balai dipakai rapat RW",
        category=RejectionCategory.CITY_EVENT,
        now=wib(2027, 2, 1, 15),
    )

    booking.refresh_from_db()
    assert booking.rejection_category == "city_event"
    assert booking.decision_reason == "Balai dipakai rapat RW"


def test_the_database_refuses_a_rejection_without_a_category_and_a_category_without_one(
    facility,
):
    booking = BookingFactory(facility=facility, status=BookingStatus.REJECTED)
    for status, category in [(BookingStatus.REJECTED, ""), (BookingStatus.APPROVED, "other")]:
        with pytest.raises(IntegrityError), transaction.atomic():
            Booking.objects.filter(pk=booking.pk).update(status=status, rejection_category=category)


@pytest.mark.parametrize(
    ("requested", "decided", "working_days"),
    [
        # The same day: none.
        (wib(2027, 2, 1, 9), wib(2027, 2, 1, 16), 0),
        # Friday to Monday: the weekend does not count.
        (wib(2027, 2, 5, 9), wib(2027, 2, 8, 9), 1),
        # Friday 5 to Friday 12 March 2027: the weekend, Nyepi (Monday 8) and Idul Fitri
        # (Wednesday 10 and Thursday 11) do not count; Tuesday 9 and Friday 12 do.
        (wib(2027, 3, 5, 23), wib(2027, 3, 12, 8), 2),
    ],
)
def test_a_decision_records_its_working_days(facility, requested, decided, working_days):
    booking = request_made_at(facility, requested)

    services.booking_approve(booking=booking, actor=organizer_of(facility), now=decided)

    booking.refresh_from_db()
    assert booking.decision_working_days == working_days


def test_a_city_wide_closure_day_is_not_a_working_day_of_a_decision(facility):
    # Monday 1 to Wednesday 3 March 2027 (no public holiday): Tuesday the whole city is shut.
    booking = request_made_at(facility, wib(2027, 3, 1, 9))
    ClosureFactory(facility=None, start=wib(2027, 3, 2, 0), end=wib(2027, 3, 3, 0), reason="HUT")

    services.booking_reject(
        booking=booking,
        actor=organizer_of(facility),
        reason="Penuh",
        category="conflict",
        now=wib(2027, 3, 3, 10),
    )

    booking.refresh_from_db()
    assert booking.decision_working_days == 1


def test_an_automatic_approval_has_no_decision_time():
    from tests.factories import request_booking

    facility = open_facility(approval="auto")
    booking = request_booking(facility, START, START + dt.timedelta(hours=2), now=wib(2027, 3, 1))

    assert booking.status == BookingStatus.APPROVED
    assert booking.decision_working_days is None


def test_the_workspace_asks_for_the_category_and_keeps_what_was_typed(client, facility):
    booking = BookingFactory(facility=facility)
    client.force_login(organizer_of(facility))
    url = f"/kelola/booking/{booking.reference}/putuskan/"

    refused = client.post(url, {"action": "reject", "reason": "Dipakai posyandu"})

    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Pilih alasan penolakan dari daftar." in page
    assert "Dipakai posyandu</textarea>" in page
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED

    client.post(url, {"action": "reject", "reason": "Dipakai posyandu", "category": "conflict"})

    booking.refresh_from_db()
    assert (booking.status, booking.rejection_category) == ("rejected", "conflict")


def test_the_resident_sees_the_category_with_the_reason(client, facility):
    booking = BookingFactory(facility=facility, status=BookingStatus.REJECTED)
    Booking.objects.filter(pk=booking.pk).update(
        rejection_category="maintenance", decision_reason="Atap bocor"
    )
    client.force_login(booking.user)

    page = client.get(f"/booking-saya/{booking.reference}/", HTTP_ACCEPT_LANGUAGE="en").content

    assert b"Facility under maintenance" in page
    assert b"Atap bocor" in page
