import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from bookings.models import BookingStatus
from communities.models import Community
from haidepok import clock
from tests.api_support import (
    assert_error,
    booking_day,
    restore_language,  # noqa: F401 (a fixture)
    token_client,
)
from tests.factories import (
    BookingFactory,
    ClosureFactory,
    CommunityFactory,
    FacilityFactory,
    TariffFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    open_facility,
    organizer_of,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("fast_password_hashing", "restore_language"),
]

WIB_OFFSET = "+07:00"


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [facility["slug"] for facility in response.json()["results"]]


@pytest.fixture(params=["anonymous", "resident", "organizer", "staff"])
def reader(request):
    """Everyone reads facilities and availability alike."""
    if request.param == "anonymous":
        return APIClient()
    if request.param == "organizer":
        user = organizer_of(FacilityFactory())
    else:
        user = UserFactory(is_staff=request.param == "staff")
    return token_client(user)


# --- List ---------------------------------------------------------------------------------------


def test_the_list_shows_bookable_facilities_only_to_everyone(reader):
    bookable = FacilityFactory(slug="balai-rakyat-beji", name="Balai Rakyat Beji")
    FacilityFactory(slug="draft", is_published=False)
    FacilityFactory(slug="unverified", community=CommunityFactory(status=Community.Status.PENDING))

    response = reader.get("/api/v1/facilities/")

    assert "balai-rakyat-beji" in slugs(response)
    assert "draft" not in slugs(response)
    assert "unverified" not in slugs(response)
    card = next(f for f in response.json()["results"] if f["slug"] == "balai-rakyat-beji")
    assert card["name"] == "Balai Rakyat Beji"
    assert card["community_name"] == bookable.community.name
    assert card["kind"] == "hall"
    assert card["capacity"] == 100
    # The flat fee is gone; what using it costs is in its tariffs (none here: free).
    assert set(card) == {
        "slug",
        "name",
        "kind",
        "kind_label",
        "kecamatan",
        "kecamatan_label",
        "kelurahan",
        "address",
        "capacity",
        "approval",
        "community_name",
        "photo_url",
        "price_from",
    }
    assert card["price_from"] is None


def test_filters_by_kecamatan_kind_and_minimum_capacity():
    FacilityFactory(slug="beji-hall", kecamatan="beji", kind="hall", capacity=150)
    FacilityFactory(slug="gurame-park", kecamatan="pancoran-mas", kind="park", capacity=300)
    FacilityFactory(slug="cinere-court", kecamatan="cinere", kind="court", capacity=20)
    client = APIClient()

    assert slugs(client.get("/api/v1/facilities/", {"kecamatan": "cinere"})) == ["cinere-court"]
    assert slugs(client.get("/api/v1/facilities/", {"kind": "park"})) == ["gurame-park"]
    assert set(slugs(client.get("/api/v1/facilities/", {"min_capacity": 150}))) == {
        "beji-hall",
        "gurame-park",
    }
    assert (
        slugs(client.get("/api/v1/facilities/", {"kecamatan": "beji", "min_capacity": 151})) == []
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"kecamatan": "jakarta-selatan"}, "kecamatan"),
        ({"kind": "stadium"}, "kind"),
        ({"min_capacity": "banyak"}, "min_capacity"),
        ({"min_capacity": "-5"}, "min_capacity"),
        ({"min_capacity": "9" * 400}, "min_capacity"),
        ({"free_on": "besok"}, "free_on"),
        ({"free_on": "9999-12-31"}, "free_on"),
        ({"free_on": "0001-01-01"}, "free_on"),
    ],
)
def test_a_bad_filter_is_a_400_that_names_it(query, field):
    response = APIClient().get("/api/v1/facilities/", query)

    error = assert_error(response, 400, "invalid")
    assert list(error["fields"]) == [field]


def test_free_on_lists_facilities_with_a_free_slot_that_day():
    day = booking_day()
    open_facility(slug="free", hours=((dt.time(8), dt.time(10)),))
    full = open_facility(slug="full", hours=((dt.time(8), dt.time(10)),))
    BookingFactory(
        facility=full,
        start=clock.local_datetime(day, dt.time(8)),
        end=clock.local_datetime(day, dt.time(10)),
        status=BookingStatus.APPROVED,
    )
    cancelled = open_facility(slug="cancelled-booking", hours=((dt.time(8), dt.time(10)),))
    BookingFactory(
        facility=cancelled,
        start=clock.local_datetime(day, dt.time(8)),
        end=clock.local_datetime(day, dt.time(10)),
        status=BookingStatus.CANCELLED,
    )
    open_facility(slug="closed-that-weekday", weekdays=[(day.weekday() + 1) % 7])
    under_repair = open_facility(slug="under-repair")
    ClosureFactory(
        facility=under_repair,
        start=clock.local_datetime(day, dt.time(0)),
        end=clock.local_datetime(day + dt.timedelta(days=1), dt.time(0)),
    )

    response = APIClient().get("/api/v1/facilities/", {"free_on": day.isoformat()})

    assert sorted(slugs(response)) == ["cancelled-booking", "free"]
    assert response.json()["count"] == 2
    # Without the filter every one of them is listed.
    assert len(slugs(APIClient().get("/api/v1/facilities/"))) == 5


