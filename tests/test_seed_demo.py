import pytest
from django.apps import apps
from django.core.management import call_command

from bookings.models import Booking
from facilities.models import Facility

pytestmark = pytest.mark.django_db

PROJECT_APPS = ["accounts", "communities", "facilities", "bookings"]


def snapshot():
    """Every row of the project's tables, as plain values."""
    rows = {}
    for label in PROJECT_APPS:
        for model in apps.get_app_config(label).get_models():
            rows[model._meta.label] = sorted(model.objects.values_list(), key=lambda row: row[0])
    return rows


def test_seed_demo_is_idempotent():
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    first = snapshot()
    call_command("seed_demo", stdout=open("/dev/null", "w"))

    assert snapshot() == first


def test_seed_demo_creates_what_the_demo_needs(capsys):
    call_command("seed_demo")
    printed = capsys.readouterr().out

    published = Facility.objects.bookable()
    assert published.count() >= 8
    assert published.values("kecamatan").distinct().count() >= 4
    names = set(published.values_list("name", flat=True))
    assert {"Balai Rakyat Beji", "Taman Lembah Gurame"} <= names
    assert all(f.opening_hours.exists() for f in published)
    assert Booking.objects.values("status").distinct().count() >= 4
    # The city's halls ask for a request letter: the demo shows the upload.
    beji = Facility.objects.get(slug="balai-rakyat-beji")
    assert beji.document_requirements.filter(name="Surat permohonan").exists()
    for email, password in [
        ("warga@haidepok.local", "warga-depok-2026"),
        ("pengelola@haidepok.local", "pengelola-depok-2026"),
        ("staf@haidepok.local", "staf-pemkot-2026"),
    ]:
        assert email in printed and password in printed


def test_seeded_users_can_sign_in(client):
    call_command("seed_demo", stdout=open("/dev/null", "w"))

    for email, password in [
        ("warga@haidepok.local", "warga-depok-2026"),
        ("pengelola@haidepok.local", "pengelola-depok-2026"),
        ("staf@haidepok.local", "staf-pemkot-2026"),
    ]:
        response = client.post("/akun/login/", {"login": email, "password": password})
        assert response.status_code == 302, email
        assert client.get("/").context["user"].email == email
        client.logout()


def test_the_home_page_shows_the_demo_facilities(client):
    call_command("seed_demo", stdout=open("/dev/null", "w"))

    page = client.get("/").content.decode()

    assert "Balai Rakyat Beji" in page
    assert "Taman Lembah Gurame" in page
    assert "Taman Hutan Kota Cimanggis" not in page  # unpublished
    assert "Aula Karang Taruna Limo" not in page  # its community is not verified yet
