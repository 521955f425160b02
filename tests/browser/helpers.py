"""What the browser tests share: texts as the site prints them and steps of the journeys."""

import datetime as dt
import re

from django.utils import translation
from playwright.sync_api import Page, expect

from haidepok import clock

PASSWORD = "rahasia-depok-123"


def t(message: str, language: str = "id") -> str:
    """What a resident reads for `message` (Indonesian by default), from the catalogues the
    live server uses: the locators follow locale/id/LC_MESSAGES/django.po as it grows."""
    with translation.override(language):
        return translation.gettext(message)


def label(pattern: str) -> re.Pattern:
    """A label or button as allauth prints it (Django's label suffix ":" allowed)."""
    return re.compile(rf"^\s*({pattern}):?\s*$", re.I)


# --- Steps ---------------------------------------------------------------------------------


def booking_day(days_ahead: int = 3) -> dt.date:
    """A day far enough ahead (lead time 24 hours, cancel up to 24 hours before) that its
    slots are free and a booking on it can still be cancelled."""
    return clock.local_now().date() + dt.timedelta(days=days_ahead)


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in on allauth's page (its labels come from allauth's own Indonesian catalogue)."""
    page.goto("/akun/login/")
    page.get_by_label(label("E-?mail")).fill(email)
    page.get_by_label(label("Sandi|Kata sandi|Password")).fill(password)
    page.get_by_role("button", name=label("Masuk|Sign in")).click()
    # Signed in: the header's "Sign out" is there, hidden in its menu while that is closed.
    expect(page.get_by_role("button", name=t("Sign out"), include_hidden=True)).to_have_count(1)


def open_menu(page: Page) -> None:
    """Open the header's menu (a <details>), when the header has one and it is closed."""
    menu = page.locator("details.site-menu")
    if menu.count() and menu.get_attribute("open") is None:
        menu.locator("> summary").click()


def strip_day(page: Page, day: dt.date):
    """The facility page's link to `day` in its strip of days."""
    return page.locator(f'a.pick-day[href^="?tanggal={day.isoformat()}"]')


def show_day(page: Page, day: dt.date) -> None:
    """On a facility page, page the strip of days forward until it shows `day`, and choose it
    (works with and without JavaScript: the links load the page, or picker.js swaps it)."""
    for _ in range(60):
        if strip_day(page, day).count():
            break
        page.get_by_role("link", name=t("Later days")).click()
        expect(page.locator("[data-picker]")).not_to_have_attribute("aria-busy", "true")
    link = strip_day(page, day)
    if link.get_attribute("aria-current") != "date":
        link.click()
    expect(strip_day(page, day)).to_have_attribute("aria-current", "date")


def free_slot(page: Page, day: dt.date, time: str = "10:00"):
    """The picker's link that books the free time `time` (HH:MM, WIB) on `day`."""
    return page.locator(f'a.pick-time.free[href$="mulai={day.isoformat()}T{time}"]')


def pick_slot(page: Page, facility, day: dt.date, time: str = "10:00") -> None:
    """From the facility page, choose the day, then the free time, and land on the booking
    form."""
    show_day(page, day)
    free_slot(page, day, time).click()
    expect(page).to_have_url(re.compile(f"/fasilitas/{facility.slug}/pesan/[?]mulai="))


def check_picked_slot(page: Page, day: dt.date, time: str = "10:00") -> None:
    """The booking form shows the slot that was picked in the week view (the page is loaded:
    no need to wait long for the values)."""
    expect(page.get_by_label(t("Start time (WIB)"))).to_have_value(time, timeout=1000)
    expect(page.get_by_label(t("Date"), exact=True)).to_have_value(day.isoformat(), timeout=1000)


def fill_booking_form(page: Page, purpose="Rapat RW 05", attendees="30", phone=None) -> None:
    page.get_by_label(t("Purpose of the booking")).fill(purpose)
    page.get_by_label(t("Expected attendees")).fill(attendees)
    if phone is not None:
        page.get_by_label(t("Contact phone")).fill(phone)
    page.get_by_label(t("I have read and agree to the house rules.")).check()


def horizontal_overflow(page: Page) -> dict:
    """How wide the page is against the viewport (scrolling sideways is a layout bug)."""
    return page.evaluate(
        "({scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth})"
    )
