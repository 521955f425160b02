"""POST /api/v1/bookings/ and the price quote with generated bodies: never a 5xx, and nothing
written on a 4xx; bodies nested deeper than any of ours (to a RecursionError in the JSON
parser) are malformed.

The data (a facility, a resident, a token) is made once per test function, inside it, so
that every example of one run shares the test's transaction; each example compares the
number of bookings before and after its own request.
"""

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from bookings.api.parsers import MAX_DEPTH, depth_exceeds
from bookings.models import Booking, BookingEvent, BookingStatus
from haidepok import clock
from tests.api_support import booking_body, booking_day, token_client
from tests.factories import (
    AddOnFactory,
    BookingFactory,
    UserFactory,
    open_facility,
    priced_facility,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/bookings/"
FIELDS = [
    "facility",
    "start",
    "end",
    "purpose",
    "attendees",
    "organisation",
    "phone",
    "tariff_class",
    "addons",
    "expected_total",
]
QUOTE_FIELDS = ["start", "end", "tariff_class", "addons"]

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=300)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)

# Dates near the ends of the calendar, impossible ones, and every offset from -23:59 to +23:59.
absurd_datetimes = st.builds(
    lambda year, month, day, hour, minute, offset: (
        f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:00{offset}"
    ),
    year=st.sampled_from([0, 1, 2, 1899, 1970, 2000, 2099, 2100, 9998, 9999]),
    month=st.integers(0, 13),
    day=st.integers(0, 32),
    hour=st.integers(0, 25),
    minute=st.integers(0, 60),
    offset=st.sampled_from(["", "Z", "+07:00", "-12:00", "+14:00", "+23:59", "-23:59", "+99:99"]),
)
quantities = (
    st.integers(min_value=-5, max_value=5)
    | st.sampled_from([1000, 1001, 2**31, 2**63, -(2**63), 10**40])
    | json_scalars
)
datetimes = (
    absurd_datetimes
    | st.datetimes(timezones=st.none() | st.timezones()).map(lambda moment: moment.isoformat())
    | st.text(max_size=40)
    | json_scalars
)

field_values = {
    "facility": st.just("SLUG") | st.text(max_size=200) | json_values,
    "start": datetimes,
    "end": datetimes,
    "purpose": st.text(max_size=250) | json_values,
    "attendees": st.integers(min_value=-(10**30), max_value=10**30)
    | st.sampled_from([0, 1, 100, 100_000, 100_001, 2**31, 2**63, -(2**63)])
    | json_values,
    "organisation": st.text(max_size=200) | json_values,
    "phone": st.from_regex(r"\+?[0-9 ()-]{0,40}", fullmatch=True) | json_values,
    "tariff_class": st.sampled_from(["", "sosial", "komersial", "gratis", "SOSIAL", "vip"])
    | json_values,
    # ADDON stands for the facility's add-on, so that some lists are valid.
    "addons": st.lists(
        st.fixed_dictionaries(
            {
                "addon": st.just("ADDON") | quantities,
                "quantity": quantities,
            }
        )
        | json_values,
        max_size=4,
    )
    | json_values,
    "expected_total": st.sampled_from([0, 100_000, 150_000]) | quantities,
}


@st.composite
def bodies(draw, fields=FIELDS):
    """A valid body with some fields replaced, some left out, and some junk added."""
    replaced = draw(st.sets(st.sampled_from(fields)))
    removed = draw(st.sets(st.sampled_from(fields)))
    changes = {field: draw(field_values[field]) for field in replaced}
    extra = draw(st.dictionaries(st.text(max_size=10), json_values, max_size=2))
    return changes, removed, extra


def generated(valid: dict, change, *, facility, addon) -> dict:
    """The valid body changed as `bodies` drew it, its placeholders filled in."""
    changes, removed, extra = change
    body = {**extra, **valid, **changes}
    if body.get("facility") == "SLUG":
        body["facility"] = facility.slug
    if isinstance(body.get("addons"), list):
        for item in body["addons"]:
            if isinstance(item, dict) and item.get("addon") == "ADDON":
                item["addon"] = addon.pk
    for field in removed:
        body.pop(field, None)
    return body


def post_json(api, raw: bytes):
    return api.generic("POST", URL, raw, content_type="application/json")


def check(api, raw: bytes):
    before = (Booking.objects.count(), BookingEvent.objects.count())
    response = post_json(api, raw)
    after = (Booking.objects.count(), BookingEvent.objects.count())

    assert response.status_code < 500, response.content
    assert response.status_code in {201, 400, 403, 409}, response.content
    if response.status_code == 201:
        assert after == (before[0] + 1, before[1] + 1)
    else:
        assert after == before, response.content
        error = response.json()
        assert set(error) == {"code", "message", "fields"}
    return response


def test_generated_bodies_never_500_and_never_write_on_refusal():
    facility = priced_facility(slug="balai", max_active_per_user=1000)
    addon = AddOnFactory(community=facility.community, stock=3, offered_at=[facility])
    api = token_client(UserFactory())
    valid = booking_body(
        facility,
        booking_day(),
        tariff_class="sosial",
        addons=[{"addon": addon.pk, "quantity": 1}],
        expected_total=2 * 50_000 + addon.price,
    )

    @FUZZ
    @given(bodies())
    def run(change):
        body = generated(valid, change, facility=facility, addon=addon)
        check(api, json.dumps(body).encode())

    run()


