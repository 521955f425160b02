"""Times at the edge of the calendar, sent to the booking rules and to the site's form.

The API refuses such dates itself (bookings/api/serializers.py keeps years 2000-2099); the
rules refuse them too (in_past, beyond_horizon) before any date arithmetic could overflow.
"""

import datetime as dt

import pytest

from bookings import rules
from bookings.errors import BookingError
from haidepok import clock
from tests.factories import (
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    open_facility,
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
