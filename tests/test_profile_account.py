import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from bookings.models import Booking, BookingEvent, BookingStatus
from haidepok import clock
from tests.factories import BookingFactory, FacilityFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_profile_saves_name_phone_and_language(client):
    resident = UserFactory(full_name="Siti", language="id")
    client.force_login(resident)

    response = client.post(
        "/akun/profil/",
        {"full_name": "Siti Rahmawati", "phone": "0812 3456 7890", "language": "en"},
    )

    resident.refresh_from_db()
    assert response.status_code == 302
    assert (resident.full_name, resident.phone, resident.language) == (
        "Siti Rahmawati",
        "0812 3456 7890",
        "en",
    )
    assert response.cookies["django_language"].value == "en"
    assert '<html lang="en">' in client.get("/").content.decode()


def test_profile_refuses_a_bad_phone_and_changes_nothing(client):
    resident = UserFactory(full_name="Siti", phone="0812 1111 2222")
    client.force_login(resident)

    response = client.post(
        "/akun/profil/", {"full_name": "X", "phone": "telepon saya", "language": "id"}
    )

    resident.refresh_from_db()
    assert response.status_code == 400
    assert response.context["profile_form"].errors["phone"]
    assert (resident.full_name, resident.phone) == ("Siti", "0812 1111 2222")


def test_the_preferred_language_follows_the_resident_to_a_new_browser(client):
    resident = UserFactory(language="en")
    client.force_login(resident)

    assert '<html lang="en">' in client.get("/").content.decode()
    client.cookies["django_language"] = "id"  # this browser chose Indonesian with the switch
    assert '<html lang="id">' in client.get("/").content.decode()


def test_deleting_the_account_needs_the_password(client):
    resident = UserFactory()
    client.force_login(resident)

    response = client.post("/akun/profil/hapus/", {"password": "salah"})

    assert response.status_code == 200
    assert response.context["form"].errors["password"]
    assert get_user_model().objects.filter(pk=resident.pk).exists()


def test_deleting_the_account_cancels_upcoming_bookings_and_keeps_an_anonymous_history(client):
    facility = FacilityFactory(cancel_hours=48)
    resident = UserFactory()
    now = clock.now().replace(minute=0, second=0, microsecond=0)
    # Inside the cancel deadline: a resident could not cancel it, the deletion still frees it.
    soon = BookingFactory(
        facility=facility,
        user=resident,
        start=now + dt.timedelta(hours=5),
        end=now + dt.timedelta(hours=6),
        contact_phone="0812 5555 0000",
    )
    later = BookingFactory(
        facility=facility,
        user=resident,
        start=now + dt.timedelta(days=5),
        end=now + dt.timedelta(days=5, hours=1),
        status=BookingStatus.APPROVED,
    )
    past = BookingFactory(
        facility=facility,
        user=resident,
        start=now - dt.timedelta(days=5),
        end=now - dt.timedelta(days=5) + dt.timedelta(hours=1),
        status=BookingStatus.COMPLETED,
    )
    someone_else = BookingFactory(
        facility=facility, start=now + dt.timedelta(days=6), end=now + dt.timedelta(days=6, hours=1)
    )
    client.force_login(resident)

    response = client.post("/akun/profil/hapus/", {"password": "rahasia-depok-123"})

    assert response.status_code == 302
    assert not get_user_model().objects.filter(pk=resident.pk).exists()
    for booking in (soon, later, past, someone_else):
        booking.refresh_from_db()
    assert soon.status == later.status == BookingStatus.CANCELLED
    assert past.status == BookingStatus.COMPLETED
    assert soon.user is None and past.user is None
    assert soon.contact_phone == "" and past.contact_phone == ""
    assert someone_else.status == BookingStatus.REQUESTED and someone_else.user is not None
    cancellation = soon.events.last()
    assert cancellation.to_status == BookingStatus.CANCELLED and cancellation.actor is None
    assert BookingEvent.objects.filter(booking__in=[soon, later, past]).count() >= 2
    assert Booking.objects.count() == 4
    assert client.get("/booking-saya/").status_code == 302  # signed out
