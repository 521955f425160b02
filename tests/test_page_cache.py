"""The public pages' cache (haidepok/page_cache.py): a page is served from it while nothing it
shows has changed, and rendered anew the moment something has, whoever changed it."""

import datetime as dt

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from bookings import services
from communities.models import Community
from facilities import services as facility_services
from facilities.pages import facility_scope
from haidepok import clock, page_cache
from tests.api_support import restore_language  # noqa: F401 (a fixture)
from tests.factories import (
    FacilityFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    open_facility,
    organizer_of,
    request_booking,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("fast_password_hashing", "restore_language"),
]


def grid(slug, day, **headers):
    return APIClient().get(
        f"/api/v1/facilities/{slug}/availability/", {"start": day.isoformat(), "days": 1}, **headers
    )


def states(response) -> dict[str, str]:
    assert response.status_code == 200, response.content
    return {
        slot["start"][11:16]: slot["state"]
        for day in response.json()["days"]
        for slot in day["slots"]
    }


def at(day, hour):
    return clock.local_datetime(day, dt.time(hour))


@pytest.fixture
def day():
    return clock.local_now().date() + dt.timedelta(days=3)


def test_a_cached_grid_costs_one_query_and_a_booking_shows_at_once(
    day, django_assert_max_num_queries
):
    facility = open_facility(slug="balai", hours=((dt.time(8), dt.time(12)),))
    assert states(grid("balai", day))["09:00"] == "free"
    with django_assert_max_num_queries(1):
        assert states(grid("balai", day))["09:00"] == "free"

    booking = request_booking(facility, at(day, 9), at(day, 10), now=clock.now())
    assert states(grid("balai", day))["09:00"] == "taken"
    services.booking_cancel(booking=booking, actor=booking.user)
    assert states(grid("balai", day))["09:00"] == "free"


def test_the_facility_page_shows_a_booking_a_closure_and_new_hours_at_once(client, day):
    facility = open_facility(slug="balai", hours=((dt.time(8), dt.time(12)),))
    page = f"/fasilitas/balai/?minggu={day.isoformat()}"
    free_link = f"?mulai={day.isoformat()}T09:00"
    assert free_link in client.get(page).content.decode()

    request_booking(facility, at(day, 9), at(day, 10), now=clock.now())
    assert free_link not in client.get(page).content.decode()

    facility_services.closure_add(
        facility=facility,
        start=at(day, 10),
        end=at(day, 11),
        reason="Kerja bakti",
        actor=organizer_of(facility),
    )
    assert "Kerja bakti" in client.get(page).content.decode()


def test_first_opening_hours_show_at_once(client, day):
    # Set with a bulk insert, which sends no model signal.
    facility = FacilityFactory(slug="balai")
    page = f"/fasilitas/balai/?minggu={day.isoformat()}"
    assert "14.00–16.00" not in client.get(page).content.decode()

    facility_services.opening_hours_replace(
        facility=facility,
        intervals=[(weekday, dt.time(14), dt.time(16)) for weekday in range(7)],
        actor=organizer_of(facility),
    )

    html = client.get(page).content.decode()
    assert "14.00–16.00" in html
    assert f"?mulai={day.isoformat()}T15:00" in html


def test_a_page_rendered_before_the_commit_is_not_served_after_it(
    day, django_capture_on_commit_callbacks
):
    facility = open_facility(slug="balai")
    key = page_cache.version_key(facility_scope(facility.pk))
    with django_capture_on_commit_callbacks(execute=True):
        request_booking(facility, at(day, 9), at(day, 10), now=clock.now())
        # Another process could render the page now, from the data before the commit.
        before_commit = cache.get(key)
    assert before_commit is not None
    assert cache.get(key) != before_commit


def test_the_catalog_is_served_without_a_query_until_a_facility_changes(
    client, django_assert_num_queries
):
    facility = open_facility(name="Balai Rakyat Beji")
    client.get("/")
    with django_assert_num_queries(0):
        assert "Balai Rakyat Beji" in client.get("/").content.decode()

    facility.name = "Balai Rakyat Beji Timur"
    facility.save()
    assert "Balai Rakyat Beji Timur" in client.get("/").content.decode()

    facility.community.name = "Paguyuban Beji Timur"
    facility.community.save()
    assert "Paguyuban Beji Timur" in client.get("/").content.decode()

    facility.community.status = Community.Status.DECLINED
    facility.community.save()
    assert "Balai Rakyat Beji Timur" not in client.get("/").content.decode()
    assert client.get(f"/fasilitas/{facility.slug}/").status_code == 404
    assert grid(facility.slug, clock.local_now().date()).status_code == 404


