"""The installable app in a real Chromium at 360 px: a booking page the resident opened opens
again without a connection, with its reference and the permit's QR code (the ticket shown at
the venue); any other page offline is the offline page; signing out forgets the tickets. And
the facility page's map: static/js/app.js draws it with our own Leaflet when it scrolls into
view (tiles blocked: there is no network here, and the map must not wait for them)."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from bookings.models import BookingStatus
from tests.browser.helpers import PASSWORD, label, t
from tests.factories import BookingFactory, UserFactory

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def approved_booking(balai_rakyat):
    resident = UserFactory(email="siti@example.test")
    return BookingFactory(facility=balai_rakyat, user=resident, status=BookingStatus.APPROVED)


def sign_in(page, email: str) -> None:
    """Sign in on allauth's page, whatever the header shows of it afterwards."""
    page.goto("/akun/login/")
    page.get_by_label(label("E-?mail")).fill(email)
    page.get_by_label(label("Sandi|Kata sandi|Password")).fill(PASSWORD)
    page.get_by_role("button", name=label("Masuk|Sign in")).click()
    expect(page).not_to_have_url(re.compile(r"/akun/login/"))


def sign_out(page) -> None:
    """The header's sign-out button, inside its menu when it has one."""
    menu = page.locator("details.site-menu > summary")
    if menu.count():
        menu.click()
    page.get_by_role("button", name=t("Sign out")).click()
    expect(page.get_by_role("button", name=t("Sign out"))).to_have_count(0)


def controlled_by_the_service_worker(page) -> None:
    """Wait until the worker is active and controls the page (clients.claim() on activate)."""
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    page.wait_for_function("navigator.serviceWorker.controller !== null")


def qr_shown(page) -> bool:
    return page.evaluate(
        "() => { const img = document.querySelector('.permit-qr img');"
        " return !!img && img.complete && img.naturalWidth > 0; }"
    )


def test_an_opened_booking_opens_offline_with_its_ticket(new_context, approved_booking, artifacts):
    booking = approved_booking
    context = new_context(viewport=PHONE, service_workers="allow")
    page = context.new_page()
    sign_in(page, booking.user.email)
    page.goto(f"/booking-saya/{booking.reference}/")
    controlled_by_the_service_worker(page)
    page.reload()  # now through the worker, which keeps the page and its QR code
    page.wait_for_function("document.querySelector('.permit-qr img').complete")
    assert qr_shown(page)

    context.set_offline(True)
    page.reload()

    heading = t("Booking %(reference)s") % {"reference": booking.reference}
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.get_by_text(booking.facility.name).first).to_be_visible()
    page.wait_for_function("document.querySelector('.permit-qr img').complete")
    assert qr_shown(page), "the permit's QR code is part of the offline ticket"
    page.screenshot(path=artifacts / "offline-ticket-360.png", full_page=True)

    # A page never opened: the offline page, in Indonesian, listing the kept ticket.
    page.goto("/kalender/")
    expect(page.get_by_role("heading", level=1)).to_have_text(t("You are offline"))
    expect(page.get_by_role("link", name=booking.reference)).to_be_visible()
    page.screenshot(path=artifacts / "offline-page-360.png", full_page=True)

    # Signing out forgets the tickets: the next person on this phone sees none.
    context.set_offline(False)
    page.goto("/")
    sign_out(page)
    context.set_offline(True)
    page.goto(f"/booking-saya/{booking.reference}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(t("You are offline"))
    context.close()


def test_the_map_is_drawn_by_our_leaflet_when_scrolled_into_view(
    new_context, balai_rakyat, artifacts
):
    balai_rakyat.latitude = Decimal("-6.371234")
    balai_rakyat.longitude = Decimal("106.826789")
    balai_rakyat.save()
    context = new_context(viewport=PHONE)
    tiles = []

    def block_tile(route):
        tiles.append(route.request.url)
        route.abort()

    context.route(re.compile(r"^https://tile\.openstreetmap\.org/"), block_tile)
    page = context.new_page()
    leaflet_requests = []
    page.on("request", lambda r: "vendor/leaflet/" in r.url and leaflet_requests.append(r.url))
    page.goto(f"/fasilitas/{balai_rakyat.slug}/")
    page.wait_for_load_state("load")
    assert leaflet_requests == [], "Leaflet waits until the map comes into view"

    page.locator(".facility-map").scroll_into_view_if_needed()

    canvas = page.locator("#facility-map")
    expect(canvas).to_have_class(re.compile(r"\bleaflet-container\b"))
    expect(canvas).to_have_attribute("data-map-ready", "true")
    expect(canvas.locator(".leaflet-tile-pane")).to_have_count(1)
    expect(canvas.locator(".leaflet-control-attribution")).to_contain_text("OpenStreetMap")
    assert all("/static/vendor/leaflet/" in url for url in leaflet_requests)
    assert tiles, "tiles are asked from OpenStreetMap (and blocked here)"
    # The fallback stays beside the map.
    expect(page.get_by_role("link", name=t("Open in a maps app"))).to_be_visible()
    page.screenshot(path=artifacts / "facility-map-360.png")
    context.close()
