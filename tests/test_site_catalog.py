import datetime as dt

import pytest

from haidepok import clock
from tests.factories import (
    AddOnFactory,
    BookingFactory,
    ClosureFactory,
    FacilityFactory,
    OpeningHoursFactory,
    TariffFactory,
)

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2027, 3, 1)
# The Thursday before: Monday is within every facility's lead time and horizon.
NOW = clock.local_datetime(dt.date(2027, 2, 25), dt.time(9))


@pytest.fixture(autouse=True)
def _clock(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


def names(response) -> set[str]:
    return {facility.name for facility in response.context["facilities"]}


def free_on_monday(client, time_from: str, time_to: str) -> set[str]:
    """The catalog's names for "free on Monday between these times"."""
    query = {"date": MONDAY.isoformat(), "time_from": time_from, "time_to": time_to}
    return names(client.get("/", query))


def open_all_week(facility, opens=dt.time(8), closes=dt.time(20)):
    for weekday in range(7):
        OpeningHoursFactory(facility=facility, weekday=weekday, opens=opens, closes=closes)
    return facility


def test_search_by_name_kecamatan_kind_and_capacity(client):
    FacilityFactory(name="Balai Rakyat Beji", kecamatan="beji", kind="hall", capacity=150)
    FacilityFactory(name="Taman Lembah Gurame", kecamatan="pancoran-mas", kind="park", capacity=300)
    FacilityFactory(name="Lapangan Basket Cinere", kecamatan="cinere", kind="court", capacity=20)

    assert names(client.get("/", {"q": "balai rakyat"})) == {"Balai Rakyat Beji"}
    assert names(client.get("/", {"kecamatan": "cinere"})) == {"Lapangan Basket Cinere"}
    assert names(client.get("/", {"kind": "park"})) == {"Taman Lembah Gurame"}
    assert names(client.get("/", {"capacity": "150"})) == {
        "Balai Rakyat Beji",
        "Taman Lembah Gurame",
    }


def test_bad_filters_are_reported_and_ignored_not_a_500(client):
    FacilityFactory(name="Balai Rakyat Beji")

    response = client.get(
        "/", {"capacity": "-5", "kecamatan": "jakarta", "date": "2027-02-30", "time_from": "25:00"}
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"capacity", "kecamatan", "date", "time_from"} <= set(errors)
    assert names(response) == {"Balai Rakyat Beji"}


def test_free_on_a_date_and_time_range(client):
    free = open_all_week(FacilityFactory(name="Bebas"))
    booked = open_all_week(FacilityFactory(name="Terpesan", buffer_minutes=0))
    buffered = open_all_week(FacilityFactory(name="Jeda", buffer_minutes=60))
    closed = open_all_week(FacilityFactory(name="Tutup"))
    open_all_week(FacilityFactory(name="Pagi Saja"), opens=dt.time(6), closes=dt.time(9))
    at = clock.local_datetime
    BookingFactory(facility=booked, start=at(MONDAY, dt.time(11)), end=at(MONDAY, dt.time(13)))
    # Ends at 09:00; with its 60-minute buffer the hall is not free again until 10:00.
    BookingFactory(facility=buffered, start=at(MONDAY, dt.time(8)), end=at(MONDAY, dt.time(9)))
    ClosureFactory(facility=closed, start=at(MONDAY, dt.time(0)), end=at(MONDAY, dt.time(12)))
    BookingFactory(
        facility=free,
        start=at(MONDAY, dt.time(12)),
        end=at(MONDAY, dt.time(14)),
        status="cancelled",
    )

    # Free between two times: a booking of the facility's minimum length (one hour here) may
    # start on its grid then, and end by the second time.
    assert free_on_monday(client, "09:00", "10:00") == {
        "Bebas",
        "Terpesan",
    }  # Jeda keeps 09-10 as its buffer
    assert free_on_monday(client, "09:30", "11:00") == {
        "Bebas",
        "Terpesan",
        "Jeda",
    }  # 10.00-11.00 everywhere
    # A new booking ending 11:00 at the hall with no buffer fits right before the 11:00 one.
    assert free_on_monday(client, "10:00", "11:00") == {"Bebas", "Jeda", "Terpesan"}
    assert free_on_monday(client, "10:30", "12:00") == {"Bebas", "Jeda"}  # 11.00-12.00
    assert free_on_monday(client, "12:00", "13:00") == {"Bebas", "Jeda", "Tutup"}
    # No hour-long booking fits between 10.30 and 11.30 on an hourly grid.
    assert free_on_monday(client, "10:30", "11:30") == set()


def test_free_means_a_booking_of_the_minimum_length_can_start(client):
    """A slot left free between two bookings, or the last one before closing, is no use to a
    facility booked for two hours at least: the catalog does not call it free (nor does the
    facility page)."""
    gap = open_all_week(FacilityFactory(name="Celah", min_slots=2, buffer_minutes=0))
    at = clock.local_datetime
    BookingFactory(facility=gap, start=at(MONDAY, dt.time(8)), end=at(MONDAY, dt.time(11)))
    BookingFactory(facility=gap, start=at(MONDAY, dt.time(12)), end=at(MONDAY, dt.time(19)))
    open_all_week(FacilityFactory(name="Lapang", min_slots=2))

    assert free_on_monday(client, "11:00", "12:00") == set()  # one free hour: the gap is too short
    assert (
        free_on_monday(client, "19:00", "20:00") == set()
    )  # the last hour before closing at 20.00
    assert free_on_monday(client, "18:00", "20:00") == {"Lapang"}
    page = client.get(f"/fasilitas/{gap.slug}/", {"tanggal": "2027-03-01"})
    monday = page.context["picker"].day
    states = {slot.start_label: slot.state for slot in monday.slots}
    assert states["11.00"] == states["19.00"] == "too_short"


def test_touching_opening_intervals_count_as_one(client):
    split = FacilityFactory(name="Dua Sesi", min_slots=2)
    OpeningHoursFactory(facility=split, weekday=0, opens=dt.time(8), closes=dt.time(12))
    OpeningHoursFactory(facility=split, weekday=0, opens=dt.time(12), closes=dt.time(16))

    query = {"date": "2027-03-01", "time_from": "11:00", "time_to": "13:00"}
    assert names(client.get("/", query)) == {"Dua Sesi"}


def test_free_on_a_date_alone_is_a_free_slot_that_day(client):
    full = open_all_week(FacilityFactory(name="Penuh", buffer_minutes=0))
    at = clock.local_datetime
    BookingFactory(facility=full, start=at(MONDAY, dt.time(8)), end=at(MONDAY, dt.time(12)))
    BookingFactory(facility=full, start=at(MONDAY, dt.time(12)), end=at(MONDAY, dt.time(16)))
    BookingFactory(facility=full, start=at(MONDAY, dt.time(16)), end=at(MONDAY, dt.time(20)))
    open_all_week(FacilityFactory(name="Kosong"))

    assert names(client.get("/", {"date": "2027-03-01"})) == {"Kosong"}
    assert names(client.get("/", {"date": "2027-03-02"})) == {"Kosong", "Penuh"}
    # Every slot left today is within the 24-hour lead time.
    assert names(client.get("/", {"date": "2027-02-25"})) == set()  # today


def test_free_on_a_date_alone_lists_what_opens_that_day(client):
    open_all_week(FacilityFactory(name="Setiap Hari", horizon_days=365))
    weekdays_only = FacilityFactory(name="Hari Kerja", horizon_days=365)
    for weekday in range(5):
        OpeningHoursFactory(facility=weekdays_only, weekday=weekday)
    holiday_closed = open_all_week(
        FacilityFactory(name="Libur Tutup", closed_on_public_holidays=True, horizon_days=365)
    )
    assert holiday_closed

    assert names(client.get("/", {"date": "2027-03-06"})) == {
        "Setiap Hari",
        "Libur Tutup",
    }  # Saturday
    # 17 August 2027, Independence Day, is a Tuesday.
    assert names(client.get("/", {"date": "2027-08-17"})) == {"Setiap Hari", "Hari Kerja"}


def test_catalog_is_paginated(client):
    FacilityFactory.create_batch(15)

    first = client.get("/")
    second = client.get("/", {"halaman": "2"})

    assert len(first.context["facilities"]) == 12
    assert len(second.context["facilities"]) == 3
    assert client.get("/", {"halaman": "banyak"}).status_code == 200


def test_catalog_queries_do_not_grow_with_facilities(client, django_assert_max_num_queries):
    for facility in FacilityFactory.create_batch(2):
        open_all_week(facility)
    query = {"date": "2027-03-01", "time_from": "10:00", "time_to": "12:00"}
    # The page, its count, photos and today's prices; the candidates, their hours, closures
    # and bookings.
    with django_assert_max_num_queries(8) as few:
        client.get("/", query)
    for facility in FacilityFactory.create_batch(12, buffer_minutes=30):
        open_all_week(facility)
        BookingFactory(facility=facility)
        TariffFactory(facility=facility, price=40_000)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/", query)


def test_facility_page_shows_details_and_the_day_picker(client):
    facility = open_all_week(
        FacilityFactory(
            name="Balai Rakyat Beji",
            amenities=["Sound system"],
            house_rules="Jaga kebersihan.",
            latitude="-6.374100",
            longitude="106.818300",
            horizon_days=365,
        )
    )
    TariffFactory(facility=facility, price=150_000, legal_basis="Perda Kota Depok No. 1/2024")

    response = client.get(f"/fasilitas/{facility.slug}/", {"tanggal": "2027-03-01"})
    page = response.content.decode()

    assert response.status_code == 200
    assert "Sound system" in page and "Jaga kebersihan." in page
    assert "Rp 150.000" in page and "Perda Kota Depok No. 1/2024" in page
    assert "mlat=-6.374100" in page
    # The strip of days from today (Thursday), Monday chosen, its times to book.
    picker = response.context["picker"]
    assert [day.date for day in picker.strip] == [
        NOW.date() + dt.timedelta(days=n) for n in range(7)
    ]
    assert picker.day.date == MONDAY
    assert f"/fasilitas/{facility.slug}/pesan/?mulai=2027-03-01T10:00" in page


def test_facility_page_of_an_unpublished_facility_is_404(client):
    facility = FacilityFactory(is_published=False)

    assert client.get(f"/fasilitas/{facility.slug}/").status_code == 404
    assert client.get("/fasilitas/tidak-ada/").status_code == 404


def test_facility_page_queries_do_not_grow_with_bookings(client, django_assert_max_num_queries):
    facility = open_all_week(FacilityFactory())
    TariffFactory(facility=facility)
    AddOnFactory(community=facility.community, offered_at=[facility])
    # The facility, its photos, hours, closures and bookings; tariffs and add-ons. The day
    # picker (issue 15) reads hours, closures and bookings from today to the horizon in the
    # same three queries the week did: the pin is unchanged.
    with django_assert_max_num_queries(11) as few:
        client.get(f"/fasilitas/{facility.slug}/", {"tanggal": "2027-03-01"})
    at = clock.local_datetime
    for day in range(7):
        for hour in (8, 11, 14):
            BookingFactory(
                facility=facility,
                start=at(MONDAY + dt.timedelta(days=day), dt.time(hour)),
                end=at(MONDAY + dt.timedelta(days=day), dt.time(hour + 2)),
            )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"/fasilitas/{facility.slug}/", {"tanggal": "2027-03-01"})


def test_the_filters_keep_iso_values_in_date_and_time_inputs(client):
    page = client.get(
        "/", {"date": "2027-03-01", "time_from": "09:30", "time_to": "11:00"}
    ).content.decode()

    assert 'value="2027-03-01"' in page
    assert 'value="09:30"' in page and 'value="11:00"' in page