def test_free_on_is_what_the_grid_and_the_catalog_call_free():
    """A two-hour minimum: an hour left between two bookings is no free slot."""
    day = booking_day()
    gap = open_facility(
        slug="gap", hours=((dt.time(8), dt.time(13)),), min_slots=2, buffer_minutes=0
    )
    for start, end in ((8, 11), (12, 13)):
        BookingFactory(
            facility=gap,
            start=clock.local_datetime(day, dt.time(start)),
            end=clock.local_datetime(day, dt.time(end)),
            status=BookingStatus.APPROVED,
        )
    open_facility(slug="roomy", hours=((dt.time(8), dt.time(13)),), min_slots=2)

    response = APIClient().get("/api/v1/facilities/", {"free_on": day.isoformat()})
    grid = APIClient().get("/api/v1/facilities/gap/availability/", {"start": day.isoformat()})
    catalog = Client().get("/", {"date": day.isoformat()})

    assert slugs(response) == ["roomy"]
    assert {slot["state"] for slot in grid.json()["days"][0]["slots"]} >= {"too_short"}
    assert "free" not in {slot["state"] for slot in grid.json()["days"][0]["slots"]}
    assert [facility.slug for facility in catalog.context["facilities"]] == ["roomy"]


def test_free_on_a_past_day_lists_nothing():
    open_facility()
    yesterday = clock.local_now().date() - dt.timedelta(days=1)

    assert slugs(APIClient().get("/api/v1/facilities/", {"free_on": yesterday})) == []


def test_the_list_is_paginated():
    for number in range(25):
        FacilityFactory(slug=f"balai-{number:02d}")
    client = APIClient()

    first = client.get("/api/v1/facilities/").json()
    second = client.get(first["next"]).json()

    assert first["count"] == 25
    assert len(first["results"]) == 20
    assert len(second["results"]) == 5
    assert second["next"] is None
    assert not {f["slug"] for f in first["results"]} & {f["slug"] for f in second["results"]}
    assert_error(client.get("/api/v1/facilities/", {"page": 9}), 404, "not_found")


@pytest.mark.parametrize("facilities", [3, 30])
def test_the_list_takes_a_fixed_number_of_queries(facilities, django_assert_max_num_queries):
    for _ in range(facilities):
        facility = FacilityFactory()
        TariffFactory(facility=facility, price=50_000)
        TariffFactory(facility=facility, tariff_class="komersial", price=150_000)

    # The count, the page, its photos, today's paying tariffs (the cards' "from" price).
    with django_assert_max_num_queries(4):
        response = APIClient().get("/api/v1/facilities/")

    assert len(response.json()["results"]) == min(facilities, 20)


@pytest.mark.parametrize("facilities", [3, 30])
def test_free_on_queries_are_bounded_by_the_page(facilities, django_assert_max_num_queries):
    day = booking_day()
    for _ in range(facilities):
        facility = open_facility()
        BookingFactory(
            facility=facility,
            start=clock.local_datetime(day, dt.time(8)),
            end=clock.local_datetime(day, dt.time(10)),
        )

    # A few for the page, three (hours, closures, bookings) for each of at most 20 facilities.
    with django_assert_max_num_queries(6 + 3 * 20):
        response = APIClient().get("/api/v1/facilities/", {"free_on": day.isoformat()})

    assert len(response.json()["results"]) == min(facilities, 20)


def test_a_token_user_reads_with_a_fixed_number_of_queries_too(django_assert_max_num_queries):
    for _ in range(5):
        FacilityFactory()
    client = token_client(UserFactory())

    with django_assert_max_num_queries(6):  # + the token and recording its use
        client.get("/api/v1/facilities/")


# --- Detail -------------------------------------------------------------------------------------


