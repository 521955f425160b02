"""Documents on the site: the check page asks a file per required document and books nothing
on a missing or refused one (the message at its input); the facility page lists what a request
needs, at once after a change; the booking pages list the documents, and the resident adds or
replaces one while the request waits; organizers keep a facility's requirements."""

import datetime as dt

import pytest
from django.utils.translation import gettext

from bookings import services as booking_services
from bookings.models import Booking
from documents.models import BookingDocument, DocumentRequirement
from haidepok import clock
from tests.documents_support import image_bytes, pdf_upload, requirement, upload
from tests.factories import (
    MembershipFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    open_facility,
    organizer_of,
    priced_facility,
    staff_with_permissions,
)
from tests.test_documents import send
from tests.test_site_pricing import form_data, hidden_value, templates, url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]


@pytest.fixture
def resident(client):
    resident = UserFactory()
    client.force_login(resident)
    return resident


@pytest.fixture
def day():
    return clock.local_now().date() + dt.timedelta(days=5)


@pytest.fixture
def hall():
    facility = priced_facility(name="Balai Rakyat Beji", max_slots=8)
    requirement(facility, "Surat permohonan", description="Ditandatangani ketua RW.")
    requirement(facility, "Izin keramaian", classes=["komersial"], position=2)
    return facility


def letter(facility):
    return DocumentRequirement.objects.get(facility=facility, name="Surat permohonan")


def checked(client, facility, day, **fields) -> dict:
    """The check page's form as the browser sends it back with "Send"."""
    data = form_data(day, **fields)
    page = client.post(url(facility), data).content.decode()
    return {**data, "action": "confirm", "expected_total": hidden_value(page, "expected_total")}


def test_the_check_page_asks_each_required_document_of_the_class(client, resident, hall, day):
    response = client.post(url(hall), form_data(day, tariff_class="sosial"))
    page = response.content.decode()

    assert "bookings/booking_summary.html" in templates(response)
    assert 'enctype="multipart/form-data"' in page
    field = f'name="document_{letter(hall).pk}"'
    assert field in page
    assert 'accept=".pdf,.jpg,.jpeg,.png"' in page and " required " in page
    assert "Ditandatangani ketua RW." in page and "5,0" in page  # the limits said
    assert "Izin keramaian" not in page  # komersial only

    commercial = client.post(url(hall), form_data(day, tariff_class="komersial")).content.decode()
    assert "Izin keramaian" in commercial


def test_a_facility_without_requirements_keeps_the_plain_check_page(client, resident, day):
    page = client.post(url(open_facility()), form_data(day, slots="2")).content.decode()
    assert "multipart" not in page and 'type="file"' not in page


def test_a_missing_required_document_shows_the_check_page_again_and_books_nothing(
    client, resident, hall, day
):
    data = checked(client, hall, day, tariff_class="sosial")

    response = client.post(url(hall), data)

    assert response.status_code == 200
    assert "bookings/booking_summary.html" in templates(response)
    field = response.context["documents"][f"document_{letter(hall).pk}"]
    assert field.errors == [
        gettext("Please attach the document “%(name)s”.") % {"name": "Surat permohonan"}
    ]
    assert f'id="{field.auto_id}_error"' in response.content.decode()
    assert not Booking.objects.exists()


def test_a_refused_file_is_said_at_its_input_and_books_nothing(client, resident, hall, day):
    data = checked(client, hall, day, tariff_class="sosial")
    data[f"document_{letter(hall).pk}"] = upload(b"MZ\x90\x00" + b"\0" * 100, "surat.pdf")

    response = client.post(url(hall), data)

    errors = response.context["documents"][f"document_{letter(hall).pk}"].errors
    assert len(errors) == 1 and "PDF, JPEG" in errors[0]
    assert not Booking.objects.exists() and not BookingDocument.objects.exists()


def test_a_valid_document_books_the_request_with_it(client, resident, hall, day):
    data = checked(client, hall, day, tariff_class="sosial")
    data[f"document_{letter(hall).pk}"] = pdf_upload("Surat RW 05.pdf")

    response = client.post(url(hall), data)

    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/booking-saya/{booking.reference}/"
    document = booking.documents.get()
    assert (document.name, document.original_name) == ("Surat permohonan", "Surat RW 05.pdf")

    page = client.get(response["Location"]).content.decode()
    assert f"/dokumen/{document.public_id}/" in page
    assert "Surat RW 05.pdf" in page
    # Waiting for a decision: the resident may replace it.
    assert 'name="file"' in page and f'value="{letter(hall).pk}"' in page


def test_the_resident_replaces_a_document_on_the_booking_page(client, resident, hall):
    booking = send(
        hall, {letter(hall).pk: pdf_upload("lama.pdf")}, user=resident, tariff_class="sosial"
    )

    response = client.post(
        f"/booking-saya/{booking.reference}/dokumen/",
        {"requirement": letter(hall).pk, "file": upload(image_bytes("PNG"), "baru.png")},
    )

    assert response.status_code == 302
    assert response["Location"].endswith(f"/booking-saya/{booking.reference}/#dokumen")
    assert booking.documents.get().original_name == "baru.png"


def test_a_refused_replacement_is_said_and_keeps_the_old_one(client, resident, hall):
    booking = send(
        hall, {letter(hall).pk: pdf_upload("lama.pdf")}, user=resident, tariff_class="sosial"
    )

    response = client.post(
        f"/booking-saya/{booking.reference}/dokumen/",
        {"requirement": letter(hall).pk, "file": upload(b"<html>", "surat.pdf")},
        follow=True,
    )

    messages = [str(message) for message in response.context["messages"]]
    assert any("PDF, JPEG" in message for message in messages)
    assert booking.documents.get().original_name == "lama.pdf"


