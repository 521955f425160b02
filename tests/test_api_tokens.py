import datetime as dt
import hashlib

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import (
    LAST_USED_PRECISION,
    api_token_create,
    api_token_revoke,
    api_token_touch,
)
from haidepok import clock
from tests.api_support import (
    assert_error,
    restore_language,  # noqa: F401 (a fixture)
)
from tests.factories import (
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("fast_password_hashing", "restore_language"),
]

ME = "/api/v1/bookings/"  # any endpoint that needs to know who is calling


def call(key: str | None = None, header: str | None = None):
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    elif key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client.get(ME)


# --- The model and services ---------------------------------------------------------------------


def test_a_new_token_keeps_only_a_hash_and_a_prefix_of_its_key():
    user = UserFactory()

    token, key = api_token_create(user=user, name="  Spreadsheet RT 05  ")

    assert key.startswith("hd_") and len(key) > 40
    stored = ApiToken.objects.get()
    assert stored.name == "Spreadsheet RT 05"
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith(stored.prefix) and len(stored.prefix) < 12
    assert key not in {getattr(stored, field.attname) for field in ApiToken._meta.fields}
    assert stored.user == user
    assert stored.last_used_at is None and stored.revoked_at is None


def test_keys_differ_every_time():
    user = UserFactory()

    keys = {api_token_create(user=user, name="x")[1] for _ in range(20)}

    assert len(keys) == 20


def test_revoking_marks_the_token_and_keeps_it_for_the_record():
    user = UserFactory()
    token, _ = api_token_create(user=user, name="x")

    api_token_revoke(user=user, token_id=token.pk)

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert not token.is_active
    revoked_at = token.revoked_at
    api_token_revoke(user=user, token_id=token.pk)  # again: nothing changes
    token.refresh_from_db()
    assert token.revoked_at == revoked_at


def test_nobody_revokes_another_user_s_token():
    token, _ = api_token_create(user=UserFactory(), name="x")

    with pytest.raises(ApiToken.DoesNotExist):
        api_token_revoke(user=UserFactory(), token_id=token.pk)
    with pytest.raises(ApiToken.DoesNotExist):
        api_token_revoke(user=token.user, token_id=token.pk + 1000)

    token.refresh_from_db()
    assert token.is_active


def test_a_deleted_user_takes_their_tokens_along():
    token, _ = api_token_create(user=UserFactory(), name="x")

    token.user.delete()

    assert not ApiToken.objects.exists()


# --- Authentication -----------------------------------------------------------------------------


@pytest.mark.parametrize("keyword", ["Bearer", "Token", "bearer", "TOKEN"])
def test_a_token_authenticates_as_its_user(keyword):
    user = UserFactory()
    _, key = api_token_create(user=user, name="x")

    response = call(header=f"{keyword} {key}")

    assert response.status_code == 200


def test_use_is_recorded_about_once_a_minute():
    user = UserFactory()
    token, key = api_token_create(user=user, name="x")

    call(key)
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None
    call(key)
    token.refresh_from_db()
    assert token.last_used_at == first_use  # not rewritten on every call

    later = first_use + LAST_USED_PRECISION + dt.timedelta(seconds=1)
    api_token_touch(token, now=later)
    token.refresh_from_db()
    assert token.last_used_at == later


def test_a_revoked_token_is_401():
    user = UserFactory()
    token, key = api_token_create(user=user, name="x")
    assert call(key).status_code == 200

    api_token_revoke(user=user, token_id=token.pk)

    response = call(key)
    assert_error(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    "header",
    [
        "Bearer hd_not-a-real-key",
        "Bearer ",
        "Bearer",
        "Bearer two words",
        "Token hd_x hd_y",
        "Bearer kunci-ñ",
    ],
)
def test_a_wrong_or_malformed_token_is_401(header):
    api_token_create(user=UserFactory(), name="x")

    response = call(header=header)

    assert_error(response, 401, "authentication_failed")
    assert "WWW-Authenticate" in response


def test_a_wrong_token_is_401_even_where_anonymous_reads_are_allowed():
    response = APIClient(HTTP_AUTHORIZATION="Bearer hd_wrong").get("/api/v1/facilities/")

    assert_error(response, 401, "authentication_failed")


@pytest.mark.parametrize("header", [None, "Basic d2FyZ2E6cmFoYXNpYQ==", "Digest x"])
def test_no_token_at_all_is_401_not_authenticated(header):
    response = call(header=header)

    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_the_token_of_an_inactive_account_is_401():
    user = UserFactory()
    _, key = api_token_create(user=user, name="x")
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)

    assert_error(call(key), 401, "authentication_failed")


def test_the_hash_of_a_key_is_not_a_key():
    token, _ = api_token_create(user=UserFactory(), name="x")

    assert_error(call(token.key_hash), 401, "authentication_failed")
    assert_error(call(token.prefix), 401, "authentication_failed")


def test_a_token_write_needs_no_csrf_token():
    user = UserFactory()
    _, key = api_token_create(user=user, name="x")
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")

    # Reaches the booking rules (400 for the empty body), not a CSRF refusal (403).
    assert_error(client.post(ME, {}, format="json"), 400, "invalid")


def test_401_messages_follow_the_request_language():
    indonesian = call(header=None).json()["message"]
    english = APIClient().get(ME, HTTP_ACCEPT_LANGUAGE="en").json()["message"]

    assert english.startswith("Sign in")
    assert indonesian != english


# --- Admin --------------------------------------------------------------------------------------


def test_staff_see_tokens_in_the_admin_without_their_keys(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    token, key = api_token_create(user=UserFactory(), name="Spreadsheet")
    client.force_login(admin)

    changelist = client.get("/admin/accounts/apitoken/")
    change = client.get(f"/admin/accounts/apitoken/{token.pk}/change/")

    assert changelist.status_code == 200
    assert "Spreadsheet" in changelist.content.decode()
    assert change.status_code == 200
    page = change.content.decode()
    assert token.key_hash in page
    assert key not in page
    assert 'name="key_hash"' not in page  # shown, never editable
    assert client.get("/admin/accounts/apitoken/add/").status_code == 403


def test_staff_revoke_tokens_with_an_admin_action(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    token, key = api_token_create(user=UserFactory(), name="Spreadsheet")
    client.force_login(admin)

    response = client.post(
        "/admin/accounts/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.revoked_at <= clock.now()
    assert_error(call(key), 401, "authentication_failed")
