"""The day-first picker on a small phone (360 x 740): the first free time within a screen and a
half, then a day, a time, a length (the minimum first) and a booking, with JavaScript and
without it."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from bookings.models import Booking
from haidepok import clock
from tests.browser.helpers import (
    booking_day,
    fill_booking_form,
    free_slot,
    show_day,
    sign_in,
    strip_day,
    t,
)
from tests.factories import BookingFactory, FacilityPhotoFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
# A screen and a half of the phone: where the first free time must start at the latest.
FIRST_SCREEN_AND_A_HALF = 1110


def at(day, hour):
    return clock.local_datetime(day, dt.time(hour))


def page_top(locator) -> float:
    """The element's top from the top of the page (not of the viewport)."""
    return locator.evaluate("element => element.getBoundingClientRect().top + window.scrollY")


def test_the_first_free_time_is_within_a_screen_and_a_half(
    new_context, balai_rakyat, resident, artifacts
):
    # What a real facility page shows above the picker: photos, a map.
    balai_rakyat.latitude, balai_rakyat.longitude = "-6.374100", "106.818300"
    balai_rakyat.save()
    FacilityPhotoFactory.create_batch(2, facility=balai_rakyat)
    page = new_context(**PHONE).new_page()
    sign_in(page, resident.email)  # signed in: the header is at its tallest
    page.goto(f"/fasilitas/{balai_rakyat.slug}/")

    first_free = page.locator("a.pick-time.free").first
    expect(first_free).to_be_visible()
    top = page_top(first_free)
    page.screenshot(path=artifacts / "picker-360-facility.png", full_page=True)
    assert top <= FIRST_SCREEN_AND_A_HALF, f"the first free time starts {top} px down"
    # The legend is above the times, and the chosen day says how many are free.
    assert page_top(page.locator(".pick-legend")) < top
    chosen = page.locator('a.pick-day[aria-current="date"]')
    expect(chosen).to_contain_text(re.compile(r"\d+"))
    # The strip scrolls inside itself, never the page sideways.
    sizes = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert sizes[0] <= sizes[1]


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_pick_a_day_a_time_and_a_length_then_book(
    new_context, balai_rakyat, resident, artifacts, javascript
):
    balai_rakyat.min_slots, balai_rakyat.max_slots, balai_rakyat.buffer_minutes = 2, 4, 0
    balai_rakyat.save()
    day = booking_day(9)  # in the second strip of days: "Later days" first
    # Booked from 14.00: from 10.00, two, three or four hours fit; from 12.00 only two.
    BookingFactory(facility=balai_rakyat, start=at(day, 14), end=at(day, 16))
    page = new_context(**PHONE, java_script_enabled=javascript).new_page()
    sign_in(page, resident.email)
    page.goto(f"/fasilitas/{balai_rakyat.slug}/")

    show_day(page, day)
    if javascript:  # swapped in place, the URL kept in the history
        expect(page).to_have_url(re.compile(rf"[?]tanggal={day.isoformat()}$"))
    expect(page.locator("span.pick-time.taken").first).to_contain_text("14.00")
    page.screenshot(path=artifacts / f"picker-360-day-{javascript and 'js' or 'nojs'}.png")
    free_slot(page, day, "12:00").click()

    length = page.get_by_label(t("Length"))
    expect(length).to_have_value("2")
    options = length.locator("option")
    expect(options).to_have_count(1)  # 12.00 to 14.00, the next booking
    expect(options).to_have_text(re.compile(r"^\s*2\b"))
    page.go_back()
    if javascript:
        # Back on the day that was chosen, not the default one.
        expect(strip_day(page, day)).to_have_attribute("aria-current", "date")
    free_slot(page, day, "10:00").click()
    length = page.get_by_label(t("Length"))
    expect(length).to_have_value("2")
    expect(length.locator("option")).to_have_count(3)
    length.select_option("3")
    fill_booking_form(page, purpose="Senam lansia", attendees="20")
    page.get_by_role("button", name=t("Check and continue")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Check your booking"))
    page.get_by_role("button", name=t("Send booking request")).click()

    booking = Booking.objects.get(user=resident)
    assert booking.start == at(day, 10) and booking.end == at(day, 13)
    expect(page).to_have_url(re.compile(f"/booking-saya/{booking.reference}/$"))
