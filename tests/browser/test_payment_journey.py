"""Retribusi in a real browser: a resident books a priced hall choosing a class and an add-on,
checks the itemised price, sends it (approved at once), pays the invoice by QRIS through the
simulator gateway's page and finds the receipt on the booking page; and the check and pay
pages on a 360 px phone, with screenshots in test-artifacts/ for a human to look at."""

import re

import pytest
from playwright.sync_api import expect

from bookings.models import Booking, BookingStatus
from payments.models import InvoiceState, Payment
from tests.browser.helpers import (
    booking_day,
    check_picked_slot,
    fill_booking_form,
    horizontal_overflow,
    pick_slot,
    sign_in,
    t,
)
from tests.browser.test_accessibility import blocking_violations
from tests.factories import AddOnFactory, priced_facility

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def aula(transactional_db):
    """A hall approved at once, with the default tariffs (sosial Rp 50.000, komersial
    Rp 150.000 per hour, gratis) and a sound system to borrow at Rp 75.000."""
    facility = priced_facility(
        name="Gedung Serbaguna Sawangan",
        slug="gedung-serbaguna-sawangan",
        kecamatan="sawangan",
        capacity=80,
        approval="auto",
        house_rules="Jaga kebersihan.",
    )
    AddOnFactory(
        community=facility.community,
        name="Sound system",
        description="Dua speaker aktif dan dua mikrofon",
        price=75_000,
        stock=2,
        offered_at=[facility],
    )
    return facility


def assert_fits(page, name):
    sizes = horizontal_overflow(page)
    assert sizes["scrollWidth"] <= sizes["innerWidth"], f"{name} scrolls sideways: {sizes}"


