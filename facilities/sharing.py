"""A facility page's sharing tags (Open Graph, the share button's link)."""

from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils.text import Truncator

from haidepok.pwa import absolute


def facility_share(facility: dict) -> dict:
    """The facility page's sharing tags from what its view reads anyway (one query:
    facilities.selectors.bookable_facility_head with "slug", "description" and "cover", the
    name of the cover photo's file or None): its link, the start of its description and its
    cover photo, else the site's default image."""
    cover = facility.get("cover")
    return {
        "url": absolute(reverse("facility_detail", args=[facility["slug"]])),
        "description": Truncator(" ".join((facility.get("description") or "").split())).chars(200),
        "image": absolute(default_storage.url(cover)) if cover else "",
    }
