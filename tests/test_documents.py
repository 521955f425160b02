"""Supporting documents: the one check of a file (type from its content, real parsers, size,
pages, bombs), the rule of which documents a request needs, sending them with the request,
adding or replacing one while it waits, and forgetting them with the resident."""

import datetime as dt
import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import storages
from django.test import override_settings
from PIL import Image

from accounts.services import account_delete
from bookings import services as booking_services
from bookings.errors import BookingError
from bookings.models import Booking, BookingStatus
from documents import services
from documents.models import BookingDocument
from documents.validation import check_document
from haidepok import clock
from tests.documents_support import (
    image_bytes,
    pdf_bytes,
    pdf_upload,
    requirement,
    upload,
)
from tests.factories import (
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    open_facility,
    priced_facility,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]


def refused_code(file) -> str:
    with pytest.raises(ValidationError) as refused:
        check_document(file)
    return refused.value.code


def stored_files() -> list[str]:
    storage = storages["private"]
    if not storage.exists("documents"):
        return []
    return storage.listdir("documents")[1]


# --- The check of a file ----------------------------------------------------------------------


def test_a_real_pdf_is_accepted_with_its_pages():
    document = check_document(upload(pdf_bytes(pages=3), "surat.PDF"))

    assert document.content_type == "application/pdf"
    assert document.pages == 3
    assert document.extension == "pdf"
    assert document.original_name == "surat.PDF"


def test_a_pdf_named_as_an_image_is_still_a_pdf():
    # The name and the declared type say PNG; the content decides.
    document = check_document(upload(pdf_bytes(), "foto.png", "image/png"))

    assert document.content_type == "application/pdf"