def book_two_hours_komersial_with_sound(page, facility, purpose="Bazar UMKM Sawangan"):
    """From the facility page: a free slot, two hours, the commercial class, one sound
    system; then "Check and continue"."""
    day = booking_day()
    pick_slot(page, facility, day, "10:00")
    check_picked_slot(page, day, "10:00")
    page.get_by_label(t("Length")).select_option("2")
    page.get_by_role("radio", name=re.compile(re.escape(t("Commercial")))).check()
    page.get_by_label("Sound system").fill("1")
    fill_booking_form(page, purpose=purpose, attendees="60")
    page.get_by_role("button", name=t("Check and continue")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Check your booking"))


def test_book_with_a_class_and_an_add_on_pay_by_qris_and_see_the_receipt(
    page, resident, aula, artifacts
):
    sign_in(page, resident.email)

    # The facility page says what it costs, class by class, and what can be borrowed.
    page.goto(f"/fasilitas/{aula.slug}/")
    tariffs = page.locator("section.tariffs")
    expect(tariffs).to_contain_text("Rp 150.000")
    expect(tariffs).to_contain_text("Sound system")

    # The form asks the class with its rules, and the add-on; the check page itemises.
    book_two_hours_komersial_with_sound(page, aula)
    lines = page.locator("table.price-lines")
    expect(lines).to_contain_text("2 × Rp 150.000")
    expect(lines).to_contain_text("Rp 300.000")
    expect(lines).to_contain_text("1 × Rp 75.000")
    expect(lines.locator("tfoot")).to_contain_text("Rp 375.000")
    expect(page.locator(".price-note")).to_contain_text("Rp 375.000")
    page.screenshot(path=artifacts / "payment-check-page.png", full_page=True)
    assert not Booking.objects.exists()
    page.get_by_role("button", name=t("Send booking request")).click()

    # Approved at once: the booking page shows the lines and the invoice to pay.
    booking = Booking.objects.get()
    assert (booking.status, booking.tariff_class, booking.price_total) == (
        BookingStatus.APPROVED,
        "komersial",
        375_000,
    )
    expect(page).to_have_url(re.compile(f"/booking-saya/{booking.reference}/$"))
    invoice_section = page.locator("section.invoice")
    expect(invoice_section).to_contain_text(booking.invoice.number)
    expect(invoice_section).to_contain_text("Rp 375.000")
    expect(invoice_section).to_contain_text("WIB")

    # Pay by QRIS: the code is drawn on the page; the simulator plays the bank.
    page.get_by_role("button", name=t("Pay with QRIS")).click()
    expect(page.locator("figure.qr svg")).to_be_visible()
    page.screenshot(path=artifacts / "payment-qris.png", full_page=True)
    page.get_by_role("link", name=t("Open the payment simulator")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Payment simulator"))
    expect(page.locator("dl.summary")).to_contain_text("Rp 375.000")
    page.screenshot(path=artifacts / "payment-simulator.png", full_page=True)
    page.get_by_role("button", name=t("Pay"), exact=True).click()

    # Back on the booking page: the receipt.
    expect(page).to_have_url(re.compile(f"/booking-saya/{booking.reference}/$"))
    payment = Payment.objects.get()
    receipt = page.locator(".receipt")
    expect(receipt).to_contain_text(payment.receipt_number)
    expect(receipt).to_contain_text("Rp 375.000")
    expect(receipt).to_contain_text(t("QRIS"))
    expect(page.get_by_role("button", name=t("Pay with QRIS"))).to_have_count(0)
    page.screenshot(path=artifacts / "payment-receipt-on-booking.png", full_page=True)
    booking.invoice.refresh_from_db()
    assert booking.invoice.state == InvoiceState.PAID

    # The printable receipt.
    page.get_by_role("link", name=t("Printable receipt")).click()
    expect(page.locator(".receipt-print")).to_contain_text(payment.receipt_number)
    expect(page.locator(".receipt-print")).to_contain_text(booking.reference)
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    page.screenshot(path=artifacts / "payment-receipt-print.png", full_page=True)


def test_the_check_and_pay_pages_fit_a_phone(new_context, resident, aula, artifacts):
    phone = new_context(**PHONE).new_page()
    sign_in(phone, resident.email)  # signed in: the header is at its widest
    phone.goto(f"/fasilitas/{aula.slug}/")
    assert_fits(phone, "facility page with tariffs")
    phone.screenshot(path=artifacts / "phone-360-facility-tariffs.png", full_page=True)

    pick_slot(phone, aula, booking_day(), "10:00")
    assert_fits(phone, "booking form with classes and add-ons")
    phone.screenshot(path=artifacts / "phone-360-booking-form-priced.png", full_page=True)
    phone.goto(f"/fasilitas/{aula.slug}/")
    book_two_hours_komersial_with_sound(
        phone, aula, purpose="Bazar UMKM dan pentas seni Kelurahan Pasir Putih"
    )
    assert_fits(phone, "check page")
    phone.screenshot(path=artifacts / "phone-360-check-page.png", full_page=True)

    phone.get_by_role("button", name=t("Send booking request")).click()
    assert_fits(phone, "booking page with invoice")
    phone.screenshot(path=artifacts / "phone-360-booking-invoice.png", full_page=True)

    phone.get_by_role("button", name=t("Pay with QRIS")).click()
    qr = phone.locator("figure.qr svg")
    expect(qr).to_be_visible()
    assert_fits(phone, "QRIS pay page")
    box = qr.bounding_box()
    assert box["width"] >= 200 and box["width"] == pytest.approx(box["height"], abs=1)
    phone.screenshot(path=artifacts / "phone-360-pay-qris.png", full_page=True)

    phone.get_by_role("button", name=t("Virtual account")).click()
    expect(phone.locator(".va-number")).to_be_visible()
    assert_fits(phone, "virtual account pay page")
    phone.screenshot(path=artifacts / "phone-360-pay-va.png", full_page=True)


def test_the_priced_pages_have_no_serious_accessibility_violations(page, resident, aula):
    sign_in(page, resident.email)
    found = {}
    page.goto(f"/fasilitas/{aula.slug}/")
    found["facility page with tariffs"] = blocking_violations(page)
    page.goto(f"/fasilitas/{aula.slug}/pesan/?mulai={booking_day().isoformat()}T10:00")
    found["booking form with classes and add-ons"] = blocking_violations(page)
    page.get_by_label("Sound system").fill("-1")
    page.get_by_role("button", name=t("Check and continue")).click()
    page.locator(".tariff-classes .errorlist").wait_for()
    found["booking form with class and add-on errors"] = blocking_violations(page)

    page.goto(f"/fasilitas/{aula.slug}/")
    book_two_hours_komersial_with_sound(page, aula)
    found["check page"] = blocking_violations(page)
    page.get_by_role("button", name=t("Send booking request")).click()
    found["booking with invoice"] = blocking_violations(page)
    page.get_by_role("button", name=t("Pay with QRIS")).click()
    found["QRIS pay page"] = blocking_violations(page)
    page.get_by_role("link", name=t("Open the payment simulator")).click()
    found["simulator"] = blocking_violations(page)
    page.get_by_role("button", name=t("Pay"), exact=True).click()
    page.locator(".receipt").wait_for()
    found["booking with receipt"] = blocking_violations(page)
    page.get_by_role("link", name=t("Printable receipt")).click()
    found["printable receipt"] = blocking_violations(page)

    assert not {name: problems for name, problems in found.items() if problems}