def test_the_detail_has_opening_hours_policy_and_community(reader):
    facility = open_facility(
        slug="balai-rakyat-beji",
        hours=((dt.time(8), dt.time(12)), (dt.time(13), dt.time(21))),
        weekdays=[0, 5],
        slot_minutes=30,
        approval="community",
        house_rules="Dilarang merokok.",
    )

    response = reader.get("/api/v1/facilities/balai-rakyat-beji/")

    assert response.status_code == 200
    detail = response.json()
    assert detail["community_name"] == facility.community.name
    assert detail["house_rules"] == "Dilarang merokok."
    assert detail["opening_hours"][:2] == [
        {"weekday": 0, "weekday_label": "Senin", "opens": "08:00", "closes": "12:00"},
        {"weekday": 0, "weekday_label": "Senin", "opens": "13:00", "closes": "21:00"},
    ]
    assert [hours["weekday"] for hours in detail["opening_hours"]] == [0, 0, 5, 5]
    assert (detail["tariffs"], detail["tariff_classes"], detail["addons"]) == ([], [], [])
    assert "fee" not in detail
    assert detail["policy"] == {
        "slot_minutes": 30,
        "min_slots": 1,
        "max_slots": 4,
        "buffer_minutes": 0,
        "lead_hours": 24,
        "horizon_days": 60,
        "max_active_per_user": 3,
        "cancel_hours": 24,
        "approval": "community",
        "closed_on_public_holidays": False,
    }


def test_the_detail_speaks_english_when_asked():
    open_facility(slug="balai", weekdays=[0])

    detail = APIClient().get("/api/v1/facilities/balai/", HTTP_ACCEPT_LANGUAGE="en").json()

    assert detail["opening_hours"][0]["weekday_label"] == "Monday"
    assert detail["kind_label"] == "Hall"


@pytest.mark.parametrize(
    "facility",
    [
        lambda: FacilityFactory(slug="hidden", is_published=False),
        lambda: FacilityFactory(
            slug="hidden", community=CommunityFactory(status=Community.Status.PENDING)
        ),
        lambda: FacilityFactory(
            slug="hidden", community=CommunityFactory(status=Community.Status.DECLINED)
        ),
        lambda: None,
    ],
    ids=["unpublished", "community-pending", "community-declined", "missing"],
)
def test_a_facility_that_is_not_bookable_is_404(facility, reader):
    facility()

    assert_error(reader.get("/api/v1/facilities/hidden/"), 404, "not_found")
    assert_error(reader.get("/api/v1/facilities/hidden/availability/"), 404, "not_found")


def test_even_its_organizer_and_staff_get_404_for_a_draft_in_the_api():
    draft = FacilityFactory(slug="draft", is_published=False)

    for user in (organizer_of(draft), UserFactory(is_staff=True)):
        assert_error(token_client(user).get("/api/v1/facilities/draft/"), 404, "not_found")


# --- Availability -------------------------------------------------------------------------------


def test_availability_of_a_week_by_default(reader):
    facility = open_facility(slug="balai", hours=((dt.time(8), dt.time(12)),))

    response = reader.get("/api/v1/facilities/balai/availability/")

    assert response.status_code == 200
    availability = response.json()
    today = clock.local_now().date()
    assert availability["facility"] == "balai"
    assert availability["slot_minutes"] == facility.slot_minutes
    assert [day["date"] for day in availability["days"]] == [
        (today + dt.timedelta(days=n)).isoformat() for n in range(7)
    ]
    first_day = availability["days"][0]
    assert first_day["opening_hours"] == [{"opens": "08:00", "closes": "12:00"}]
    assert [slot["start"] for slot in first_day["slots"]] == [
        f"{today.isoformat()}T{hour:02d}:00:00{WIB_OFFSET}" for hour in range(8, 12)
    ]


def test_availability_slots_have_states_and_closures_are_listed():
    day = booking_day()
    facility = open_facility(slug="balai", hours=((dt.time(8), dt.time(12)),))
    BookingFactory(
        facility=facility,
        start=clock.local_datetime(day, dt.time(8)),
        end=clock.local_datetime(day, dt.time(9)),
        status=BookingStatus.APPROVED,
    )
    ClosureFactory(
        facility=facility,
        start=clock.local_datetime(day, dt.time(10)),
        end=clock.local_datetime(day, dt.time(11)),
        reason="Kerja bakti",
    )

    response = APIClient().get(
        "/api/v1/facilities/balai/availability/", {"start": day.isoformat(), "days": 1}
    )

    availability = response.json()
    slots = availability["days"][0]["slots"]
    assert [(slot["start"][11:16], slot["state"]) for slot in slots] == [
        ("08:00", "taken"),
        ("09:00", "free"),
        ("10:00", "closed"),
        ("11:00", "free"),
    ]
    assert slots[0]["end"] == f"{day.isoformat()}T09:00:00{WIB_OFFSET}"
    assert slots[0]["label"] == "Sudah dipesan"
    assert availability["closures"] == [
        {
            "start": f"{day.isoformat()}T10:00:00{WIB_OFFSET}",
            "end": f"{day.isoformat()}T11:00:00{WIB_OFFSET}",
            "reason": "Kerja bakti",
            "city_wide": False,
        }
    ]


