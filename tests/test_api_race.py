"""Many residents POST the same slot at once, through the real HTTP API.

The live server answers each request in a thread of its own with its own database
connection (on SQLite the suite's test database is a file, see tests/conftest.py, so the
threads do not share one in-memory connection). Each resident authenticates with their own
API token over a plain http.client connection. Exactly one request wins; every other gets
409 slot_taken; the database holds exactly one booking of the slot.
"""

import datetime as dt
import http.client
import json
import threading
import time
from urllib.parse import urlsplit

import pytest

from accounts.services import api_token_create
from bookings import rules
from bookings.models import Booking, BookingEvent
from tests.api_support import booking_body, booking_day
from tests.factories import (
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    open_facility,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_password_hashing"),
]

THREADS = 20


@pytest.fixture(params=["as-it-comes", "all-checked-before-any-insert"])
def timing(request, monkeypatch):
    """Let requests run as they come, or hold each one for a moment after its rules passed,
    so that (where the database allows it) all have checked before any inserts: then only the
    database itself can refuse the second holder, and the API must still answer 409."""
    if request.param == "all-checked-before-any-insert":
        check_request = rules.check_request

        def check_then_pause(**kwargs):
            check_request(**kwargs)
            time.sleep(0.05)

        monkeypatch.setattr(rules, "check_request", check_then_pause)
    return request.param


def post_booking(base_url: str, key: str, body: dict) -> tuple[int, dict]:
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    try:
        connection.request(
            "POST",
            "/api/v1/bookings/",
            body=json.dumps(body),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_concurrent_requests_for_one_slot_over_http_end_with_one_holder(live_server, timing):
    facility = open_facility(slug="balai-rakyat-beji", approval="city")
    keys = [api_token_create(user=UserFactory(), name="race")[1] for _ in range(THREADS)]
    body = booking_body(facility, booking_day(), 10, 2)
    barrier = threading.Barrier(THREADS)
    outcomes: list = [None] * THREADS

    def attempt(i):
        try:
            barrier.wait(timeout=30)
            outcomes[i] = post_booking(live_server.url, keys[i], body)
        except Exception as error:  # noqa: BLE001 - every outcome is checked below
            outcomes[i] = error

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    errors = [outcome for outcome in outcomes if not isinstance(outcome, tuple)]
    assert errors == []
    statuses = sorted(status for status, _ in outcomes)
    assert statuses == [201] + [409] * (THREADS - 1), outcomes
    for status, answer in outcomes:
        if status == 409:
            assert answer["code"] == "slot_taken"
            assert answer["fields"] == {"start": [answer["message"]]}

    winner = next(answer for status, answer in outcomes if status == 201)
    holders = Booking.objects.holding_slot().filter(facility=facility)
    assert [booking.reference for booking in holders] == [winner["reference"]]
    assert Booking.objects.count() == 1
    assert BookingEvent.objects.count() == 1
    start = holders.get().start
    assert start == dt.datetime.fromisoformat(body["start"])