def test_generated_quote_requests_never_500_and_write_nothing():
    facility = priced_facility(slug="balai")
    addon = AddOnFactory(community=facility.community, stock=3, offered_at=[facility])
    api = APIClient()
    valid = {
        key: value
        for key, value in booking_body(facility, booking_day(), tariff_class="sosial").items()
        if key in QUOTE_FIELDS
    }
    valid["addons"] = [{"addon": addon.pk, "quantity": 2}]

    @FUZZ
    @given(bodies(QUOTE_FIELDS))
    def run(change):
        body = generated(valid, change, facility=facility, addon=addon)
        response = api.generic(
            "POST", "/api/v1/facilities/balai/quote/", json.dumps(body), "application/json"
        )

        assert response.status_code in {200, 400}, response.content
        answer = response.json()
        if response.status_code == 200:
            assert answer["total"] == sum(line["amount"] for line in answer["lines"])
            assert all(line["amount"] >= 0 for line in answer["lines"])
        else:
            assert set(answer) == {"code", "message", "fields"}
        assert not Booking.objects.exists()

    run()


def test_arbitrary_json_documents_never_500():
    open_facility(slug="balai")
    api = token_client(UserFactory())

    @FUZZ
    @given(json_values)
    def run(document):
        check(api, json.dumps(document).encode())

    run()


def test_arbitrary_bytes_never_500():
    open_facility(slug="balai")
    api = token_client(UserFactory())

    @FUZZ
    @given(st.binary(max_size=200))
    def run(raw):
        check(api, raw)

    run()


def test_valid_times_at_any_offset_are_the_same_moment():
    """Any offset the client uses, the booking is stored at the moment it names."""
    facility = open_facility(slug="balai", max_active_per_user=1000, approval="auto")
    api = token_client(UserFactory())
    free_slots = (
        clock.local_datetime(booking_day(days_ahead), dt.time(hour))
        for days_ahead in range(2, 40)
        for hour in range(8, 20)
    )

    @FUZZ
    @given(st.integers(-12 * 60, 14 * 60).map(lambda minutes: minutes - minutes % 15))
    def run(minutes_east):
        start = next(free_slots)
        zone = dt.timezone(dt.timedelta(minutes=minutes_east))
        body = booking_body(
            facility,
            start.date(),
            start=start.astimezone(zone).isoformat(),
            end=(start + dt.timedelta(hours=1)).astimezone(zone).isoformat(),
        )

        response = check(api, json.dumps(body).encode())

        assert response.status_code == 201, response.content
        assert Booking.objects.get(reference=response.json()["reference"]).start == start
        assert response.json()["start"] == start.isoformat()

    run()


# --- Deeply nested bodies -----------------------------------------------------------------

NESTED = {
    "lists": lambda depth: "[" * depth + "]" * depth,
    "objects": lambda depth: '{"a":' * depth + "1" + "}" * depth,
    "unclosed": lambda depth: "[" * depth,
}


@pytest.mark.parametrize("shape", NESTED)
@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_deeply_nested_bodies_are_malformed_json_not_a_500(shape, depth):
    facility = open_facility(slug="balai")
    resident = UserFactory()
    booking = BookingFactory(facility=facility, user=resident)
    api = token_client(resident)
    raw = NESTED[shape](depth).encode()

    for url in (URL, f"{URL}{booking.reference}/cancel/"):
        before = (Booking.objects.count(), BookingEvent.objects.count())
        response = api.generic("POST", url, raw, content_type="application/json")

        assert response.status_code == 400, (url, response.content[:300])
        assert response["Content-Type"] == "application/json"
        assert response.json()["code"] == "malformed_json"
        if shape != "unclosed":  # a well-formed body is told why: too deep
            assert str(MAX_DEPTH) in response.json()["message"], response.json()
        assert (Booking.objects.count(), BookingEvent.objects.count()) == before
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED


def test_a_body_as_deep_as_the_limit_is_parsed_and_judged_on_its_fields():
    facility = open_facility(slug="balai")
    api = token_client(UserFactory())
    body = booking_body(facility, booking_day())
    for _ in range(MAX_DEPTH - 1):
        body["purpose"] = [body["purpose"]]

    response = post_json(api, json.dumps(body).encode())

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert set(response.json()["fields"]) == {"purpose"}


def test_the_depth_is_measured_without_recursion():
    document = []
    for _ in range(100_000):
        document = [document, {"a": 1}]

    assert depth_exceeds(document, MAX_DEPTH)
    assert not depth_exceeds([[{"a": [1, {"b": None}]}]], 5)
    assert depth_exceeds([[{"a": [1, {"b": None}]}]], 4)
    assert not depth_exceeds("text", 0)


# --- Dates outside the project's one bound (haidepok.clock) -------------------------------


@pytest.mark.parametrize(
    "moment",
    [
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59",
        "2099-12-31T23:00:00-14:00",  # 2100 in WIB
        "1999-12-31T16:59:59Z",  # 23:59:59 WIB
    ],
)
def test_a_moment_outside_the_bound_is_refused_with_the_bounds_message(moment):
    facility = open_facility(slug="balai")
    api = token_client(UserFactory())
    body = booking_body(facility, booking_day(), start=moment)

    response = check(api, json.dumps(body).encode())

    assert response.status_code == 400
    assert response.json()["fields"]["start"] == [clock.out_of_bounds_message()]


@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31", "2100-01-01", "9999-12-31"])
def test_a_day_outside_the_bound_is_refused_by_the_facility_queries(day):
    open_facility(slug="balai")
    api = token_client(UserFactory())

    listed = api.get("/api/v1/facilities/", {"free_on": day})
    grid = api.get("/api/v1/facilities/balai/availability/", {"start": day})

    for response, field in ((listed, "free_on"), (grid, "start")):
        assert response.status_code == 400, response.content
        assert response.json()["fields"][field] == [clock.out_of_bounds_message()]
