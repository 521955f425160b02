"""A facility's calendar in the admin: a week or a day of bookings (by status), closures and
opening hours."""

import datetime as dt

import pytest

from bookings.models import BookingStatus
from haidepok import clock
from tests.admin_support import pemkot_staff
from tests.factories import (
    BookingFactory,
    ClosureFactory,
    FacilityFactory,
    OpeningHoursFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    wib,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

# A Monday without public holidays.
MONDAY = dt.date(2031, 3, 3)


@pytest.fixture
def staff(client, settings):
    user = pemkot_staff()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return user


@pytest.fixture
def hall():
    facility = FacilityFactory(name="Balai Rakyat Beji")
    OpeningHoursFactory(facility=facility, weekday=0, opens=dt.time(8), closes=dt.time(12))
    OpeningHoursFactory(facility=facility, weekday=0, opens=dt.time(13), closes=dt.time(21))
    return facility


def calendar_url(facility, **query):
    url = f"/admin/facilities/facility/{facility.pk}/calendar/"
    return url + "?" + "&".join(f"{key}={value}" for key, value in query.items())


def booking_at(facility, day, hour, hours=2, **fields):
    start = wib(day.year, day.month, day.day, hour)
    return BookingFactory(
        facility=facility, start=start, end=start + dt.timedelta(hours=hours), **fields
    )


def test_the_week_shows_each_day_s_bookings_by_status_and_closures(client, staff, hall):
    approved = booking_at(hall, MONDAY, 9, status=BookingStatus.APPROVED, purpose="Posyandu")
    pending = booking_at(
        hall, MONDAY + dt.timedelta(days=2), 14, user=UserFactory(full_name="Siti Aminah")
    )
    cancelled = booking_at(hall, MONDAY + dt.timedelta(days=2), 9, status="cancelled")
    booking_at(hall, MONDAY + dt.timedelta(days=7), 9)  # next week
    booking_at(FacilityFactory(), MONDAY, 9)  # another facility
    ClosureFactory(
        facility=hall,
        start=wib(2031, 3, 7, 13),
        end=wib(2031, 3, 7, 17),
        reason="Perbaikan atap",
    )
    ClosureFactory(
        facility=None, start=wib(2031, 3, 8), end=wib(2031, 3, 9), reason="HUT Kota Depok"
    )

    response = client.get(calendar_url(hall, week="2031-03-05"))  # a Wednesday

    assert response.status_code == 200
    calendar = response.context["calendar"]
    assert calendar.mode == "week"
    assert [day.date for day in calendar.days] == [MONDAY + dt.timedelta(days=n) for n in range(7)]
    monday, wednesday, friday, saturday = (calendar.days[n] for n in (0, 2, 4, 5))
    assert monday.bookings == [approved]
    assert monday.hours == [(dt.time(8), dt.time(12)), (dt.time(13), dt.time(21))]
    assert wednesday.bookings == [cancelled, pending]
    assert [(c.closure.reason, c.whole_day, c.start, c.end) for c in friday.closures] == [
        ("Perbaikan atap", False, dt.time(13), dt.time(17))
    ]
    assert [(c.closure.reason, c.whole_day) for c in saturday.closures] == [
        ("HUT Kota Depok", True)
    ]
    assert calendar.status_counts == [
        ("requested", "Waiting for approval", 1),
        ("approved", "Approved", 1),
        ("cancelled", "Cancelled", 1),
    ]
    html = response.content.decode()
    assert "09:00–11:00" in html and "Posyandu" in html and "Siti Aminah" in html
    assert f'href="/admin/bookings/booking/{pending.pk}/change/"' in html
    assert "Closed (city-wide)" in html and "HUT Kota Depok" in html
    assert "08:00–12:00, 13:00–21:00" in html
    assert response.context["previous_url"].endswith("?week=2031-02-24")
    assert response.context["next_url"].endswith("?week=2031-03-10")


def test_the_day_view_shows_one_day(client, staff, hall):
    morning = booking_at(hall, MONDAY, 9)
    booking_at(hall, MONDAY + dt.timedelta(days=1), 9)

    response = client.get(calendar_url(hall, day="2031-03-03"))

    calendar = response.context["calendar"]
    assert calendar.mode == "day"
    assert [day.date for day in calendar.days] == [MONDAY]
    assert calendar.days[0].bookings == [morning]
    assert response.context["next_url"].endswith("?day=2031-03-04")
    assert response.context["week_url"].endswith("?week=2031-03-03")


def test_the_calendar_opens_on_this_week_and_shows_public_holidays(client, staff, hall):
    response = client.get(calendar_url(hall))
    today = clock.local_now().date()
    assert response.context["calendar"].first == today - dt.timedelta(days=today.weekday())

    # A date that does not parse: this week, not an error.
    assert client.get(calendar_url(hall, week="kemarin")).status_code == 200

    hall.closed_on_public_holidays = True
    hall.save()
    new_year = client.get(calendar_url(hall, day="2031-01-01")).context["calendar"].days[0]
    assert new_year.holiday and new_year.closed_on_holiday


def test_the_facility_s_page_and_list_link_to_its_calendar(client, staff, hall):
    link = f'href="/admin/facilities/facility/{hall.pk}/calendar/"'

    assert link in client.get(f"/admin/facilities/facility/{hall.pk}/change/").content.decode()
    assert link in client.get("/admin/facilities/facility/").content.decode()


def test_the_calendar_costs_a_fixed_number_of_queries(
    client, staff, hall, django_assert_max_num_queries
):
    for day in range(7):
        for hour in (8, 13, 16):
            booking_at(hall, MONDAY + dt.timedelta(days=day), hour, hours=1)
        ClosureFactory(
            facility=hall, start=wib(2031, 3, 3 + day, 20), end=wib(2031, 3, 3 + day, 21)
        )

    with django_assert_max_num_queries(8):
        response = client.get(calendar_url(hall, week="2031-03-03"))

    assert sum(len(day.bookings) for day in response.context["calendar"].days) == 21


def test_an_unknown_facility_s_calendar_goes_back_to_the_list(client, staff):
    response = client.get("/admin/facilities/facility/999999/calendar/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
