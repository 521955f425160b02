"""Helpers shared by the API tests (tests/test_api_*.py)."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from accounts.services import api_token_create
from haidepok import clock


@pytest.fixture
def restore_language():
    """Give the next test the language this one started with: LocaleMiddleware activates the
    request's language (Accept-Language: en) in the thread and leaves it active after the
    response, where code outside a request, a later test's, would read it."""
    language = translation.get_language()
    yield
    translation.activate(language)


def token_client(user, *, keyword: str = "Bearer", **defaults) -> APIClient:
    """A client that authenticates as `user` with a fresh personal API token."""
    _, key = api_token_create(user=user, name="test")
    client = APIClient(**defaults)
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {key}")
    return client


def session_client(user) -> Client:
    """A signed-in browser that must send a CSRF token with each write, as a real one does."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def csrf_token_of(client: Client) -> str:
    """The CSRF token a page would give this browser (any page that renders a form)."""
    client.get("/akun/profil/")
    return client.cookies["csrftoken"].value


def booking_day(days_ahead: int = 5) -> dt.date:
    """A day within every default policy window: past the lead time, before the horizon."""
    return clock.local_now().date() + dt.timedelta(days=days_ahead)


def booking_body(facility, day: dt.date, start_hour: int = 10, hours: int = 2, /, **overrides):
    """A valid request body for [start_hour, start_hour + hours) on `day`; `overrides` replace
    or add fields (even `facility`)."""
    start = clock.local_datetime(day, dt.time(start_hour))
    body = {
        "facility": facility.slug,
        "start": start.isoformat(),
        "end": (start + dt.timedelta(hours=hours)).isoformat(),
        "purpose": "Rapat karang taruna",
        "attendees": 25,
        "organisation": "Karang Taruna RW 07",
        "phone": "+62 812 3456 7890",
    }
    body.update(overrides)
    return body


def assert_error(response, status: int, code: str) -> dict:
    """The response is an API error of the one shape, with this status and code."""
    assert response.status_code == status, (response.status_code, response.content)
    assert response["Content-Type"].startswith("application/json")
    error = response.json()
    assert set(error) == {"code", "message", "fields"}, error
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"].strip()
    assert isinstance(error["fields"], dict)
    assert all(
        isinstance(messages, list) and all(isinstance(m, str) for m in messages)
        for messages in error["fields"].values()
    ), error["fields"]
    return error
