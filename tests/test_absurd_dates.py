"""Times at the edge of the calendar, sent to the booking rules and to the site's form.

The API refuses such dates itself (bookings/api/serializers.py keeps years 2000-2099); the
rules refuse them too (in_past, beyond_horizon) before any date arithmetic could overflow.
"""

import datetime as dt

import pytest
from django.urls import reverse

from bookings import rules
from bookings.errors import BookingError
from haidepok import clock
from tests.factories import (
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    open_facility,
    organizer_of,
    wib,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]


def test_a_start_in_year_one_is_refused_as_past_not_an_overflow():
    facility = open_facility()
    start = wib(1, 1, 1, 8)

    with pytest.raises(BookingError) as refused:
        rules.check_request(
            facility=facility,
            user=UserFactory(),
            start=start,
            end=start + dt.timedelta(hours=1),
            attendees=1,
            now=clock.now(),
        )

    assert "in_past" in refused.value.codes


def test_an_end_near_year_9999_with_a_buffer_is_refused_not_an_overflow():
    facility = open_facility(buffer_minutes=720)
    start = wib(9999, 12, 31, 19)

    with pytest.raises(BookingError) as refused:
        rules.check_request(
            facility=facility,
            user=UserFactory(),
            start=start,
            end=start + dt.timedelta(hours=1),
            attendees=1,
            now=clock.now(),
        )

    assert "beyond_horizon" in refused.value.codes


def test_the_site_booking_form_answers_a_date_in_year_one_without_a_500(client):
    open_facility(slug="balai")
    client.force_login(UserFactory())

    response = client.post(
        "/fasilitas/balai/pesan/",
        {
            "date": "0001-01-01",
            "start_time": "10:00",
            "slots": "1",
            "purpose": "Rapat",
            "attendees": "5",
            "phone": "0812 3456 7890",
            "agree": "on",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors


@pytest.mark.parametrize("week", ["0001-01-01", "1999-12-31", "3000-01-01", "9999-12-31", "x"])
def test_a_facility_page_for_a_week_at_the_edge_of_the_calendar_shows_this_week(client, week):
    open_facility(slug="balai")

    response = client.get("/fasilitas/balai/", {"minggu": week})

    assert response.status_code == 200
    today = clock.local_now().date()
    monday = today - dt.timedelta(days=today.weekday())
    assert f"?minggu={(monday + dt.timedelta(days=7)).isoformat()}" in response.content.decode()


def test_the_last_week_a_booking_can_have_is_shown(client):
    open_facility(slug="balai")

    response = client.get("/fasilitas/balai/", {"minggu": "2999-12-31"})

    assert response.status_code == 200
    assert "?minggu=2999-12-23" in response.content.decode()  # the week before it


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_calendars_asked_for_a_day_at_the_edge_of_the_calendar_show_today(client, day):
    facility = open_facility(slug="balai")
    today = clock.local_now().date()

    public = client.get(reverse("public_calendar"), {"tanggal": day})
    client.force_login(organizer_of(facility))
    organizer = client.get(reverse("manage_booking_calendar"), {"minggu": day})
    client.force_login(UserFactory(is_staff=True))
    staff_url = reverse("admin:facilities_facility_calendar", args=[facility.pk])
    staff_day = client.get(staff_url, {"day": day})
    staff_week = client.get(staff_url, {"week": day})

    for response in (public, organizer, staff_day, staff_week):
        assert response.status_code == 200
    assert today.isoformat() in public.content.decode()
