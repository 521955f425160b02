"""The permit in a real browser: a resident sends a request with the request letter the hall
asks for (surat permohonan, a PDF) and reads when the city will decide; Pemkot staff approve
it in the admin, where the letter can be opened; the resident downloads the usage permit
letter; on the day, the hall's organizer opens the URL of the letter's QR code, signed in,
and checks the group in."""

import datetime as dt
import io
import re
from urllib.parse import urlsplit

import pypdf
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from bookings.models import Booking, BookingEvent, BookingStatus
from documents.models import BookingDocument, DocumentRequirement
from haidepok import clock
from tests.admin_support import pemkot_staff
from tests.browser.helpers import (
    PASSWORD,
    booking_day,
    check_picked_slot,
    fill_booking_form,
    pick_slot,
    sign_in,
    t,
)
from tests.documents_support import pdf_bytes
from tests.factories import organizer_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hall(balai_rakyat):
    """Balai Rakyat Beji, decided by Pemkot staff, asking for a request letter."""
    balai_rakyat.approval = "city"
    balai_rakyat.save()
    DocumentRequirement.objects.create(
        facility=balai_rakyat,
        name="Surat permohonan",
        description="Ditandatangani ketua RT/RW.",
    )
    return balai_rakyat


def qr_url_of(pdf: bytes) -> str:
    """What the permit letter's QR code says, read back from the image in the PDF."""
    [page] = pypdf.PdfReader(io.BytesIO(pdf)).pages
    for picture in page.images:
        found = zxingcpp.read_barcodes(Image.open(io.BytesIO(picture.data)).convert("L"))
        if found:
            return found[0].text
    raise AssertionError("no QR code in the letter")


def test_upload_a_letter_approve_download_the_permit_and_check_in(
    new_context, resident, hall, artifacts
):
    day = booking_day()

    # The resident: the facility page says which document a request needs.
    resident_page = new_context().new_page()
    sign_in(resident_page, resident.email)
    resident_page.goto(f"/fasilitas/{hall.slug}/")
    expect(resident_page.locator("main")).to_contain_text("Surat permohonan")
    pick_slot(resident_page, hall, day, "10:00")
    check_picked_slot(resident_page, day, "10:00")
    fill_booking_form(resident_page, purpose="Musyawarah RW 07", attendees="40")
    resident_page.get_by_role("button", name=t("Check and continue")).click()

    # The check page asks for the letter: sent without it, nothing is booked.
    upload = resident_page.get_by_label(re.compile("Surat permohonan"))
    expect(upload).to_be_visible()
    upload.set_input_files(
        files=[
            {"name": "surat-permohonan.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}
        ]
    )
    resident_page.screenshot(path=artifacts / "permit-check-page.png", full_page=True)
    resident_page.get_by_role("button", name=t("Send booking request")).click()

    booking = Booking.objects.get(facility=hall)
    expect(resident_page).to_have_url(re.compile(f"/booking-saya/{booking.reference}/$"))
    # The service standard: the latest day of the decision, in Indonesian.
    expect(resident_page.locator("main")).to_contain_text("paling lambat")
    expect(resident_page.locator("#dokumen")).to_contain_text("surat-permohonan.pdf")
    document = BookingDocument.objects.get(booking=booking)
    assert document.pages == 1

    # Pemkot staff: the request in the admin, its letter downloadable there; approve it.
    staff = pemkot_staff(full_name="Dewi Lestari")
    staff_page = new_context().new_page()
    staff_page.goto("/admin/login/")
    staff_page.locator("#id_username").fill(staff.email)
    staff_page.locator("#id_password").fill(PASSWORD)
    staff_page.locator("input[type=submit]").click()
    staff_page.goto(f"/admin/bookings/booking/{booking.pk}/change/")
    documents = staff_page.locator(".inline-group").filter(has_text="surat-permohonan.pdf")
    with staff_page.expect_download() as seen:
        documents.get_by_role("link", name=t("Download")).click()
    assert seen.value.suggested_filename.endswith(".pdf")
    staff_page.locator(".hd-decision-approve").click()
    expect(staff_page.locator(".messagelist .success")).to_contain_text(booking.reference)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.APPROVED

    # The resident downloads the permit letter; its QR code names the verification page.
    resident_page.reload()
    with resident_page.expect_download() as seen:
        resident_page.get_by_role("link", name=t("Download the permit letter (PDF)")).click()
    pdf = open(seen.value.path(), "rb").read()
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "Balai Rakyat Beji" in " ".join(text.split())
    verification = qr_url_of(pdf)
    assert verification.endswith(f"/verifikasi/{booking.permit_code}/")

    # The day comes: the group arrives a quarter of an hour before the start.
    start = clock.now() + dt.timedelta(minutes=15)
    Booking.objects.filter(pk=booking.pk).update(
        start=start,
        end=start + dt.timedelta(hours=1),
        blocked_until=start + dt.timedelta(hours=1, minutes=hall.buffer_minutes),
    )

    # The organizer scans the QR code (opens its URL), signed in, and checks the group in.
    organizer = organizer_of(hall)
    keeper = new_context().new_page()
    sign_in(keeper, organizer.email)
    keeper.goto(urlsplit(verification).path)
    expect(keeper.locator(".verification-valid")).to_be_visible()
    expect(keeper.locator("main")).not_to_contain_text(resident.full_name)
    keeper.screenshot(path=artifacts / "permit-verification.png", full_page=True)
    keeper.get_by_role("button", name=t("Check in")).click()
    expect(keeper.locator("main")).to_contain_text(organizer.full_name)

    booking.refresh_from_db()
    assert booking.checked_in_by == organizer
    assert BookingEvent.objects.filter(
        booking=booking, kind=BookingEvent.Kind.CHECK_IN, actor=organizer
    ).exists()