def test_the_catalog_free_at_a_time_follows_every_booking(client, day):
    facility = open_facility(name="Balai Rakyat Beji")
    query = {"date": day.isoformat(), "time_from": "09:00", "time_to": "10:00"}
    assert "Balai Rakyat Beji" in client.get("/", query).content.decode()

    request_booking(facility, at(day, 9), at(day, 10), now=clock.now())

    assert "Balai Rakyat Beji" not in client.get("/", query).content.decode()


def test_the_clock_alone_turns_a_cached_free_slot_too_soon(day, monkeypatch):
    open_facility(slug="balai", lead_hours=24)
    assert states(grid("balai", day))["09:00"] == "free"

    later = at(day, 9) - dt.timedelta(hours=24) + dt.timedelta(minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert states(grid("balai", day))["09:00"] == "too_soon"

    # A grid made at a later moment is not served at an earlier one either.
    monkeypatch.setattr(clock, "now", lambda: later - dt.timedelta(hours=1))
    assert states(grid("balai", day))["09:00"] == "free"


def test_availability_answers_a_conditional_get_until_it_changes(day):
    facility = open_facility(slug="balai")
    first = grid("balai", day)
    etag = first["ETag"]
    assert etag and first["Cache-Control"] == "no-cache"

    unchanged = grid("balai", day, HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged["ETag"] == etag

    request_booking(facility, at(day, 9), at(day, 10), now=clock.now())
    changed = grid("balai", day, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert states(changed)["09:00"] == "taken"


def test_pages_are_served_and_bookings_taken_while_the_cache_is_down(client, day, settings):
    facility = open_facility(slug="balai", name="Balai Rakyat Beji")
    # Nothing listens on port 1: every cache call fails.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }

    assert "Balai Rakyat Beji" in client.get("/").content.decode()
    assert states(grid("balai", day))["09:00"] == "free"
    booking = request_booking(
        facility, at(day, 9), at(day, 10), now=clock.now(), user=UserFactory()
    )
    assert booking.pk
    assert states(grid("balai", day))["09:00"] == "taken"
    assert client.get(f"/fasilitas/balai/?minggu={day.isoformat()}").status_code == 200


def test_with_the_page_cache_off_every_request_reads_the_database(
    day, settings, django_assert_max_num_queries
):
    settings.PAGE_CACHE = False
    facility = open_facility(slug="balai")
    grid("balai", day)
    with django_assert_max_num_queries(5) as queries:
        assert states(grid("balai", day))["09:00"] == "free"
    assert len(queries) > 1

    request_booking(facility, at(day, 9), at(day, 10), now=clock.now())
    assert states(grid("balai", day))["09:00"] == "taken"


def test_tracking_parameters_share_the_catalog_s_cached_page(client, django_assert_num_queries):
    open_facility(name="Balai Rakyat Beji", kecamatan="beji")
    first = client.get("/", {"kecamatan": "beji"})

    with django_assert_num_queries(0):
        shared = client.get("/", {"kecamatan": "beji", "fbclid": "IwAR3x", "utm_source": "wa"})

    def main(response):
        html = response.content.decode()
        return html[html.index("<main") : html.index("</main>")]

    assert main(shared) == main(first)
    assert "fbclid" not in main(shared)  # not carried into the pagination links


def test_a_tariff_or_an_add_on_changed_anywhere_shows_at_once(client):
    """As the admin or the shell change them: a plain save, a delete, the add-on's list of
    facilities (a many-to-many write)."""
    from facilities.models import AddOn, Tariff

    facility = open_facility(slug="balai")
    page = "/fasilitas/balai/"
    client.get(page), client.get("/")

    tariff = Tariff.objects.create(
        facility=facility,
        tariff_class="sosial",
        unit="hour",
        price=70_000,
        valid_from=dt.date(2000, 1, 1),
    )
    assert "Rp 70.000" in client.get(page).content.decode()
    assert "Rp 70.000" in client.get("/").content.decode()

    tariff.price = 80_000
    tariff.save()
    assert "Rp 80.000" in client.get("/").content.decode()

    addon = AddOn.objects.create(
        community=facility.community, name="Proyektor Epson", price=1, stock=1
    )
    assert "Proyektor Epson" not in client.get(page).content.decode()
    addon.facilities.add(facility)
    assert "Proyektor Epson" in client.get(page).content.decode()
    addon.facilities.remove(facility)
    assert "Proyektor Epson" not in client.get(page).content.decode()

    tariff.delete()
    assert "Rp 80.000" not in client.get("/").content.decode()
