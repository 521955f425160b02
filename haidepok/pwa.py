"""The installable app and the site's face to the outside (issue 15): the web app manifest, the
service worker, the offline page, robots.txt, and the absolute links that sharing needs.
(The sitemap is facilities/sitemaps.py, a facility's sharing tags facilities/sharing.py, the
permit's QR image on the ticket permits/qr.py: this package knows no domain app.)

The icons in static/img/ (icon-192.png, icon-512.png, icon-maskable-512.png,
apple-touch-icon.png) and the sharing image share-default.png (1200x630) were drawn once with
Pillow from the mark in static/img/favicon.svg: white "HD" in DejaVu Sans Bold on the site's
green (#0b5d3b), rounded corners of 6/32 of the side; the maskable icon is full bleed with the
mark inside the central 80% that every launcher's mask keeps. They are committed, not made
at run time: no image work on a request.
"""

import functools
import hashlib
import json
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

THEME_COLOUR = "#0b5d3b"  # --green in static/css/site.css
BACKGROUND_COLOUR = "#ffffff"  # --paper

ICONS = [
    {"src": "img/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
    {"src": "img/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
    {
        "src": "img/icon-maskable-512.png",
        "sizes": "512x512",
        "type": "image/png",
        "purpose": "maskable",
    },
]
DEFAULT_SHARE_IMAGE = "img/share-default.png"

# What the service worker keeps on install, so that a page opened offline has its look.
SHELL_STATIC = [
    "css/site.css",
    "css/app.css",
    "js/app.js",
    "img/favicon.svg",
    "img/icon-192.png",
    "img/apple-touch-icon.png",
]
# Where the service worker never stores anything: other people's data, forms, the API.
PRIVATE_PREFIXES = ["/admin/", "/kelola/", "/akun/", "/api/", "/verifikasi/"]
# The public pages are for search engines; what is private, or no use to a stranger, is not.
ROBOTS_DISALLOW = ["/admin/", "/kelola/", "/akun/", "/booking-saya/", "/api/", "/verifikasi/"]

# Browsers re-check a service worker at least daily whatever the headers say; a short max-age
# also keeps a proxy from holding an old one, so a release reaches phones within minutes.
SHORT_CACHE = 300


def absolute(url: str) -> str:
    """`url` (a path, or already absolute as S3 media URLs are) as a full link on SITE_URL:
    sharing previews are fetched by WhatsApp's and Facebook's robots, never by our pages."""
    return urljoin(settings.SITE_URL + "/", url)


def site_url(request) -> dict:
    """Context processor: SITE_URL for the absolute links of the sharing tags."""
    return {
        "SITE_URL": settings.SITE_URL,
        "DEFAULT_SHARE_IMAGE": absolute(static(DEFAULT_SHARE_IMAGE)),
    }


@functools.cache
def shell_version() -> str:
    """The service worker's cache name changes with what it caches: a digest of the shell's
    files and of the worker itself, read once per process. A deploy that changes any of them
    makes phones drop the old shell; one that changes nothing keeps it."""
    digest = hashlib.blake2b(digest_size=6)
    for name in SHELL_STATIC:
        path = finders.find(name)
        if path:
            with open(path, "rb") as file:
                digest.update(file.read())
    template = get_template("pwa/sw.js")
    with open(template.origin.name, "rb") as file:
        digest.update(file.read())
    return digest.hexdigest()


@require_GET
@cache_control(max_age=SHORT_CACHE, public=True)
def manifest(request):
    data = {
        "name": "Hai Depok",
        "short_name": "Hai Depok",
        "description": _("Book the public facilities of the City of Depok from your phone."),
        "lang": "id",
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "id": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "categories": ["government", "utilities"],
        "icons": [{**icon, "src": static(icon["src"])} for icon in ICONS],
    }
    return HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/manifest+json; charset=utf-8",
    )


@require_GET
@cache_control(max_age=SHORT_CACHE, public=True)
def service_worker(request):
    """Served from the root, so its scope is the whole site (a worker under /static/ could
    only control /static/)."""
    # JSON is valid JavaScript: every value reaches the script quoted and escaped.
    values = {
        "version": shell_version(),
        "shell": [static(name) for name in SHELL_STATIC],
        "static_prefix": settings.STATIC_URL,
        "offline": reverse("offline"),
        "private": PRIVATE_PREFIXES,
        "sign_in_out": [reverse("account_login"), reverse("account_logout")],
    }
    return render(
        request,
        "pwa/sw.js",
        {f"{name}_json": json.dumps(value) for name, value in values.items()},
        content_type="text/javascript; charset=utf-8",
    )


@require_GET
@cache_control(max_age=SHORT_CACHE, public=True)
def offline(request):
    """What the service worker shows for a page it cannot fetch and has not kept. The worker
    fetches it without cookies, so no one's name is stored in it."""
    return render(request, "pwa/offline.html")


@require_GET
@cache_control(max_age=3600, public=True)
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Allow: /",
        *(f"Disallow: {prefix}" for prefix in ROBOTS_DISALLOW),
        "",
        f"Sitemap: {absolute(reverse('sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
