"""Documents in the API: a facility lists the documents a request needs; a booking request
sent as multipart carries them (checked by content, nothing booked on a missing or refused
one); a booking's answer lists its documents with their download URL."""

import datetime as dt
import json

import pytest

from bookings.models import Booking
from documents.models import BookingDocument
from haidepok import clock
from tests.api_support import assert_error, booking_body, booking_day, token_client
from tests.documents_support import image_bytes, pdf_upload, requirement, upload
from tests.factories import (
    AddOnFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    priced_facility,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

URL = "/api/v1/bookings/"


@pytest.fixture
def hall():
    facility = priced_facility(slug="balai-rakyat-beji", approval="city", max_active_per_user=10)
    requirement(facility, "Surat permohonan", description="Ditandatangani ketua RW.")
    requirement(facility, "Izin keramaian", classes=["komersial"], position=2)
    return facility


@pytest.fixture
def resident():
    return UserFactory()


@pytest.fixture
def api(resident):
    return token_client(resident)


def letter_of(facility):
    return facility.document_requirements.get(name="Surat permohonan")


def multipart_body(facility, **overrides):
    body = booking_body(facility, booking_day(), tariff_class="sosial")
    body.update(overrides)
    return body


def test_the_facility_lists_the_documents_a_request_needs(hall):
    from rest_framework.test import APIClient

    answer = APIClient().get(f"/api/v1/facilities/{hall.slug}/").json()

    letter = letter_of(hall)
    assert answer["required_documents"][0] == {
        "id": letter.pk,
        "name": "Surat permohonan",
        "description": "Ditandatangani ketua RW.",
        "tariff_classes": [],
        "field": f"document_{letter.pk}",
    }
    assert answer["required_documents"][1]["tariff_classes"] == ["komersial"]


def test_a_multipart_request_books_with_its_documents(api, hall):
    letter = letter_of(hall)
    body = multipart_body(hall, **{f"document_{letter.pk}": pdf_upload("Surat RW.pdf", pages=2)})

    response = api.post(URL, body, format="multipart")

    assert response.status_code == 201, response.json()
    booking = Booking.objects.get()
    document = booking.documents.get()
    assert response.json()["documents"] == [
        {
            "id": str(document.public_id),
            "name": "Surat permohonan",
            "file_name": "Surat RW.pdf",
            "content_type": "application/pdf",
            "size": document.size,
            "pages": 2,
            "uploaded_at": clock.to_local(document.uploaded_at).isoformat(),
            "download_url": f"/dokumen/{document.public_id}/",
        }
    ]
    # The same in the detail and the list.
    detail = api.get(f"{URL}{booking.reference}/").json()
    assert detail["documents"] == response.json()["documents"]
    assert api.get(URL).json()["results"][0]["documents"] == response.json()["documents"]


def test_add_ons_travel_as_json_text_in_multipart(api, hall):
    chairs = AddOnFactory(community=hall.community, offered_at=[hall], stock=50)
    letter = letter_of(hall)
    body = multipart_body(
        hall,
        addons=json.dumps([{"addon": chairs.pk, "quantity": 10}]),
        **{f"document_{letter.pk}": pdf_upload()},
    )

    response = api.post(URL, body, format="multipart")

    assert response.status_code == 201, response.json()
    assert [line["kind"] for line in response.json()["lines"]] == ["tariff", "addon"]


def test_malformed_add_ons_in_multipart_are_400(api, hall):
    body = multipart_body(hall, addons="[{", **{f"document_{letter_of(hall).pk}": pdf_upload()})

    error = assert_error(api.post(URL, body, format="multipart"), 400, "invalid")

    assert list(error["fields"]) == ["addons"]
    assert not Booking.objects.exists()


def test_a_missing_document_is_named_and_nothing_is_booked(api, hall):
    komersial = hall.document_requirements.get(name="Izin keramaian")
    body = multipart_body(
        hall, tariff_class="komersial", **{f"document_{letter_of(hall).pk}": pdf_upload()}
    )

    error = assert_error(api.post(URL, body, format="multipart"), 400, "documents_refused")

    assert list(error["fields"]) == [f"document_{komersial.pk}"]
    assert "Izin keramaian" in error["message"]
    assert not Booking.objects.exists() and not BookingDocument.objects.exists()


def test_a_json_request_to_a_facility_asking_documents_is_refused(api, hall):
    response = api.post(URL, booking_body(hall, booking_day(), tariff_class="sosial"))

    error = assert_error(response, 400, "documents_refused")
    assert list(error["fields"]) == [f"document_{letter_of(hall).pk}"]
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    "content, name",
    [
        (b"\x7fELF\x02\x01\x01" + b"\0" * 64, "surat.pdf"),
        (b"<html><body>surat</body></html>", "surat.png"),
        (b"%PDF-1.4 broken", "surat.pdf"),
    ],
    ids=["elf", "html", "broken pdf"],
)
def test_a_refused_file_is_400_at_its_field(api, hall, content, name):
    field = f"document_{letter_of(hall).pk}"
    body = multipart_body(hall, **{field: upload(content, name)})

    error = assert_error(api.post(URL, body, format="multipart"), 400, "documents_refused")

    assert list(error["fields"]) == [field]
    assert not Booking.objects.exists()