def test_availability_labels_follow_the_request_language():
    facility = open_facility(slug="balai")
    day = booking_day()
    BookingFactory(
        facility=facility,
        start=clock.local_datetime(day, dt.time(8)),
        end=clock.local_datetime(day, dt.time(9)),
    )
    url = "/api/v1/facilities/balai/availability/"
    query = {"start": day.isoformat(), "days": 1}

    english = APIClient().get(url, query, HTTP_ACCEPT_LANGUAGE="en").json()
    indonesian = APIClient().get(url, query).json()

    assert english["days"][0]["slots"][0]["label"] == "Booked"
    assert indonesian["days"][0]["slots"][0]["label"] == "Sudah dipesan"
    assert english["days"][0]["slots"][1]["label"] == "Free"


def test_a_free_slot_is_not_labelled_free_of_charge_in_indonesian():
    open_facility(slug="balai")
    query = {"start": booking_day().isoformat(), "days": 1}

    response = APIClient().get("/api/v1/facilities/balai/availability/", query)

    label = response.json()["days"][0]["slots"][0]["label"]
    assert label not in {"Gratis", "Free"}


def test_availability_names_the_public_holiday():
    open_facility(slug="balai")
    # 17 August, Independence Day, within the next year.
    today = clock.local_now().date()
    independence = dt.date(today.year, 8, 17)
    if independence < today:
        independence = dt.date(today.year + 1, 8, 17)

    response = APIClient().get(
        "/api/v1/facilities/balai/availability/", {"start": independence, "days": 1}
    )

    assert response.json()["days"][0]["holiday"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"days": 0}, "days"),
        ({"days": 32}, "days"),
        ({"days": -1}, "days"),
        ({"days": "tujuh"}, "days"),
        ({"days": "1" * 5000}, "days"),
        ({"start": "2026-02-30"}, "start"),
        ({"start": "0000-01-01"}, "start"),
        ({"start": "9999-12-31"}, "start"),
        ({"start": "1-1-1"}, "start"),
    ],
)
def test_bad_availability_queries_are_400(query, field):
    open_facility(slug="balai")

    response = APIClient().get("/api/v1/facilities/balai/availability/", query)

    error = assert_error(response, 400, "invalid")
    assert list(error["fields"]) == [field]


def test_availability_of_31_days_is_allowed():
    open_facility(slug="balai", slot_minutes=15)

    response = APIClient().get("/api/v1/facilities/balai/availability/", {"days": 31})

    assert len(response.json()["days"]) == 31


@pytest.mark.parametrize("bookings", [3, 30])
def test_availability_takes_a_fixed_number_of_queries(bookings, django_assert_max_num_queries):
    facility = open_facility(slug="balai", hours=((dt.time(0), dt.time(23)),))
    first_day = booking_day()
    for number in range(bookings):
        start = clock.local_datetime(first_day + dt.timedelta(days=number // 10), dt.time(8))
        start += dt.timedelta(hours=number % 10)
        BookingFactory(facility=facility, start=start, end=start + dt.timedelta(hours=1))

    query = {"start": first_day, "days": 7}
    # Whether it is still bookable, the facility, hours, closures, bookings.
    with django_assert_max_num_queries(5):
        response = APIClient().get("/api/v1/facilities/balai/availability/", query)
    # Then from the cache: only the facility's own row, to know it is still bookable.
    with django_assert_max_num_queries(1):
        again = APIClient().get("/api/v1/facilities/balai/availability/", query)

    states = [slot["state"] for day in response.json()["days"] for slot in day["slots"]]
    assert states.count("taken") == bookings
    assert again.content == response.content


def test_write_methods_are_not_allowed_on_facilities():
    open_facility(slug="balai")
    client = token_client(UserFactory(is_staff=True))

    assert_error(client.post("/api/v1/facilities/", {}), 405, "method_not_allowed")
    assert_error(client.delete("/api/v1/facilities/balai/"), 405, "method_not_allowed")


def test_reads_need_no_account_at_all():
    open_facility(slug="balai")
    assert get_user_model().objects.count() == 0

    assert APIClient().get("/api/v1/facilities/balai/").status_code == 200
