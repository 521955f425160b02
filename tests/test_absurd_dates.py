"""Times at the edge of the calendar, sent to the booking rules, the site's forms and pages.

One bound holds for the whole project (haidepok.clock: years EARLIEST_YEAR..LATEST_YEAR):
forms answer a date outside it with a field error, pages asked for one in their query string
show their default, the API answers 400 (tests/test_api_fuzz.py); the rules refuse such times
too (in_past, beyond_horizon) before any date arithmetic could overflow.
"""

import datetime as dt

import pytest
from django.urls import reverse

from bookings import rules
from bookings.errors import BookingError
from facilities.models import Closure
from haidepok import clock
from haidepok.fields import BoundedDateField, BoundedDateTimeField, BoundedSplitDateTimeField
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


@pytest.mark.parametrize(
    "week", ["0001-01-01", "1999-12-31", "2100-01-01", "3000-01-01", "9999-12-31", "x"]
)
@pytest.mark.parametrize("parameter", ["minggu", "tanggal"])
def test_a_facility_page_for_a_day_at_the_edge_of_the_calendar_shows_the_first_free_day(
    client, week, parameter
):
    """The old week links (?minggu=) and the day picker's (?tanggal=) at dates no booking can
    have: the page, with its strip from today and the first day with a free time."""
    open_facility(slug="balai")

    response = client.get("/fasilitas/balai/", {parameter: week})

    assert response.status_code == 200
    picker = response.context["picker"]
    assert picker.strip[0].date == clock.local_now().date()
    assert picker.day.date == picker.first_free_day


def test_a_day_beyond_the_horizon_shows_the_first_free_day(client):
    open_facility(slug="balai")

    response = client.get("/fasilitas/balai/", {"tanggal": "2099-12-31"})

    assert response.status_code == 200
    picker = response.context["picker"]
    assert picker.refused and picker.day.date == picker.first_free_day


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


# --- The one bound -------------------------------------------------------------------------

BOUND_MESSAGE_ID = "Masukkan tanggal antara tahun 2000 dan 2099."


def test_the_project_has_one_bound_the_api_included():
    from bookings.api import serializers

    assert (clock.EARLIEST_YEAR, clock.LATEST_YEAR) == (2000, 2099)
    assert not hasattr(serializers, "FIRST_YEAR") and not hasattr(serializers, "LAST_YEAR")
    assert clock.day_from_query("2100-01-01", None) is None
    assert clock.day_from_query("2099-12-31", None) == dt.date(2099, 12, 31)
    assert clock.out_of_bounds_message() == BOUND_MESSAGE_ID


@pytest.mark.parametrize(
    "value, within",
    [
        (dt.date(2000, 1, 1), True),
        (dt.date(2099, 12, 31), True),
        (dt.date(1999, 12, 31), False),
        (dt.date(2100, 1, 1), False),
        (dt.date.min, False),
        (dt.date.max, False),
        (dt.datetime(2099, 12, 31, 23, 59), True),  # naive: WIB
        (dt.datetime.min, False),
        (dt.datetime.max, False),
        # Aware moments are read in WIB, even where that leaves the calendar.
        (dt.datetime(2099, 12, 31, 20, tzinfo=dt.UTC), False),  # 2100-01-01 03:00 WIB
        (dt.datetime(1999, 12, 31, 20, tzinfo=dt.UTC), True),  # 2000-01-01 03:00 WIB
        (dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.timezone(dt.timedelta(hours=-14))), False),
        (dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=14))), False),
    ],
)
def test_within_bounds_answers_without_overflowing(value, within):
    assert clock.within_bounds(value) is within


@pytest.mark.parametrize(
    "field, text",
    [
        (BoundedDateField(), "0001-01-01"),
        (BoundedDateField(), "9999-12-31"),
        (BoundedDateField(), "2100-01-01"),
        (BoundedDateTimeField(), "0001-01-01T00:00"),
        (BoundedDateTimeField(), "9999-12-31T23:59"),
        (BoundedDateTimeField(), "9999-12-31T23:59:59-14:00"),
        (BoundedDateTimeField(), "0001-01-01T00:00:00+14:00"),
        (BoundedSplitDateTimeField(), ["0001-01-01", "00:00"]),
        (BoundedSplitDateTimeField(), ["9999-12-31", "23:59"]),
        (BoundedSplitDateTimeField(), ["2100-01-01", "08:00"]),
    ],
)
def test_bounded_form_fields_answer_the_one_message(field, text):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        field.clean(text)

    assert refused.value.messages == [BOUND_MESSAGE_ID]


