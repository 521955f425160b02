"""The installable app and the site's face to the outside (haidepok/pwa.py): the manifest and its
icons, the service worker, the offline page, robots.txt, the sitemap, the sharing tags, the
share partial, the map's fallback and the ticket's QR code."""

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
import segno
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from PIL import Image

from bookings.models import BookingStatus
from communities.models import Community
from facilities import sharing
from haidepok import pwa
from permits import qr
from tests.factories import BookingFactory, FacilityFactory, FacilityPhotoFactory, UserFactory

pytestmark = pytest.mark.django_db

SITE = "https://haidepok.example.id"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


def static_path(url: str) -> Path:
    return Path(finders.find(url.removeprefix(settings.STATIC_URL)))


# --- The manifest and the icons --------------------------------------------------------------


def test_the_manifest_describes_an_installable_indonesian_app(client):
    response = client.get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["name"] == "Hai Depok"
    assert manifest["short_name"]
    assert manifest["lang"] == "id"
    assert manifest["start_url"] == "/" and manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#0b5d3b"  # --green in site.css
    # Indonesian, from the catalogue (the site's default language).
    assert manifest["description"] == "Pesan fasilitas publik Kota Depok dari ponsel Anda."


def test_the_manifest_icons_exist_with_the_sizes_they_claim(client):
    icons = client.get("/manifest.webmanifest").json()["icons"]

    sizes = {(icon["sizes"], icon["purpose"]) for icon in icons}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in icons:
        with Image.open(static_path(icon["src"])) as image:
            assert image.format == "PNG"
            assert "x".join(map(str, image.size)) == icon["sizes"]


def test_the_maskable_icon_fills_its_square():
    """A launcher crops a maskable icon to a circle: its corners must be painted."""
    with Image.open(finders.find("img/icon-maskable-512.png")) as image:
        assert image.convert("RGBA").getpixel((0, 0))[3] == 255


def test_every_page_links_the_manifest_theme_and_icon(client):
    html = client.get("/").content.decode()

    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert '<meta name="theme-color" content="#0b5d3b">' in html
    assert re.search(r'<link rel="apple-touch-icon" href="[^"]+apple-touch-icon\.png">', html)
    assert re.search(r'<script src="[^"]+js/app\.js" defer data-service-worker="/sw\.js">', html)


# --- The service worker ------------------------------------------------------------------------


def test_the_service_worker_is_javascript_at_the_root_and_revalidated_soon(client):
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    # At /sw.js its scope is the whole site; a short max-age lets a release arrive.
    assert "max-age=300" in response["Cache-Control"]
    script = response.content.decode()
    assert f'const VERSION = "{pwa.shell_version()}";' in script
    assert '"/offline/"' in script
    for prefix in ("/admin/", "/kelola/", "/api/", "/akun/"):
        assert f'"{prefix}"' in script
    assert '"/akun/logout/"' in script  # signing out drops the kept tickets


def test_the_shell_it_caches_exists():
    for name in pwa.SHELL_STATIC:
        assert finders.find(name), name


def test_the_cache_name_follows_the_shell_files(tmp_path, settings):
    """A release that changes a shell file renames the cache, so phones drop the old shell."""
    before = pwa.shell_version()
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "site.css").write_text("body { color: red; }")
    settings.STATICFILES_DIRS = [tmp_path, *settings.STATICFILES_DIRS]
    pwa.shell_version.cache_clear()
    try:
        assert pwa.shell_version() != before
    finally:
        pwa.shell_version.cache_clear()


def test_the_offline_page_is_indonesian_and_names_no_one(client):
    user = UserFactory(full_name="Siti Rahayu")
    client.force_login(user)

    response = client.get("/offline/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Anda sedang offline" in html
    assert "data-kept-tickets" in html


# --- robots.txt and the sitemap ----------------------------------------------------------------


def test_robots_keeps_crawlers_to_the_public_pages(client):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    for prefix in ("/admin/", "/kelola/", "/akun/", "/booking-saya/", "/api/", "/verifikasi/"):
        assert f"Disallow: {prefix}" in lines
    assert "Allow: /" in lines
    assert f"Sitemap: {SITE}/sitemap.xml" in lines


def test_the_sitemap_lists_the_public_pages_and_bookable_facilities_only(client):
    bookable = FacilityFactory(slug="balai-rakyat-beji")
    FacilityFactory(slug="belum-terbit", is_published=False)
    FacilityFactory(slug="komunitas-belum-diverifikasi", community__status=Community.Status.PENDING)

    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    locations = re.findall(r"<loc>([^<]+)</loc>", response.content.decode())
    assert sorted(locations) == sorted(
        [f"{SITE}/", f"{SITE}/kalender/", f"{SITE}/fasilitas/{bookable.slug}/"]
    )


# --- Sharing tags ------------------------------------------------------------------------------


def meta(html: str, attribute: str, name: str) -> str:
    found = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)"', html)
    assert found, name
    return found.group(1)


