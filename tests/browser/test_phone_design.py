"""The design at 360x740, a resident's phone: a one-row header whose menu works without
JavaScript, the first facility in the first screen, summaries whose values are never crushed
nor broken inside a word, and axe clean."""

import pytest
from playwright.sync_api import expect

from communities.models import Membership
from tests.browser.helpers import PASSWORD, booking_day, fill_booking_form, label, t
from tests.browser.test_accessibility import blocking_violations
from tests.factories import BookingFactory, CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 360, "height": 740}

# For each summary value: its width, and whether any word of it was split across two lines
# (a word's client rects are more than one when it wraps inside itself).
MEASURE_VALUES = """() => [...document.querySelectorAll('dl.summary dd')].map(dd => {
  const walker = document.createTreeWalker(dd, NodeFilter.SHOW_TEXT);
  let broken = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const re = /\\S+/g; let match;
    while ((match = re.exec(node.data))) {
      const range = document.createRange();
      range.setStart(node, match.index); range.setEnd(node, match.index + match[0].length);
      const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      if (lines.size > 1) broken.push(match[0]);
    }
  }
  return {text: dd.textContent.trim(), width: dd.getBoundingClientRect().width, broken,
          breakAll: getComputedStyle(dd).wordBreak === 'break-all'};
})"""


def assert_values_readable(page) -> None:
    values = page.evaluate(MEASURE_VALUES)
    assert values
    for value in values:
        assert value["width"] >= 120, value
        assert not value["broken"], value
        assert not value["breakAll"], value


def test_header_is_one_row_and_its_menu_works_without_javascript(new_context, balai_rakyat):
    page = new_context(viewport=PHONE, java_script_enabled=False).new_page()
    page.goto("/")
    header = page.locator(".site-header").bounding_box()
    assert header["height"] <= 64
    menu_link = page.locator(".site-menu").get_by_role("link", name=t("Calendar"))
    expect(menu_link).to_be_hidden()
    page.locator(".site-menu > summary").click()
    expect(menu_link).to_be_visible()
    page.locator(".site-menu > summary").click()
    expect(menu_link).to_be_hidden()


def test_kelola_only_for_who_manages_something(page, balai_rakyat, resident):
    page.set_viewport_size(PHONE)
    sign_in_via_menu(page, resident.email)
    page.locator(".site-menu > summary").click()
    expect(page.get_by_role("link", name=t("My bookings"))).to_be_visible()
    expect(page.get_by_role("link", name=t("Manage"))).to_have_count(0)

    organizer = UserFactory(full_name="Pak Organizer")
    MembershipFactory(user=organizer, community=CommunityFactory(), role=Membership.Role.ORGANIZER)
    page.context.clear_cookies()
    sign_in_via_menu(page, organizer.email)
    page.locator(".site-menu > summary").click()
    expect(page.get_by_role("link", name=t("Manage"))).to_be_visible()


def sign_in_via_menu(page, email: str) -> None:
    """helpers.sign_in's steps; it expects "Sign out" visible, which the closed menu hides."""
    page.goto("/akun/login/")
    page.get_by_label(label("E-?mail")).fill(email)
    page.get_by_label(label("Sandi|Kata sandi|Password")).fill(PASSWORD)
    page.get_by_role("button", name=label("Masuk|Sign in")).click()
    expect(page.get_by_role("button", name=t("Sign out"), include_hidden=True)).to_have_count(1)


def test_first_facility_is_in_the_first_screen(page, balai_rakyat, artifacts):
    page.set_viewport_size(PHONE)
    page.goto("/")
    card = page.locator(".facility-card").first.bounding_box()
    assert card["y"] < PHONE["height"]
    name = page.locator(".facility-card .facility-name").first.bounding_box()
    assert name["y"] + name["height"] <= PHONE["height"]
    page.screenshot(path=artifacts / "phone-catalog.png")
    assert not blocking_violations(page)


def test_check_page_and_booking_keep_their_values_readable(page, balai_rakyat, resident, artifacts):
    balai_rakyat.name = "Balai Rakyat Kelurahan Pondok Cina Kecamatan Beji"
    balai_rakyat.save()
    page.set_viewport_size(PHONE)
    sign_in_via_menu(page, resident.email)
    page.goto(f"/fasilitas/{balai_rakyat.slug}/pesan/?mulai={booking_day().isoformat()}T10:00")
    fill_booking_form(page, purpose="Musyawarah warga RW 05 tentang kebersihan lingkungan")
    page.get_by_role("button", name=t("Check and continue")).click()
    expect(page.get_by_role("heading", name=t("Check your booking"))).to_be_visible()
    page.screenshot(path=artifacts / "phone-check.png", full_page=True)
    assert_values_readable(page)
    assert not blocking_violations(page)

    booking = BookingFactory(facility=balai_rakyat, user=resident, purpose="Rapat RW 05")
    page.goto(f"/booking-saya/{booking.reference}/")
    page.screenshot(path=artifacts / "phone-booking.png", full_page=True)
    assert_values_readable(page)
    assert not blocking_violations(page)
