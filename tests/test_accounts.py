import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

PASSWORD = "Depok-Bersih-2026"


def link_in(message) -> str:
    match = re.search(r"https?://testserver(/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def test_sign_up_verify_sign_in_and_out(client, mailoutbox):
    response = client.post(
        "/akun/signup/",
        {"email": "rina@example.test", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert get_user_model().objects.filter(email="rina@example.test").exists()

    # The verification mail, and nothing usable until the address is confirmed.
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["rina@example.test"]
    client.logout()
    response = client.post("/akun/login/", {"login": "rina@example.test", "password": PASSWORD})
    assert client.get("/").context["user"].is_anonymous

    confirm_url = link_in(mailoutbox[0])
    assert client.get(confirm_url).status_code == 200
    response = client.post(confirm_url)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="rina@example.test").verified

    response = client.post("/akun/login/", {"login": "rina@example.test", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").context["user"].email == "rina@example.test"

    client.post("/akun/logout/")
    assert client.get("/").context["user"].is_anonymous


def test_password_reset_by_email(client, mailoutbox):
    user = get_user_model().objects.create_user("andi@example.test", "Lama-Sekali-2026")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

    client.post("/akun/password/reset/", {"email": "andi@example.test"})
    assert len(mailoutbox) == 1
    reset_url = link_in(mailoutbox[0])
    form_url = client.get(reset_url, follow=True).redirect_chain[-1][0]
    response = client.post(form_url, {"password1": PASSWORD, "password2": PASSWORD})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_sign_up_with_a_taken_email_creates_nothing_and_reveals_nothing(client):
    user = get_user_model().objects.create_user("rina@example.test", PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

    response = client.post(
        "/akun/signup/",
        {"email": "rina@example.test", "password1": PASSWORD, "password2": PASSWORD},
    )

    # The same answer as a new sign-up, so the form does not reveal who has an account.
    assert response.status_code == 302
    assert get_user_model().objects.filter(email="rina@example.test").count() == 1
    assert not EmailAddress.objects.filter(email="rina@example.test", verified=False).exists()


def test_sign_up_refuses_mismatched_passwords(client):
    response = client.post(
        "/akun/signup/",
        {"email": "rina@example.test", "password1": PASSWORD, "password2": PASSWORD + "x"},
    )

    assert response.status_code == 200
    assert not get_user_model().objects.filter(email="rina@example.test").exists()
    assert response.context["form"].errors


def test_signing_up_from_the_booking_form_comes_back_to_the_same_slot(client, mailoutbox):
    slot_url = "/fasilitas/balai-rakyat-beji/pesan/?mulai=2027-03-01T10:00"
    login_redirect = client.get(slot_url)["Location"]
    assert login_redirect.startswith("/akun/login/?next=")

    client.post(
        "/akun/signup/",
        {
            "email": "baru@example.test",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "next": slot_url,
        },
    )
    response = client.post(link_in(mailoutbox[0]))

    assert response.status_code == 302
    assert response["Location"] == slot_url
    assert client.get("/").context["user"].email == "baru@example.test"


def test_signing_in_from_the_booking_form_comes_back_to_the_same_slot(client):
    user = get_user_model().objects.create_user("lama@example.test", PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    slot_url = "/fasilitas/balai-rakyat-beji/pesan/?mulai=2027-03-01T10:00"

    response = client.post(
        "/akun/login/", {"login": "lama@example.test", "password": PASSWORD, "next": slot_url}
    )

    assert response["Location"] == slot_url