def assert_shareable(html: str, url: str) -> None:
    assert meta(html, "property", "og:url") == url
    assert meta(html, "property", "og:title")
    assert meta(html, "name", "description") == meta(html, "property", "og:description")
    assert meta(html, "property", "og:type") == "website"
    assert meta(html, "property", "og:image").startswith(SITE + "/")
    assert meta(html, "name", "twitter:card") == "summary_large_image"


def test_the_catalog_has_sharing_tags_with_absolute_urls(client):
    html = client.get("/?utm_source=wa").content.decode()

    assert_shareable(html, f"{SITE}/")
    assert meta(html, "property", "og:image") == f"{SITE}/static/img/share-default.png"
    assert "Pesan fasilitas publik Depok" in meta(html, "name", "description")


@pytest.mark.parametrize("path", ["/", "/kalender/", "/akun/login/", "/offline/"])
def test_every_page_has_one_description(client, path):
    """The shared pages their own; every other one the site's (Lighthouse asks each)."""
    html = client.get(path).content.decode()

    assert html.count('<meta name="description"') == 1


def test_the_default_share_image_is_1200_by_630():
    with Image.open(finders.find("img/share-default.png")) as image:
        assert image.size == (1200, 630)


def test_the_public_calendar_has_sharing_tags(client):
    html = client.get("/kalender/").content.decode()

    assert_shareable(html, f"{SITE}/kalender/")
    assert meta(html, "property", "og:title") == "Kalender publik · Hai Depok"


def test_the_facility_page_has_sharing_tags_and_no_personal_data(client):
    facility = FacilityFactory(name="Balai Rakyat Beji", slug="balai-rakyat-beji")
    client.force_login(UserFactory(email="siti@example.test", full_name="Siti Rahayu"))

    html = client.get(f"/fasilitas/{facility.slug}/?minggu=2026-01-05").content.decode()

    assert_shareable(html, f"{SITE}/fasilitas/balai-rakyat-beji/")
    assert meta(html, "property", "og:title") == "Balai Rakyat Beji"
    head = html[: html.index("</head>")]
    assert "siti" not in head.lower()


def test_the_facility_share_tags_use_its_description_and_cover_photo():
    """What facilities/views.py passes as `share` (pwa.facility_share), from the selector's
    row."""
    share = sharing.facility_share(
        {
            "slug": "balai-rakyat-beji",
            "description": "Aula   serbaguna\nuntuk 80 orang." + " lagi" * 100,
            "cover": "facilities/1/aula.webp",
        }
    )

    assert share["url"] == f"{SITE}/fasilitas/balai-rakyat-beji/"
    assert share["description"].startswith("Aula serbaguna untuk 80 orang.")
    assert len(share["description"]) <= 200
    assert share["image"] == f"{SITE}/media/facilities/1/aula.webp"
    assert sharing.facility_share({"slug": "x", "description": "", "cover": None})["image"] == ""


def test_the_facility_meta_block_prefers_the_share_context(rf):
    html = render_to_string(
        "facilities/facility_detail.html",
        {
            "facility_name": "Balai Rakyat Beji",
            "share": {
                "url": f"{SITE}/fasilitas/balai-rakyat-beji/",
                "description": "Aula serbaguna.",
                "image": f"{SITE}/media/facilities/1/aula.webp",
            },
            "content": "",
        },
        request=rf.get("/fasilitas/balai-rakyat-beji/"),
    )

    assert meta(html, "property", "og:image") == f"{SITE}/media/facilities/1/aula.webp"
    assert meta(html, "name", "description") == "Aula serbaguna."


# --- The share partial -------------------------------------------------------------------------


