import re

import pytest
from django.test import Client

from accounts.models import ApiToken
from accounts.services import api_token_create
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

PROFILE = "/akun/profil/"
NEW_TOKEN = "/akun/profil/token/"


def revoke_url(token) -> str:
    return f"/akun/profil/token/{token.pk}/cabut/"


@pytest.fixture
def resident():
    return UserFactory(full_name="Siti Rahma")


@pytest.fixture
def signed_in(resident):
    client = Client()
    client.force_login(resident)
    return client


def shown_key(response) -> str:
    match = re.search(r'value="(hd_[^"]+)"', response.content.decode())
    assert match, response.content.decode()
    return match.group(1)


def test_the_profile_needs_sign_in(client):
    response = client.get(PROFILE)

    assert response.status_code == 302
    assert response["Location"].startswith("/akun/login/")
    assert client.post(NEW_TOKEN, {"name": "x"}).status_code == 302
    assert not ApiToken.objects.exists()


def test_the_profile_lists_my_tokens_only(signed_in, resident):
    api_token_create(user=resident, name="Spreadsheet RT 05")
    api_token_create(user=UserFactory(), name="Token orang lain")

    response = signed_in.get(PROFILE)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Spreadsheet RT 05" in page
    assert "Token orang lain" not in page
    assert resident.email in page


def test_a_resident_who_manages_nothing_finds_how_to_register_a_community(signed_in):
    """The header shows "Kelola" only to managers; the profile leads residents there."""
    page = signed_in.get(PROFILE).content.decode()

    assert 'href="/kelola/komunitas/daftar/"' in page


def test_a_new_key_is_shown_once_and_works(signed_in, resident):
    response = signed_in.post(NEW_TOKEN, {"name": "Spreadsheet RT 05"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    key = shown_key(response)
    token = ApiToken.objects.get(user=resident)
    assert token.name == "Spreadsheet RT 05"
    assert key.startswith(token.prefix)
    # Not on the next visit, nor anywhere it could be read back from.
    assert key not in signed_in.get(PROFILE).content.decode()
    assert key not in str(dict(signed_in.session))

    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/bookings/").status_code == 200


def test_a_token_needs_a_name(signed_in, resident):
    response = signed_in.post(NEW_TOKEN, {"name": "   "})

    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    assert not ApiToken.objects.exists()
    assert signed_in.post(NEW_TOKEN, {"name": "x" * 101}).status_code == 400


def test_i_revoke_my_token(signed_in, resident):
    token, key = api_token_create(user=resident, name="Spreadsheet")

    response = signed_in.post(revoke_url(token), follow=True)

    assert response.redirect_chain == [(PROFILE, 302)]
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "Spreadsheet" in response.content.decode()
    assert_error(
        Client(HTTP_AUTHORIZATION=f"Bearer {key}").get("/api/v1/bookings/"),
        401,
        "authentication_failed",
    )


def test_i_cannot_revoke_someone_else_s_token(signed_in):
    token, key = api_token_create(user=UserFactory(), name="Milik orang lain")

    response = signed_in.post(revoke_url(token))

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert signed_in.post("/akun/profil/token/999999/cabut/").status_code == 404


def test_revoking_is_a_post(signed_in, resident):
    token, _ = api_token_create(user=resident, name="x")

    assert signed_in.get(revoke_url(token)).status_code == 405
    assert signed_in.get(NEW_TOKEN).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_forms_need_the_csrf_token(resident):
    token, _ = api_token_create(user=resident, name="x")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(resident)

    assert strict.post(NEW_TOKEN, {"name": "y"}).status_code == 403
    assert strict.post(revoke_url(token)).status_code == 403
    assert ApiToken.objects.count() == 1
    token.refresh_from_db()
    assert token.revoked_at is None

    strict.get(PROFILE)
    csrf = strict.cookies["csrftoken"].value
    assert strict.post(NEW_TOKEN, {"name": "y", "csrfmiddlewaretoken": csrf}).status_code == 200
    assert ApiToken.objects.count() == 2


def test_the_page_speaks_indonesian_first_and_english_on_request(signed_in, resident):
    api_token_create(user=resident, name="x")

    indonesian = signed_in.get(PROFILE).content.decode()
    english = signed_in.get(PROFILE, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Token API" in indonesian
    assert "Cabut" in indonesian
    assert "API tokens" in english
    assert "Revoke" in english


def test_active_tokens_come_before_revoked_ones(signed_in, resident):
    old, _ = api_token_create(user=resident, name="lama")
    api_token_create(user=resident, name="aktif")
    newer, _ = api_token_create(user=resident, name="dicabut")
    signed_in.post(revoke_url(old))
    signed_in.post(revoke_url(newer))

    tokens = signed_in.get(PROFILE).context["tokens"]

    assert [token.name for token in tokens] == ["aktif", "dicabut", "lama"]


def test_the_profile_costs_a_fixed_number_of_queries(
    signed_in, resident, django_assert_num_queries
):
    """The session, the user, the calendar feed token (one more since the calendar links of
    issue 16; made on the first visit), the pending WhatsApp code, whether they manage
    something (asked by the header and the calendar section, paid once), the API tokens,
    however many."""
    signed_in.get(PROFILE)
    for number in range(3):
        api_token_create(user=resident, name=f"Token {number}")

    with django_assert_num_queries(6):
        assert signed_in.get(PROFILE).status_code == 200