def test_a_broken_pdf_is_refused():
    content = pdf_bytes()
    assert refused_code(upload(content[: len(content) // 3])) == "pdf_damaged"
    assert refused_code(upload(b"%PDF-1.7\n this is not a pdf at all")) == "pdf_damaged"


def test_an_encrypted_pdf_is_refused():
    assert refused_code(upload(pdf_bytes(password="rahasia"))) == "pdf_encrypted"


@override_settings(DOCUMENT_MAX_PAGES=5)
def test_a_pdf_over_the_page_limit_is_refused_and_one_at_it_accepted():
    assert check_document(upload(pdf_bytes(pages=5))).pages == 5
    with pytest.raises(ValidationError) as refused:
        check_document(upload(pdf_bytes(pages=6)))
    assert refused.value.code == "pdf_too_many_pages"
    assert "6" in refused.value.messages[0] and "5" in refused.value.messages[0]


def test_a_pdf_without_pages_is_refused():
    assert refused_code(upload(pdf_bytes(pages=0))) == "pdf_no_pages"


@pytest.mark.parametrize(
    "content, name, declared",
    [
        (b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200, "surat.pdf", "application/pdf"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "surat.pdf", "application/pdf"),
        (b"<!doctype html><script>alert(1)</script>", "foto.png", "image/png"),
        (b"GIF89a\x01\x00\x01\x00", "foto.jpg", "image/jpeg"),
    ],
    ids=["elf", "exe", "html", "gif"],
)
def test_anything_else_is_refused_whatever_its_name(content, name, declared):
    assert refused_code(upload(content, name, declared)) == "unsupported_type"


def test_a_zip_named_pdf_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("surat.pdf", pdf_bytes())
    assert refused_code(upload(buffer.getvalue(), "surat.pdf")) == "unsupported_type"


def test_an_empty_file_is_refused():
    assert refused_code(upload(b"", "kosong.pdf")) == "empty"


@override_settings(DOCUMENT_MAX_BYTES=1000)
def test_an_oversize_upload_is_refused_by_its_declared_size_before_it_is_read():
    class Unreadable:
        name = "besar.pdf"
        size = 1001

        def seek(self, position):
            raise AssertionError("read although its size is over the limit")

        read = seek

    assert refused_code(Unreadable()) == "too_large"


@override_settings(DOCUMENT_MAX_BYTES=1000)
def test_a_file_larger_than_it_declares_is_refused():
    lying = upload(pdf_bytes() + b"\n%" + b"x" * 2000)
    lying.size = 10
    assert refused_code(lying) == "too_large"


def test_a_png_bomb_is_refused_before_it_is_decoded():
    # 20000 × 20000 pixels (400 megapixels) of one bit each: a few kilobytes of file.
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, "PNG", optimize=True)
    assert len(buffer.getvalue()) < 200_000

    assert refused_code(upload(buffer.getvalue(), "scan.png", "image/png")) == "image_too_large"


def test_an_image_over_the_pixel_limit_but_under_pillows_is_refused_too():
    buffer = io.BytesIO()
    Image.new("1", (8000, 7000)).save(buffer, "PNG")  # 56 megapixels

    assert refused_code(upload(buffer.getvalue(), "scan.png", "image/png")) == "image_too_large"


def test_a_truncated_image_is_refused():
    content = image_bytes("JPEG", size=(400, 300))
    assert refused_code(upload(content[: len(content) // 2], "foto.jpg")) == "image_damaged"


def test_images_are_stored_without_their_exif():
    original = image_bytes("JPEG", exif=True)
    assert b"KameraHP" in original

    document = check_document(upload(original, "ktp.jpg", "image/jpeg"))

    assert document.content_type == "image/jpeg"
    assert b"KameraHP" not in document.content
    assert Image.open(io.BytesIO(document.content)).size == (60, 40)


def test_png_is_accepted_as_png():
    document = check_document(upload(image_bytes("PNG"), "denah.png", "image/png"))
    assert (document.content_type, document.extension) == ("image/png", "png")


def test_each_refusal_has_its_own_message_in_indonesian_and_english():
    from django.utils import translation

    from documents.validation import MESSAGES

    for code, message in MESSAGES.items():
        with translation.override("en"):
            english = str(message)
        with translation.override("id"):
            indonesian = str(message)
        assert english != indonesian, code
    assert len({str(message) for message in MESSAGES.values()}) == len(MESSAGES)


def test_the_resident_s_file_name_is_cleaned():
    document = check_document(upload(pdf_bytes(), '../../etc/pass"wd\x00.pdf'))
    assert document.original_name == "passwd.pdf"


# --- Which documents a request needs ----------------------------------------------------------


def test_the_requirement_rule_per_tariff_class():
    facility = priced_facility()
    letter = requirement(facility, "Surat permohonan")
    permit = requirement(facility, "Izin keramaian", classes=["komersial"], position=2)
    statement = requirement(facility, "Surat pernyataan", classes=["sosial", "gratis"])

    def names(tariff_class):
        return [
            r.name
            for r in services.required_documents(facility=facility, tariff_class=tariff_class)
        ]

    assert names("komersial") == ["Surat permohonan", "Izin keramaian"]
    assert names("sosial") == ["Surat permohonan", "Surat pernyataan"]
    assert names("gratis") == ["Surat permohonan", "Surat pernyataan"]
    # A facility without tariffs prices in no class: only what every request needs.
    assert names("") == ["Surat permohonan"]
    assert {letter.pk, permit.pk, statement.pk}


def test_another_facility_s_requirements_do_not_apply():
    facility = open_facility()
    requirement(open_facility(), "Surat lain")

    assert services.required_documents(facility=facility, tariff_class="") == []


# --- Sending documents with the request -------------------------------------------------------


def start_in(days=3, hour=10):
    return clock.local_datetime(clock.local_now().date() + dt.timedelta(days=days), dt.time(hour))


def send(facility, documents, *, user=None, tariff_class="", **fields):
    start = fields.pop("start", start_in())
    return services.booking_request_with_documents(
        facility=facility,
        user=user or UserFactory(),
        start=start,
        end=start + dt.timedelta(hours=1),
        purpose="Rapat RW 05",
        attendees=10,
        contact_phone="+62 812 5555 6666",
        tariff_class=tariff_class,
        documents=documents,
        **fields,
    )


def test_a_request_with_its_documents_stores_them_privately():
    facility = open_facility()
    letter = requirement(facility)

    booking = send(facility, {letter.pk: pdf_upload("Surat Permohonan RW05.pdf", pages=2)})

    document = booking.documents.get()
    assert document.requirement == letter
    assert document.name == "Surat permohonan"
    assert document.original_name == "Surat Permohonan RW05.pdf"
    assert (document.content_type, document.pages) == ("application/pdf", 2)
    assert document.uploaded_by == booking.user
    # Named by us, never by the resident.
    assert "Permohonan" not in document.file_name
    assert document.file_name.startswith("documents/") and document.file_name.endswith(".pdf")
    assert storages["private"].open(document.file_name).read().startswith(b"%PDF-")
    assert document.size == storages["private"].size(document.file_name)


def test_a_missing_required_document_is_named_and_nothing_is_written():
    facility = priced_facility()
    letter = requirement(facility)
    permit = requirement(facility, "Izin keramaian", classes=["komersial"])

    with pytest.raises(services.DocumentsRefused) as refused:
        send(facility, {letter.pk: pdf_upload()}, tariff_class="komersial")

    assert list(refused.value.errors) == [permit.pk]
    assert "Izin keramaian" in refused.value.errors[permit.pk]
    assert not Booking.objects.exists()
    assert stored_files() == []


def test_one_bad_file_among_good_ones_writes_nothing():
    facility = open_facility()
    letter = requirement(facility)
    map_ = requirement(facility, "Denah acara")

    with pytest.raises(services.DocumentsRefused) as refused:
        send(
            facility,
            {letter.pk: pdf_upload(), map_.pk: upload(b"MZ\x90\x00" * 10, "denah.pdf")},
        )

    assert list(refused.value.errors) == [map_.pk]
    assert not Booking.objects.exists()
    assert not BookingDocument.objects.exists()
    assert stored_files() == []


def test_a_document_not_asked_for_is_refused():
    facility = open_facility()
    other = requirement(open_facility(), "Surat lain")

    with pytest.raises(services.DocumentsRefused) as refused:
        send(facility, {other.pk: pdf_upload()})

    assert None in refused.value.errors
    assert not Booking.objects.exists()


def test_a_refused_booking_writes_no_file(monkeypatch):
    facility = open_facility()
    letter = requirement(facility)

    with pytest.raises(BookingError):
        send(facility, {letter.pk: pdf_upload()}, start=start_in(days=-1))

    assert stored_files() == []
    assert not BookingDocument.objects.exists()


def test_files_written_for_a_transaction_that_fails_are_removed(monkeypatch):
    facility = open_facility()
    letter = requirement(facility)
    second = requirement(facility, "Denah acara")
    real_create = BookingDocument.objects.create
    calls = []

    def failing_create(**fields):
        calls.append(fields)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real_create(**fields)

    monkeypatch.setattr(BookingDocument.objects, "create", failing_create)

    with pytest.raises(RuntimeError):
        send(facility, {letter.pk: pdf_upload(), second.pk: pdf_upload("denah.pdf")})

    assert not Booking.objects.exists()
    assert stored_files() == []


def test_a_request_without_requirements_needs_no_documents():
    booking = send(open_facility(), {})
    assert booking.documents.count() == 0


# --- Adding or replacing while the request waits ----------------------------------------------


def test_the_resident_replaces_a_document_while_requested_and_the_old_file_goes(
    django_capture_on_commit_callbacks,
):
    facility = open_facility()
    letter = requirement(facility)
    booking = send(facility, {letter.pk: pdf_upload("lama.pdf")})
    old = booking.documents.get()

    with django_capture_on_commit_callbacks(execute=True):
        new = services.document_attach(
            booking=booking,
            requirement_id=letter.pk,
            upload=upload(image_bytes("PNG"), "baru.png", "image/png"),
            actor=booking.user,
        )

    assert list(booking.documents.all()) == [new]
    assert new.original_name == "baru.png"
    assert not storages["private"].exists(old.file_name)
    assert storages["private"].exists(new.file_name)


def test_a_requirement_added_later_can_be_met_on_the_booking():
    facility = open_facility()
    booking = send(facility, {})
    letter = requirement(facility)

    services.document_attach(
        booking=booking, requirement_id=letter.pk, upload=pdf_upload(), actor=booking.user
    )

    assert booking.documents.get().requirement == letter


def test_nobody_else_adds_documents_and_nobody_after_the_decision():
    facility = open_facility()
    letter = requirement(facility)
    booking = send(facility, {letter.pk: pdf_upload()})

    with pytest.raises(PermissionDenied):
        services.document_attach(
            booking=booking, requirement_id=letter.pk, upload=pdf_upload(), actor=UserFactory()
        )
    booking_services.booking_approve(booking=booking, actor=UserFactory(is_staff=True))
    with pytest.raises(PermissionDenied):
        services.document_attach(
            booking=booking, requirement_id=letter.pk, upload=pdf_upload(), actor=booking.user
        )
    assert booking.documents.count() == 1


def test_a_bad_replacement_keeps_the_document_sent_before():
    facility = open_facility()
    letter = requirement(facility)
    booking = send(facility, {letter.pk: pdf_upload()})
    before = booking.documents.get()

    with pytest.raises(services.DocumentsRefused):
        services.document_attach(
            booking=booking,
            requirement_id=letter.pk,
            upload=upload(b"<html></html>", "surat.pdf"),
            actor=booking.user,
        )

    assert list(booking.documents.all()) == [before]
    assert storages["private"].exists(before.file_name)


# --- Forgetting ----------------------------------------------------------------------------


def test_deleting_the_account_deletes_its_bookings_documents_and_files(
    django_capture_on_commit_callbacks,
):
    facility = open_facility()
    letter = requirement(facility)
    resident = UserFactory()
    booking = send(facility, {letter.pk: pdf_upload()}, user=resident)
    file_name = booking.documents.get().file_name
    kept = send(facility, {letter.pk: pdf_upload()}, start=start_in(days=4))

    with django_capture_on_commit_callbacks(execute=True):
        account_delete(user=resident)

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED and booking.user is None
    assert not BookingDocument.objects.filter(booking=booking).exists()
    assert not storages["private"].exists(file_name)
    assert kept.documents.count() == 1  # another resident's stay


def test_a_rolled_back_deletion_keeps_the_file():
    from django.db import transaction

    facility = open_facility()
    letter = requirement(facility)
    booking = send(facility, {letter.pk: pdf_upload()})
    file_name = booking.documents.get().file_name

    with pytest.raises(RuntimeError):
        with transaction.atomic():
            services.documents_delete_of_booking(booking=booking)
            raise RuntimeError("changed my mind")

    assert booking.documents.count() == 1
    assert storages["private"].exists(file_name)
