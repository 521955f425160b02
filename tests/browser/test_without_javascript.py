"""The core booking path needs no JavaScript: sign in, pick a slot, book, see the result."""

import re

import pytest
from playwright.sync_api import expect

from bookings.models import Booking
from tests.browser.helpers import (
    booking_day,
    check_picked_slot,
    fill_booking_form,
    pick_slot,
    sign_in,
    t,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_booking_works_with_javascript_disabled(new_context, balai_rakyat, resident):
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, resident.email)

    page.goto(f"/fasilitas/{balai_rakyat.slug}/")
    day = booking_day()
    pick_slot(page, balai_rakyat, day, "10:00")
    check_picked_slot(page, day, "10:00")
    fill_booking_form(page, purpose="Senam lansia", attendees="20")
    page.get_by_role("button", name=t("Check and continue")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Check your booking"))
    page.get_by_role("button", name=t("Send booking request")).click()

    booking = Booking.objects.get()
    assert booking.user == resident and booking.purpose == "Senam lansia"
    expect(page).to_have_url(re.compile(f"/booking-saya/{booking.reference}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(booking.reference)
    expect(page.locator(".status")).to_have_text("Menunggu persetujuan")
