"""The rules a booking request must pass (bookings.rules), through the request service.

Each rule is tried at its edge: the last moment it allows and the first it refuses. Every test
passes `now=` so that nothing depends on the wall clock; 2027-03-01 is a Monday.
"""

import datetime as dt

import pytest
from django.utils import translation

from bookings import rules, services
from bookings.errors import MESSAGES, BookingError, Violation
from bookings.models import Booking, BookingStatus
from communities.models import Community
from tests.factories import (
    ClosureFactory,
    CommunityFactory,
    UserFactory,
    assert_refused,
    fast_password_hashing,  # noqa: F401 (a fixture)
    open_facility,
    request_booking,
    wib,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

NOW = wib(2027, 2, 20, 10)  # a Saturday, well before the Monday the tests book


def refused(facility, start, end, *, now=NOW, **kwargs) -> BookingError:
    """The error a request raises; it must write nothing."""
    bookings_before = Booking.objects.count()
    with pytest.raises(BookingError) as info:
        request_booking(facility, start, end, now=now, **kwargs)
    assert Booking.objects.count() == bookings_before
    return info.value


def refused_only(code, facility, start, end, **kwargs) -> BookingError:
    error = refused(facility, start, end, **kwargs)
    assert error.codes == [code]
    assert_refused(error, code)
    return error


def accepted(facility, start, end, *, now=NOW, **kwargs) -> Booking:
    booking = request_booking(facility, start, end, now=now, **kwargs)
    assert booking.pk and booking.holds_slot
    assert (booking.start, booking.end) == (start, end)
    return booking


def test_the_default_language_is_indonesian():
    assert translation.get_language() == "id"


# --- who and where ----------------------------------------------------------------------------


def test_a_resident_confirms_their_email_before_booking():
    facility = open_facility()

    refused_only(
        "email_not_verified",
        facility,
        wib(2027, 3, 1, 9),
        wib(2027, 3, 1, 10),
        user=UserFactory(verified=False),
    )
    accepted(facility, wib(2027, 3, 1, 9), wib(2027, 3, 1, 10), user=UserFactory())


@pytest.mark.parametrize(
    ("is_published", "community_status"),
    [
        (False, Community.Status.VERIFIED),
        (True, Community.Status.PENDING),
        (True, Community.Status.DECLINED),
    ],
    ids=["unpublished", "community-pending", "community-declined"],
)
def test_only_published_facilities_of_verified_communities_are_bookable(
    is_published, community_status
):
    facility = open_facility(
        is_published=is_published, community=CommunityFactory(status=community_status)
    )

    refused_only("not_bookable", facility, wib(2027, 3, 1, 9), wib(2027, 3, 1, 10))
    accepted(open_facility(), wib(2027, 3, 1, 9), wib(2027, 3, 1, 10))


# --- the grid and the length ------------------------------------------------------------------


def test_start_and_end_lie_on_the_slot_grid():
    facility = open_facility(slot_minutes=30)

    off_start = refused_only(
        "not_on_grid", facility, wib(2027, 3, 1, 9, 15), wib(2027, 3, 1, 10, 15)
    )
    assert "30" in off_start.message
    refused_only("not_on_grid", facility, wib(2027, 3, 1, 9, 30), wib(2027, 3, 1, 10, 45))
    refused_only("not_on_grid", facility, wib(2027, 3, 1, 9, 30, 30), wib(2027, 3, 1, 10, 30, 30))
    accepted(facility, wib(2027, 3, 1, 9, 30), wib(2027, 3, 1, 10, 30))


def test_the_grid_is_counted_in_wib_not_utc():
    # A 2-hour grid from midnight in Depok: 10:00 WIB (03:00 UTC) is on it, 09:00 WIB
    # (02:00 UTC, which a UTC grid would take) is not.
    facility = open_facility(slot_minutes=120, max_slots=2)
    utc = dt.UTC

    refused_only(
        "not_on_grid",
        facility,
        dt.datetime(2027, 3, 1, 2, tzinfo=utc),
        dt.datetime(2027, 3, 1, 4, tzinfo=utc),
    )
    booking = accepted(
        facility, dt.datetime(2027, 3, 1, 3, tzinfo=utc), dt.datetime(2027, 3, 1, 5, tzinfo=utc)
    )
    assert booking.start == wib(2027, 3, 1, 10)


def test_times_without_an_offset_are_wib():
    facility = open_facility()

    booking = request_booking(
        facility, dt.datetime(2027, 3, 1, 9), dt.datetime(2027, 3, 1, 10), now=NOW
    )

    booking.refresh_from_db()
    assert booking.start == dt.datetime(2027, 3, 1, 2, tzinfo=dt.UTC)
    assert booking.end == wib(2027, 3, 1, 10)


def test_a_booking_is_at_least_min_slots_and_at_most_max_slots_long():
    facility = open_facility(slot_minutes=30, min_slots=2, max_slots=4)

    short = refused_only("too_short", facility, wib(2027, 3, 1, 9), wib(2027, 3, 1, 9, 30))
    assert "60" in short.message
    long = refused_only("too_long", facility, wib(2027, 3, 1, 12), wib(2027, 3, 1, 14, 30))
    assert "120" in long.message
    accepted(facility, wib(2027, 3, 1, 9), wib(2027, 3, 1, 10))  # exactly min_slots
    accepted(facility, wib(2027, 3, 1, 12), wib(2027, 3, 1, 14))  # exactly max_slots


@pytest.mark.parametrize("minutes", [0, -60])
def test_a_booking_that_does_not_end_after_it_starts_is_too_short(minutes):
    facility = open_facility()
    start = wib(2027, 3, 1, 10)

    refused_only("too_short", facility, start, start + dt.timedelta(minutes=minutes))


# --- opening hours, closures, holidays --------------------------------------------------------


def test_a_booking_lies_inside_one_opening_interval():
    # Mondays 08:00-12:00 and 13:00-17:00, closed on other days.
    facility = open_facility(
        hours=[(dt.time(8), dt.time(12)), (dt.time(13), dt.time(17))], weekdays=[0]
    )

    def outside(start_hour, end_hour, day=1):
        refused_only(
            "outside_opening_hours",
            facility,
            wib(2027, 3, day, start_hour),
            wib(2027, 3, day, end_hour),
        )

    outside(7, 8)  # ends when it opens: still before opening
    outside(17, 18)  # the first slot after closing
    outside(16, 18)  # runs one slot past closing
    outside(12, 13)  # the gap between the two intervals
    outside(11, 14)  # spans the gap
    outside(9, 10, day=2)  # a Tuesday: closed all day
    accepted(facility, wib(2027, 3, 1, 8), wib(2027, 3, 1, 9))  # starts when it opens
    accepted(facility, wib(2027, 3, 1, 11), wib(2027, 3, 1, 12))  # ends when it closes
    accepted(facility, wib(2027, 3, 1, 13), wib(2027, 3, 1, 14))  # the second interval
    accepted(facility, wib(2027, 3, 1, 16), wib(2027, 3, 1, 17))


def test_a_closure_of_the_facility_refuses_what_it_touches():
    facility = open_facility()
    ClosureFactory(
        facility=facility,
        start=wib(2027, 3, 1, 10),
        end=wib(2027, 3, 1, 12),
        reason="Perbaikan atap",
    )

    inside = refused_only("closed", facility, wib(2027, 3, 1, 10), wib(2027, 3, 1, 12))
    assert "Perbaikan atap" in inside.message
    refused_only("closed", facility, wib(2027, 3, 1, 9), wib(2027, 3, 1, 11))  # runs into it
    refused_only("closed", facility, wib(2027, 3, 1, 11), wib(2027, 3, 1, 13))  # starts in it
    accepted(facility, wib(2027, 3, 1, 8), wib(2027, 3, 1, 10))  # ends as it begins
    accepted(facility, wib(2027, 3, 1, 12), wib(2027, 3, 1, 13))  # starts as it ends
    # Another facility's closure is not this one's.
    accepted(open_facility(), wib(2027, 3, 1, 10), wib(2027, 3, 1, 12))


def test_a_city_wide_closure_closes_every_facility():
    hall, park = open_facility(), open_facility()
    ClosureFactory(
        facility=None, start=wib(2027, 3, 2), end=wib(2027, 3, 3), reason="Pilkada Depok"
    )

    for facility in (hall, park):
        error = refused_only("closed", facility, wib(2027, 3, 2, 9), wib(2027, 3, 2, 10))
        assert "Pilkada Depok" in error.message
        accepted(facility, wib(2027, 3, 1, 19), wib(2027, 3, 1, 20))
        accepted(facility, wib(2027, 3, 3, 8), wib(2027, 3, 3, 9))


def test_a_facility_closed_on_public_holidays_refuses_independence_day():
    now = wib(2027, 8, 1, 10)
    closing = open_facility(closed_on_public_holidays=True)
    opening = open_facility(closed_on_public_holidays=False)

    error = refused_only(
        "closed", closing, wib(2027, 8, 17, 9), wib(2027, 8, 17, 10), now=now
    )  # a Tuesday
    holiday = rules.public_holiday(dt.date(2027, 8, 17))
    assert holiday and error.violations[0].params == {"reason": holiday}
    accepted(closing, wib(2027, 8, 16, 19), wib(2027, 8, 16, 20), now=now)  # the evening before
    accepted(closing, wib(2027, 8, 18, 8), wib(2027, 8, 18, 9), now=now)  # the morning after
    accepted(opening, wib(2027, 8, 17, 9), wib(2027, 8, 17, 10), now=now)


def test_a_holiday_closure_is_named_in_indonesian():
    facility = open_facility(closed_on_public_holidays=True)

    error = refused(facility, wib(2027, 8, 17, 9), wib(2027, 8, 17, 10), now=wib(2027, 8, 1))

    assert error.code == "closed"
    assert "Kemerdekaan" in error.message


# --- time: past, lead, horizon ----------------------------------------------------------------


def test_a_start_that_has_come_is_in_the_past():
    facility = open_facility(lead_hours=0)
    now = wib(2027, 3, 1, 9)

    refused_only("in_past", facility, wib(2027, 3, 1, 9), wib(2027, 3, 1, 10), now=now)
    refused_only("in_past", facility, wib(2027, 3, 1, 8), wib(2027, 3, 1, 10), now=now)
    accepted(facility, wib(2027, 3, 1, 9), wib(2027, 3, 1, 10), now=now - dt.timedelta(minutes=1))


def test_a_request_comes_at_least_lead_hours_before_the_start():
    facility = open_facility(slot_minutes=30, lead_hours=24)
    now = dt.datetime(2027, 2, 28, 2, tzinfo=dt.UTC)  # 09:00 WIB on Sunday

    error = refused_only("too_soon", facility, wib(2027, 3, 1, 8, 30), wib(2027, 3, 1, 9), now=now)
    assert "24" in error.message
    accepted(facility, wib(2027, 3, 1, 9), wib(2027, 3, 1, 10), now=now)  # exactly now + 24 h


def test_bookings_open_horizon_days_ahead_counted_in_wib_dates():
    facility = open_facility(hours=[(dt.time(6), dt.time(20))], horizon_days=7, lead_hours=0)
    # 23:30 UTC on the 21st is 06:30 WIB on Monday the 22nd: the horizon runs to March 1st.
    now = dt.datetime(2027, 2, 21, 23, 30, tzinfo=dt.UTC)

    # 06:00 WIB on March 2nd is still March 1st in UTC, yet beyond the horizon.
    error = refused_only(
        "beyond_horizon", facility, wib(2027, 3, 2, 6), wib(2027, 3, 2, 7), now=now
    )
    assert "7" in error.message
    accepted(
        facility, wib(2027, 3, 1, 19), wib(2027, 3, 1, 20), now=now
    )  # the last day's last slot


# --- other bookings ---------------------------------------------------------------------------


def test_back_to_back_bookings_are_allowed_without_a_buffer():
    facility = open_facility(slot_minutes=15, max_slots=8, buffer_minutes=0)
    accepted(facility, wib(2027, 3, 1, 10), wib(2027, 3, 1, 11))

    refused_only("slot_taken", facility, wib(2027, 3, 1, 10, 45), wib(2027, 3, 1, 11, 45))
    refused_only("slot_taken", facility, wib(2027, 3, 1, 9, 15), wib(2027, 3, 1, 10, 15))
    refused_only("slot_taken", facility, wib(2027, 3, 1, 10, 15), wib(2027, 3, 1, 10, 30))
    accepted(facility, wib(2027, 3, 1, 11), wib(2027, 3, 1, 12))
    accepted(facility, wib(2027, 3, 1, 9), wib(2027, 3, 1, 10))


def test_the_buffer_is_kept_on_both_sides_of_a_booking():
    facility = open_facility(slot_minutes=15, max_slots=8, buffer_minutes=30)
    held = accepted(facility, wib(2027, 3, 1, 10), wib(2027, 3, 1, 11))
    assert held.blocked_until == wib(2027, 3, 1, 11, 30)

    # After it: 15 minutes after its end is inside its buffer; 30 minutes after is not.
    refused_only("slot_taken", facility, wib(2027, 3, 1, 11, 15), wib(2027, 3, 1, 12))
    # Before it: a booking ending 15 minutes before would need its own buffer until 10:15.
    refused_only("slot_taken", facility, wib(2027, 3, 1, 9), wib(2027, 3, 1, 9, 45))
    accepted(facility, wib(2027, 3, 1, 11, 30), wib(2027, 3, 1, 12))
    accepted(facility, wib(2027, 3, 1, 9), wib(2027, 3, 1, 9, 30))


def test_a_request_waiting_for_approval_holds_its_slot_but_only_at_its_facility():
    facility = open_facility(approval="city")
    waiting = accepted(facility, wib(2027, 3, 1, 10), wib(2027, 3, 1, 11))
    assert waiting.status == BookingStatus.REQUESTED

    refused_only("slot_taken", facility, wib(2027, 3, 1, 10), wib(2027, 3, 1, 11))
    accepted(open_facility(), wib(2027, 3, 1, 10), wib(2027, 3, 1, 11))


def test_attendees_are_within_capacity():
    facility = open_facility(capacity=50)

    error = refused_only(
        "over_capacity", facility, wib(2027, 3, 1, 9), wib(2027, 3, 1, 10), attendees=51
    )
    assert "50" in error.message
    accepted(facility, wib(2027, 3, 1, 9), wib(2027, 3, 1, 10), attendees=50)


def test_a_request_for_no_attendees_is_refused_with_a_booking_error():
    facility = open_facility()

    error = refused(facility, wib(2027, 3, 1, 9), wib(2027, 3, 1, 10), attendees=0)

    assert "attendees" in error.by_field()


def test_a_resident_holds_at_most_max_active_per_user_bookings_at_a_facility():
    facility = open_facility(max_active_per_user=2)
    resident = UserFactory()
    accepted(facility, wib(2027, 3, 1, 9), wib(2027, 3, 1, 10), user=resident)
    accepted(facility, wib(2027, 3, 1, 10), wib(2027, 3, 1, 11), user=resident)  # the 2nd

    error = refused_only(
        "quota_exceeded", facility, wib(2027, 3, 1, 11), wib(2027, 3, 1, 12), user=resident
    )
    assert "2" in error.message
    # Someone else, or the same resident elsewhere, is not limited by these two.
    accepted(facility, wib(2027, 3, 1, 11), wib(2027, 3, 1, 12))
    accepted(open_facility(), wib(2027, 3, 1, 11), wib(2027, 3, 1, 12), user=resident)


@pytest.mark.parametrize("ending", ["cancelled", "rejected"])
def test_a_cancelled_or_rejected_booking_does_not_count_towards_the_quota(ending):
    facility = open_facility(max_active_per_user=1)
    resident = UserFactory()
    staff = UserFactory(is_staff=True)
    first = accepted(facility, wib(2027, 3, 1, 9), wib(2027, 3, 1, 10), user=resident)
    refused_only("quota_exceeded", facility, wib(2027, 3, 2, 9), wib(2027, 3, 2, 10), user=resident)

    if ending == "cancelled":
        services.booking_cancel(booking=first, actor=resident, now=NOW)
    else:
        services.booking_reject(
            category="other", booking=first, actor=staff, reason="Bentrok acara RW", now=NOW
        )

    accepted(facility, wib(2027, 3, 2, 9), wib(2027, 3, 2, 10), user=resident)


def test_a_booking_that_has_ended_does_not_count_towards_the_quota():
    facility = open_facility(max_active_per_user=1, lead_hours=0)
    resident = UserFactory()
    accepted(facility, wib(2027, 3, 1, 9), wib(2027, 3, 1, 10), user=resident)
    # Not yet swept: still `requested` in the database, but its end has come.
    a_minute_before_its_end = wib(2027, 3, 1, 9, 59)

    refused_only(
        "quota_exceeded",
        facility,
        wib(2027, 3, 2, 9),
        wib(2027, 3, 2, 10),
        user=resident,
        now=a_minute_before_its_end,
    )
    accepted(
        facility, wib(2027, 3, 2, 9), wib(2027, 3, 2, 10), user=resident, now=wib(2027, 3, 1, 10)
    )


# --- several problems at once -----------------------------------------------------------------


def test_a_request_with_several_problems_reports_all_of_them_by_field():
    facility = open_facility(capacity=10, slot_minutes=60)
    request = {
        "start": wib(2027, 3, 1, 9, 30),  # off the grid, and within the 24 hours' lead
        "end": wib(2027, 3, 1, 9, 45),  # off the grid, and shorter than a slot
        "attendees": 11,
        "now": wib(2027, 3, 1),
    }

    error = refused(facility, user=UserFactory(verified=False), **request)
    assert set(error.codes) == {
        "email_not_verified",
        "not_on_grid",
        "too_short",
        "too_soon",
        "over_capacity",
    }
    for code in error.codes:
        assert_refused(BookingError.of([v for v in error.violations if v.code == code]), code)
    fields = error.by_field()
    assert set(fields) == {"__all__", "start", "end", "attendees"}
    assert len(fields["start"]) == 2  # not_on_grid and too_soon
    assert fields["__all__"] == [Violation("email_not_verified").message]
    assert fields["attendees"] == [Violation("over_capacity", {"capacity": 10}).message]
    assert str(error).count(":") >= len(error.codes)
    # check_request, which every entry point calls, says the same.
    with pytest.raises(BookingError) as info:
        rules.check_request(facility=facility, user=UserFactory(verified=False), **request)
    assert info.value.codes == error.codes


# --- the messages -----------------------------------------------------------------------------

SAMPLE_PARAMS = {
    "not_on_grid": {"slot": 30},
    "too_short": {"minutes": 60},
    "too_long": {"minutes": 240},
    "closed": {"reason": "Perbaikan atap"},
    "too_soon": {"hours": 24},
    "beyond_horizon": {"days": 60},
    "over_capacity": {"capacity": 100},
    "quota_exceeded": {"limit": 3},
    "invalid_transition": {"status": "x", "action": "y"},
    "cancel_too_late": {"hours": 24},
}


@pytest.mark.parametrize("code", list(MESSAGES))
def test_every_booking_message_has_an_indonesian_text(code):
    violation = Violation(code, SAMPLE_PARAMS.get(code))
    with translation.override("id"):
        indonesian = violation.message
    with translation.override("en"):
        english = violation.message

    assert indonesian.strip() and english.strip()
    assert indonesian != english


def test_touching_opening_intervals_are_open_straight_through():
    """08-12 and 12-16 on one day: a booking from 11 to 13 is inside opening hours."""
    from bookings.rules import FacilityCalendar
    from facilities.models import OpeningHours

    facility = open_facility(hours=[])
    OpeningHours.objects.bulk_create(
        [
            OpeningHours(facility=facility, weekday=0, opens=dt.time(8), closes=dt.time(12)),
            OpeningHours(facility=facility, weekday=0, opens=dt.time(12), closes=dt.time(16)),
            OpeningHours(facility=facility, weekday=1, opens=dt.time(8), closes=dt.time(11)),
            OpeningHours(facility=facility, weekday=1, opens=dt.time(12), closes=dt.time(16)),
        ]
    )
    monday, tuesday = wib(2027, 3, 1, 11), wib(2027, 3, 2, 10)
    calendar = FacilityCalendar.load(facility, monday, tuesday + dt.timedelta(days=1))

    assert calendar.within_opening_hours(monday, monday + dt.timedelta(hours=2))
    assert not calendar.within_opening_hours(tuesday, tuesday + dt.timedelta(hours=3))