def test_bounded_form_fields_take_a_date_within_the_bound():
    assert BoundedDateField().clean("2099-12-31") == dt.date(2099, 12, 31)
    assert BoundedDateTimeField().clean("2000-01-01T00:00") == wib(2000, 1, 1)
    assert BoundedSplitDateTimeField().clean(["2026-12-03", "10:00"]) == wib(2026, 12, 3, 10)


@pytest.mark.parametrize(
    "query",
    [
        {"date": "9999-12-31"},
        {"date": "0001-01-01"},
        {"date": "2100-01-01"},
        {"date": "0001-01-01", "time_from": "10:00", "time_to": "12:00"},
        {"date": "9999-12-31", "time_from": "10:00", "time_to": "12:00"},
    ],
)
def test_the_catalog_free_on_a_day_outside_the_bound_says_so_instead_of_a_500(client, query):
    open_facility(slug="balai", name="Balai Rakyat Beji")

    response = client.get("/", query)

    assert response.status_code == 200
    page = response.content.decode()
    assert BOUND_MESSAGE_ID in page
    assert "Balai Rakyat Beji" in page  # the bad filter is left out


@pytest.mark.parametrize(
    "start",
    [
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59",
        "0001-01-01T00:00:00",
        "2099-12-31T23:00:00-14:00",  # 2100 in WIB
    ],
)
def test_the_booking_form_prefilled_from_a_start_outside_the_bound_is_empty(client, start):
    open_facility(slug="balai")
    client.force_login(UserFactory())

    response = client.get("/fasilitas/balai/pesan/", {"mulai": start})

    assert response.status_code == 200
    assert "date" not in response.context["form"].initial


def test_the_booking_form_is_still_prefilled_from_a_start_within_the_bound(client):
    open_facility(slug="balai")
    client.force_login(UserFactory())

    response = client.get("/fasilitas/balai/pesan/", {"mulai": "2099-12-31T10:00:00+07:00"})

    assert response.context["form"].initial["date"] == dt.date(2099, 12, 31)
    assert response.context["form"].initial["start_time"] == "10:00"


@pytest.mark.parametrize("day", ["0001-01-01", "2100-01-04", "9999-12-31"])
def test_the_booking_form_refuses_a_date_outside_the_bound_on_the_date(client, day):
    open_facility(slug="balai")
    client.force_login(UserFactory())

    response = client.post(
        "/fasilitas/balai/pesan/",
        {
            "date": day,
            "start_time": "10:00",
            "slots": "1",
            "purpose": "Rapat",
            "attendees": "5",
            "phone": "0812 3456 7890",
            "agree": "on",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["date"] == [BOUND_MESSAGE_ID]


@pytest.mark.parametrize(
    "start, end",
    [
        ("0001-01-01T00:00", "0001-01-01T05:00"),
        ("9999-12-31T20:00", "9999-12-31T23:00"),
        ("2100-01-01T08:00", "2100-01-01T12:00"),
    ],
)
def test_a_closure_outside_the_bound_is_refused_on_its_fields(client, start, end):
    facility = open_facility(slug="balai")
    client.force_login(organizer_of(facility))

    response = client.post(
        "/kelola/fasilitas/balai/penutupan/", {"start": start, "end": end, "reason": "Renovasi"}
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["start"] == [BOUND_MESSAGE_ID]
    assert errors["end"] == [BOUND_MESSAGE_ID]
    assert not Closure.objects.exists()


@pytest.mark.parametrize("query", [{"dari": "0001-01-01"}, {"sampai": "9999-12-31"}])
def test_the_organizers_booking_list_reports_a_date_outside_the_bound(client, query):
    client.force_login(organizer_of(open_facility()))

    response = client.get("/kelola/booking/", query)

    assert response.status_code == 200
    assert clock.out_of_bounds_message() in response.context["form"].errors[next(iter(query))]


@pytest.mark.parametrize("year", ["9999", "1"])
def test_the_closures_admin_takes_a_year_outside_the_bound_as_a_bad_lookup(admin_client, year):
    response = admin_client.get("/admin/facilities/closure/", {"start__year": year})

    assert response.status_code in (200, 302)


@pytest.mark.parametrize(("day", "until"), [("0001-01-01", "2027-03-01"), ("9999-12-31",) * 2])
def test_a_closure_outside_the_bound_is_refused_in_the_admin(admin_client, day, until):
    response = admin_client.post(
        "/admin/facilities/closure/add/",
        {
            "start_0": day,
            "start_1": "08:00",
            "end_0": until,
            "end_1": "10:00",
            "reason": "Uji",
        },
    )

    assert response.status_code == 200
    assert not Closure.objects.exists()