def test_a_file_under_another_name_is_400(api, hall):
    body = multipart_body(
        hall,
        **{f"document_{letter_of(hall).pk}": pdf_upload(), "lampiran": pdf_upload()},
    )

    error = assert_error(api.post(URL, body, format="multipart"), 400, "invalid")

    assert list(error["fields"]) == ["lampiran"]


def test_a_document_of_another_facility_is_refused(api, hall):
    other = requirement(priced_facility(), "Surat lain")
    body = multipart_body(
        hall,
        **{f"document_{letter_of(hall).pk}": pdf_upload(), f"document_{other.pk}": pdf_upload()},
    )

    error = assert_error(api.post(URL, body, format="multipart"), 400, "documents_refused")
    assert list(error["fields"]) == ["__all__"]


def test_an_image_is_accepted_and_typed_by_content(api, hall):
    body = multipart_body(
        hall, **{f"document_{letter_of(hall).pk}": upload(image_bytes("JPEG"), "surat.pdf")}
    )

    response = api.post(URL, body, format="multipart")

    assert response.status_code == 201
    document = response.json()["documents"][0]
    assert document["content_type"] == "image/jpeg"
    assert document["pages"] is None


def test_the_resident_downloads_with_the_answer_s_url(client, api, resident, hall):
    body = multipart_body(hall, **{f"document_{letter_of(hall).pk}": pdf_upload()})
    url = api.post(URL, body, format="multipart").json()["documents"][0]["download_url"]

    assert client.get(url).status_code == 404  # not signed in
    client.force_login(resident)
    assert client.get(url).status_code == 200


def test_a_facility_without_requirements_books_as_json_still(api):
    facility = priced_facility(approval="city")
    start = clock.local_datetime(booking_day(), dt.time(10))

    response = api.post(
        URL,
        booking_body(facility, booking_day(), tariff_class="sosial", start=start.isoformat()),
    )

    assert response.status_code == 201
    assert response.json()["documents"] == []


def test_a_form_encoded_body_is_still_415(api, hall):
    from urllib.parse import urlencode

    response = api.post(
        URL,
        urlencode(multipart_body(hall)),
        content_type="application/x-www-form-urlencoded",
    )

    assert_error(response, 415, "unsupported_media_type")


def test_the_booking_list_with_documents_takes_a_fixed_number_of_queries(
    api, resident, hall, django_assert_max_num_queries
):
    for day in range(3):
        body = booking_body(hall, booking_day(3 + day), tariff_class="sosial")
        body[f"document_{letter_of(hall).pk}"] = pdf_upload()
        assert api.post(URL, body, format="multipart").status_code == 201

    # The token, the count, the page, events, lines, documents.
    with django_assert_max_num_queries(6):
        response = api.get(URL)

    assert all(len(result["documents"]) == 1 for result in response.json()["results"])
