"""The usage permit letter (Surat Izin Pemakaian): its content, its QR code, who may download
it, and a machine without Pango."""

import sys

import pytest
import zxingcpp
from django.core import mail

from bookings import services
from bookings.models import Notification
from bookings.outbox import delivery
from facilities.models import Facility
from permits import letters
from tests.factories import (
    fast_password_hashing,  # noqa: F401 (a fixture)
)
from tests.permits_support import (
    CONTACT_PHONE,
    NOW,
    RESIDENT,
    approve,
    pdf_reader,
    pdf_text,
    permit_cast,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]


@pytest.fixture
def cast():
    return permit_cast()


def own_url(booking):
    return f"/booking-saya/{booking.reference}/surat-izin.pdf"


def managed_url(booking):
    return f"/kelola/booking/{booking.reference}/surat-izin.pdf"


def download(client, user, url):
    client.force_login(user)
    return client.get(url)


# --- What the letter says ---------------------------------------------------------------------


def test_the_letter_names_the_facility_time_purpose_person_rules_and_decision(client, cast):
    booking = approve(cast)

    response = download(client, cast.resident, own_url(booking))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"surat-izin-{booking.reference}.pdf" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    text = pdf_text(response.content)
    assert "Surat Izin Pemakaian".upper() in text.upper()
    assert f"SIP/{booking.reference}/II/2027" in text  # decided in February 2027
    for expected in (
        "Balai Rakyat Kukusan",
        "Jl. Kukusan Raya No. 1",
        "Kukusan",
        "Beji",
        # WIB, in Indonesian (Django's catalogue names the day and the month).
        "Senin, 1 Maret 2027, 09.00–12.00 WIB",
        "Pelatihan UMKM Kukusan",
        "45",
        RESIDENT["full_name"],
        "Karang Taruna Kukusan",
        CONTACT_PHONE,
        "Jaga kebersihan.",
        "Dilarang merokok di dalam gedung.",
        # Who decided and when.
        "Dewi Petugas",
        "Sabtu, 20 Februari 2027 10.00 WIB",
    ):
        assert expected in text, expected


def test_an_organizer_s_decision_names_them_and_their_community(client):
    cast = permit_cast(approval=Facility.Approval.COMMUNITY)
    booking = approve(cast, actor=cast.organizer)

    text = pdf_text(download(client, cast.organizer, managed_url(booking)).content)

    assert "Pak Joko Pengurus" in text
    assert cast.facility.community.name in text


def test_an_automatic_approval_says_so(client):
    cast = permit_cast(approval=Facility.Approval.AUTO)
    booking = cast.booking
    assert booking.status == "approved"

    text = pdf_text(download(client, cast.resident, own_url(booking)).content)

    # "Approved automatically when it was requested ...", in Indonesian.
    assert "otomatis" in text.lower()
    assert "Dewi Petugas" not in text


def test_the_letter_is_in_the_resident_s_language(client):
    cast = permit_cast(language="en")
    booking = approve(cast)

    text = pdf_text(download(client, cast.staff, managed_url(booking)).content)

    assert "USAGE PERMIT LETTER" in text.upper()
    assert "Monday, 1 March 2027, 09.00–12.00 WIB" in text


def test_the_letter_shows_the_booking_as_it_is_now(client, cast):
    booking = approve(cast)
    client.force_login(cast.resident)
    before = pdf_text(client.get(own_url(booking)).content)
    cast.facility.house_rules = "Sound system sampai pukul 21.00."
    cast.facility.save()

    after = pdf_text(client.get(own_url(booking)).content)

    assert "Jaga kebersihan." in before
    assert "Sound system sampai pukul 21.00." in after
    assert "Jaga kebersihan." not in after


def test_the_qr_code_decodes_back_to_the_verification_url(client, cast, settings):
    settings.SITE_URL = "https://haidepok.depok.go.id"
    booking = approve(cast)

    response = download(client, cast.resident, own_url(booking))

    [picture] = [image for page in pdf_reader(response.content).pages for image in page.images]
    [code] = zxingcpp.read_barcodes(picture.image)
    expected = f"https://haidepok.depok.go.id/verifikasi/{booking.permit_code}/"
    assert code.format == zxingcpp.BarcodeFormat.QRCode
    assert code.text == expected
    # Printed under it too, for who has no scanner.
    assert expected in pdf_text(response.content).replace(" ", "")


def test_the_letter_fetches_nothing_but_its_own_data(cast):
    """Nothing in a letter makes the server open a connection or a file: the fetcher refuses
    every URL but the data: URIs the letter embeds."""
    import weasyprint

    fetcher = letters._fetcher(weasyprint)

    for url in ("http://169.254.169.254/latest/meta-data/", "file:///etc/passwd"):
        with pytest.raises(ValueError):
            fetcher(url)
    assert fetcher(letters.qr_data_uri("https://example.test/")) is not None


def test_markup_in_the_booking_is_printed_as_text(cast):
    booking = approve(cast)
    booking.purpose = '<img src="file:///etc/passwd"> Rapat <b>RW</b>'

    text = pdf_text(letters.letter_pdf(booking))

    assert '<img src="file:///etc/passwd"> Rapat <b>RW</b>' in text


