"""The booking path on a small phone (360 x 740): nothing scrolls sideways, and full-page
screenshots land in test-artifacts/ for a human to look at."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    booking_day,
    check_picked_slot,
    fill_booking_form,
    horizontal_overflow,
    pick_slot,
    sign_in,
    t,
)

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def assert_fits(page, name):
    sizes = horizontal_overflow(page)
    assert sizes["scrollWidth"] <= sizes["innerWidth"], f"{name} scrolls sideways: {sizes}"


@pytest.fixture
def phone(new_context, resident):
    page = new_context(**PHONE).new_page()
    sign_in(page, resident.email)  # signed in: the header is at its widest
    return page


def test_home_facility_and_booking_form_fit_a_phone(phone, balai_rakyat, artifacts):
    phone.goto("/")
    expect(phone.get_by_role("link", name="Balai Rakyat Beji")).to_be_visible()
    assert_fits(phone, "home")
    phone.screenshot(path=artifacts / "phone-360-home.png", full_page=True)

    phone.get_by_role("link", name="Balai Rakyat Beji").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Balai Rakyat Beji")
    assert_fits(phone, "facility page")
    phone.screenshot(path=artifacts / "phone-360-facility.png", full_page=True)

    pick_slot(phone, balai_rakyat, booking_day(), "10:00")
    purpose = phone.get_by_label(t("Purpose of the booking"))
    expect(purpose).to_be_visible()
    assert_fits(phone, "booking form")
    # Every box to type in spans the form, an easy target for a thumb (the phone number too).
    width = purpose.bounding_box()["width"]
    for name in ("Expected attendees", "Organisation (optional)", "Contact phone"):
        assert phone.get_by_label(t(name)).bounding_box()["width"] == width, name
    phone.screenshot(path=artifacts / "phone-360-booking-form.png", full_page=True)


def test_the_booking_summary_fits_a_phone(phone, balai_rakyat, artifacts):
    day = booking_day()
    phone.goto(f"/fasilitas/{balai_rakyat.slug}/")
    pick_slot(phone, balai_rakyat, day, "10:00")
    check_picked_slot(phone, day, "10:00")
    fill_booking_form(phone, purpose="Posyandu Melati RW 07 Kelurahan Beji Timur")
    phone.get_by_role("button", name=t("Check and continue")).click()

    expect(phone.get_by_role("heading", level=1)).to_have_text(t("Check your booking"))
    assert_fits(phone, "booking summary")
    phone.screenshot(path=artifacts / "phone-360-booking-summary.png", full_page=True)
