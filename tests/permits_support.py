"""The cast of the permit's tests (tests/test_permit_letter.py, tests/test_verification.py,
tests/test_no_show_window.py): a hall decided by the city, its organizer, a resident's
approved booking, and everyone whose rights differ."""

import io
from types import SimpleNamespace

import pypdf

from bookings import services
from facilities.models import Facility
from tests.factories import (
    MembershipFactory,
    UserFactory,
    open_facility,
    organizer_of,
    request_booking,
    staff_with_permissions,
    wib,
)

NOW = wib(2027, 2, 20, 10)
START, END = wib(2027, 3, 1, 9), wib(2027, 3, 1, 12)  # a Monday morning

RESIDENT = {
    "email": "siti.rahma@example.test",
    "full_name": "Siti Rahmawati",
    "phone": "+62 811 9876 5432",
}
CONTACT_PHONE = "+62 813 1234 5678"


def permit_cast(*, approval=Facility.Approval.CITY, language="") -> SimpleNamespace:
    facility = open_facility(
        approval=approval,
        name="Balai Rakyat Kukusan",
        address="Jl. Kukusan Raya No. 1",
        kecamatan="beji",
        kelurahan="Kukusan",
        house_rules="Jaga kebersihan.\nDilarang merokok di dalam gedung.",
    )
    resident = UserFactory(**RESIDENT, language=language)
    cast = SimpleNamespace(
        facility=facility,
        resident=resident,
        organizer=organizer_of(facility, user=UserFactory(full_name="Pak Joko Pengurus")),
        other_organizer=MembershipFactory(user=UserFactory(full_name="Bu Lain")).user,
        stranger=UserFactory(full_name="Orang Lain"),
        staff=UserFactory(is_staff=True, full_name="Dewi Petugas"),
        viewer=staff_with_permissions("bookings.view_booking", full_name="Auditor"),
    )
    cast.booking = request_booking(
        facility,
        START,
        END,
        now=NOW,
        user=resident,
        attendees=45,
        purpose="Pelatihan UMKM Kukusan",
        organisation="Karang Taruna Kukusan",
        contact_phone=CONTACT_PHONE,
    )
    return cast


def approve(cast, actor=None):
    return services.booking_approve(booking=cast.booking, actor=actor or cast.staff, now=NOW)


def pdf_reader(content: bytes) -> pypdf.PdfReader:
    assert content.startswith(b"%PDF-")
    return pypdf.PdfReader(io.BytesIO(content))


def pdf_text(content: bytes) -> str:
    """The PDF's text, its whitespace (line breaks of the layout) made single spaces."""
    reader = pdf_reader(content)
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())