# --- Who may download it ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "own", "managed"),
    [
        ("resident", 200, 200),
        ("organizer", 404, 200),
        ("staff", 404, 200),
        ("viewer", 404, 200),  # staff who may only view bookings in the admin
        ("other_organizer", 404, 404),
        ("stranger", 404, 404),
    ],
)
def test_who_may_download_the_letter(client, cast, who, own, managed):
    booking = approve(cast)
    user = getattr(cast, who)

    assert download(client, user, own_url(booking)).status_code == own
    assert download(client, user, managed_url(booking)).status_code == managed


def test_an_anonymous_visitor_is_sent_to_sign_in(client, cast):
    booking = approve(cast)

    for url in (own_url(booking), managed_url(booking)):
        response = client.get(url)
        assert response.status_code == 302
        assert "/akun/login/" in response["Location"]


def test_an_unknown_reference_is_a_404(client, cast):
    assert (
        download(client, cast.staff, "/kelola/booking/HD-XXXXXX/surat-izin.pdf").status_code == 404
    )


@pytest.mark.parametrize("status", ["requested", "rejected", "cancelled"])
def test_a_booking_that_is_not_approved_has_no_letter(client, cast, status):
    booking = cast.booking
    if status == "rejected":
        services.booking_reject(
            category="other", booking=booking, actor=cast.staff, reason="Penuh", now=NOW
        )
    elif status == "cancelled":
        approve(cast)
        services.booking_cancel(booking=booking, actor=cast.resident, now=NOW)

    response = download(client, cast.resident, own_url(booking))

    assert response.status_code == 404
    assert "application/pdf" not in response["Content-Type"]
    assert booking.reference in response.content.decode()


def test_a_completed_booking_keeps_its_letter(client, cast):
    booking = approve(cast)
    services.bookings_sweep(now=booking.end)

    response = download(client, cast.resident, own_url(booking))

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")


def test_without_weasyprint_the_download_is_a_clear_503(client, cast, monkeypatch):
    """WeasyPrint (or Debian's Pango under it) missing: importing it fails; the site runs on
    and the letter's page says so."""
    booking = approve(cast)
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # `import weasyprint` raises

    response = download(client, cast.resident, own_url(booking))

    assert response.status_code == 503
    assert "text/html" in response["Content-Type"]
    assert 'class="site-header"' in response.content.decode()


def test_without_pango_the_download_is_a_clear_503(client, cast, monkeypatch):
    booking = approve(cast)

    def no_pango():
        raise letters.LetterUnavailable("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(letters, "_weasyprint", no_pango)

    assert download(client, cast.resident, own_url(booking)).status_code == 503


# --- Where the pages and the mail offer it ---------------------------------------------------------


def test_the_resident_s_page_offers_the_letter_once_approved(client, cast):
    client.force_login(cast.resident)
    page_url = f"/booking-saya/{cast.booking.reference}/"

    assert own_url(cast.booking) not in client.get(page_url).content.decode()
    approve(cast)
    assert f'href="{own_url(cast.booking)}"' in client.get(page_url).content.decode()


def test_the_organizers_page_links_the_letter_and_the_verification(client):
    cast = permit_cast(approval=Facility.Approval.COMMUNITY)
    booking = approve(cast, actor=cast.organizer)
    client.force_login(cast.organizer)

    page = client.get(f"/kelola/booking/{booking.reference}/").content.decode()

    assert f'href="{managed_url(booking)}"' in page
    assert f'href="/verifikasi/{booking.permit_code}/"' in page


def test_the_approval_mail_links_the_letter(cast, settings):
    settings.SITE_URL = "https://haidepok.depok.go.id"
    Notification.objects.all().delete()
    booking = approve(cast)
    for pk in Notification.objects.values_list("pk", flat=True):
        delivery.deliver(pk)

    [message] = [m for m in mail.outbox if m.to == [RESIDENT["email"]]]
    link = f"https://haidepok.depok.go.id/booking-saya/{booking.reference}/surat-izin.pdf"
    assert link in message.body
    [(html, _mimetype)] = message.alternatives
    assert f'href="{link}"' in html


def test_a_download_costs_a_bounded_number_of_queries(client, cast, django_assert_max_num_queries):
    booking = approve(cast)
    client.force_login(cast.resident)
    client.get(own_url(booking))  # the session: warmed

    # The session and user, the booking with its facility, owner and decider, the approval.
    with django_assert_max_num_queries(6):
        response = client.get(own_url(booking))
    assert response.status_code == 200


def test_making_a_letter_leaves_the_photo_and_document_checks_strict(cast):
    """WeasyPrint, imported for the first letter, switches on Pillow's loading of truncated
    images for the whole process; the checks of uploads must still refuse half a JPEG."""
    import io

    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from documents.validation import check_document
    from facilities.photos import process_photo

    letters.letter_pdf(approve(cast))
    buffer = io.BytesIO()
    Image.effect_noise((800, 600), 64).convert("RGB").save(buffer, format="JPEG")
    half = buffer.getvalue()[: len(buffer.getvalue()) // 2]

    with pytest.raises(ValidationError):
        process_photo(SimpleUploadedFile("foto.jpg", half))
    with pytest.raises(ValidationError):
        check_document(SimpleUploadedFile("surat.jpg", half))