def test_no_upload_once_decided_and_none_for_another_resident(client, resident, hall):
    booking = send(
        hall, {letter(hall).pk: pdf_upload("lama.pdf")}, user=resident, tariff_class="sosial"
    )
    booking_services.booking_approve(booking=booking, actor=UserFactory(is_staff=True))

    page = client.get(f"/booking-saya/{booking.reference}/").content.decode()
    assert 'name="file"' not in page
    client.post(
        f"/booking-saya/{booking.reference}/dokumen/",
        {"requirement": letter(hall).pk, "file": pdf_upload("baru.pdf")},
    )
    assert booking.documents.get().original_name == "lama.pdf"

    client.force_login(UserFactory())
    response = client.post(
        f"/booking-saya/{booking.reference}/dokumen/",
        {"requirement": letter(hall).pk, "file": pdf_upload("baru.pdf")},
    )
    assert response.status_code == 404


def test_the_organizers_booking_page_links_the_documents(client, hall):
    booking = send(hall, {letter(hall).pk: pdf_upload("Surat.pdf")}, tariff_class="sosial")
    client.force_login(organizer_of(hall))

    page = client.get(f"/kelola/booking/{booking.reference}/").content.decode()

    assert f"/dokumen/{booking.documents.get().public_id}/" in page
    assert 'name="file"' not in page


# --- The facility page ----------------------------------------------------------------------


def test_the_facility_page_lists_the_documents_and_follows_changes(client, hall):
    page = client.get(f"/fasilitas/{hall.slug}/").content.decode()
    assert gettext("Documents a request needs") in page
    assert "Surat permohonan" in page and "Izin keramaian" in page

    # Cached, and yet a new requirement shows at once (a new version of the facility's pages).
    requirement(hall, "Fotokopi KTP")
    assert "Fotokopi KTP" in client.get(f"/fasilitas/{hall.slug}/").content.decode()
    DocumentRequirement.objects.filter(facility=hall).delete()  # a bulk delete sends signals too
    assert "Surat permohonan" not in client.get(f"/fasilitas/{hall.slug}/").content.decode()


# --- The organizers' requirements page ------------------------------------------------------


def manage_url(facility) -> str:
    return f"/kelola/fasilitas/{facility.slug}/dokumen/"


def test_an_organizer_adds_edits_and_removes_a_requirement(client, hall):
    client.force_login(organizer_of(hall))

    page = client.get(manage_url(hall))
    assert page.status_code == 200 and "Surat permohonan" in page.content.decode()

    response = client.post(
        manage_url(hall),
        {"name": "Fotokopi KTP", "description": "", "tariff_classes": ["sosial"], "position": "3"},
    )
    assert response.status_code == 302
    added = DocumentRequirement.objects.get(facility=hall, name="Fotokopi KTP")
    assert added.tariff_classes == ["sosial"]

    response = client.post(
        f"{manage_url(hall)}{added.pk}/",
        {"name": "Fotokopi KTP ketua", "description": "Jelas terbaca.", "position": "3"},
    )
    assert response.status_code == 302
    added.refresh_from_db()
    assert (added.name, added.tariff_classes) == ("Fotokopi KTP ketua", [])

    assert client.post(f"{manage_url(hall)}{added.pk}/hapus/").status_code == 302
    assert not DocumentRequirement.objects.filter(pk=added.pk).exists()


def test_a_requirement_of_the_same_name_is_refused_at_the_name(client, hall):
    client.force_login(organizer_of(hall))

    response = client.post(manage_url(hall), {"name": "surat PERMOHONAN", "position": "1"})

    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert DocumentRequirement.objects.filter(facility=hall).count() == 2


def test_an_unknown_tariff_class_is_refused(client, hall):
    client.force_login(organizer_of(hall))

    response = client.post(
        manage_url(hall), {"name": "X", "tariff_classes": ["vip"], "position": "1"}
    )

    assert response.status_code == 200 and response.context["form"].errors["tariff_classes"]


@pytest.mark.parametrize(
    "who, get, post",
    [
        ("anonymous", 302, 302),
        ("resident", 404, 404),
        ("other organizer", 404, 404),
        ("facility viewer", 200, 403),
        ("facility editor", 200, 302),
        ("pemkot staff", 200, 403),
    ],
)
def test_who_may_see_and_change_the_requirements(client, hall, who, get, post):
    users = {
        "resident": lambda: UserFactory(),
        "other organizer": lambda: MembershipFactory().user,
        "facility viewer": lambda: staff_with_permissions("facilities.view_facility"),
        "facility editor": lambda: staff_with_permissions("facilities.change_facility"),
        "pemkot staff": lambda: UserFactory(is_staff=True),
    }
    if who in users:
        client.force_login(users[who]())
    before = DocumentRequirement.objects.count()

    assert client.get(manage_url(hall)).status_code == get
    response = client.post(manage_url(hall), {"name": "Baru", "position": "1"})

    assert response.status_code == post
    added = 1 if post == 302 and who != "anonymous" else 0
    assert DocumentRequirement.objects.count() == before + added
    if get == 200:
        # Who may only look sees the list without the form.
        has_form = 'name="name"' in client.get(manage_url(hall)).content.decode()
        assert has_form is (post == 302)


def test_the_requirements_page_takes_a_fixed_number_of_queries(
    client, hall, django_assert_max_num_queries
):
    client.force_login(organizer_of(hall))
    with django_assert_max_num_queries(9) as few:
        client.get(manage_url(hall))
    for n in range(5):
        requirement(hall, f"Dokumen {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(manage_url(hall))