def test_the_share_partial_has_a_whatsapp_link_and_a_hidden_share_button():
    html = render_to_string(
        "includes/_share.html",
        {"share_url": f"{SITE}/fasilitas/balai-rakyat-beji/", "share_title": "Balai Rakyat Beji"},
    )

    assert (
        'href="https://wa.me/?text=Balai%20Rakyat%20Beji%20'
        'https%3A%2F%2Fhaidepok.example.id%2Ffasilitas%2Fbalai-rakyat-beji%2F"'
    ) in html
    # Shown by app.js only where navigator.share exists.
    assert re.search(r"<button [^>]*hidden[^>]*data-share-url=", html)


# --- The map -----------------------------------------------------------------------------------


def test_the_map_keeps_the_address_coordinates_and_links_without_javascript(client):
    facility = FacilityFactory(
        slug="lembah-gurame",
        address="Jl. Lembah Gurame, Depok Jaya",
        latitude=Decimal("-6.400123"),
        longitude=Decimal("106.818456"),
    )

    html = client.get(f"/fasilitas/{facility.slug}/").content.decode()

    section = html[html.index('<section class="facility-map"') :]
    section = section[: section.index("</section>")]
    assert "Jl. Lembah Gurame, Depok Jaya" in section
    # Dots, whatever the language: Indonesian would write a decimal comma.
    assert "-6.400123, 106.818456" in section
    assert 'href="geo:-6.400123,106.818456?q=-6.400123,106.818456(' in section
    assert "https://www.openstreetmap.org/?mlat=-6.400123&amp;mlon=106.818456" in section
    assert 'data-leaflet-js="/static/vendor/leaflet/leaflet.js"' in section
    assert "leaflet.js" not in html.replace(section, "")  # loaded only by app.js, lazily


def test_no_map_without_coordinates(client):
    facility = FacilityFactory(latitude=None, longitude=None)

    html = client.get(f"/fasilitas/{facility.slug}/").content.decode()

    assert "facility-map" not in html


def test_leaflet_is_served_by_the_site_with_its_licence():
    for name in ("leaflet.js", "leaflet.css", "LICENSE", "images/marker-icon.png"):
        assert finders.find(f"vendor/leaflet/{name}"), name


# --- The ticket's QR code ----------------------------------------------------------------------


def test_an_approved_booking_page_shows_the_permit_qr(client):
    booking = BookingFactory(status=BookingStatus.APPROVED)
    client.force_login(booking.user)

    html = client.get(f"/booking-saya/{booking.reference}/").content.decode()

    figure = html[html.index('<figure class="permit-qr">') :]
    assert f'<img src="/booking-saya/{booking.reference}/qr.svg"' in figure
    assert re.search(rf'alt="[^"]*{booking.reference}"', figure)


def test_a_requested_booking_page_has_no_qr(client):
    booking = BookingFactory(status=BookingStatus.REQUESTED)
    client.force_login(booking.user)

    html = client.get(f"/booking-saya/{booking.reference}/").content.decode()

    assert "permit-qr" not in html


def test_the_qr_image_is_the_residents_own_and_private(client, django_assert_max_num_queries):
    booking = BookingFactory(status=BookingStatus.APPROVED)
    url = f"/booking-saya/{booking.reference}/qr.svg"

    assert client.get(url).status_code == 302  # signed out: to the sign-in page
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404  # someone else's booking
    client.force_login(booking.user)
    with django_assert_max_num_queries(4):  # session, user, the booking with its invoice
        response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Cache-Control"] == "private, no-cache"
    assert response.content.startswith(b"<?xml") and b"<svg" in response.content


def test_no_qr_image_before_the_permit(client):
    booking = BookingFactory(status=BookingStatus.REQUESTED)
    client.force_login(booking.user)

    assert client.get(f"/booking-saya/{booking.reference}/qr.svg").status_code == 404


def test_the_qr_encodes_the_verification_url():
    """Same encoder and settings as the letter's (permits/letters.py)."""
    url = f"{SITE}/verifikasi/ABC/"
    expected = io.BytesIO()
    segno.make(url, error="m", micro=False).save(expected, kind="svg", scale=5, border=4)
    assert qr.qr_svg(url) == expected.getvalue()


def test_a_cover_photo_is_used(client):
    """The selector's cover is the first of the catalog's photo order (cover first)."""
    facility = FacilityFactory()
    FacilityPhotoFactory(facility=facility, image="facilities/a.webp")
    FacilityPhotoFactory(facility=facility, image="facilities/sampul.webp", is_cover=True)

    html = client.get(f"/fasilitas/{facility.slug}/").content.decode()

    assert meta(html, "property", "og:image") == f"{SITE}/media/facilities/sampul.webp"
