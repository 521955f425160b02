"""/sitemap.xml (django.contrib.sitemaps): the public pages and every facility the catalog
lists, linked on SITE_URL."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from facilities.selectors import published_facilities


class _OnSiteUrl(Sitemap):
    """Links on SITE_URL, not on the Sites framework's domain (example.com until someone sets
    it) nor on the Host the robot happened to ask."""

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme


class PublicPagesSitemap(_OnSiteUrl):
    changefreq = "daily"

    def items(self):
        return ["home", "public_calendar"]

    def location(self, item):
        return reverse(item)


class FacilitySitemap(_OnSiteUrl):
    """Every facility the catalog lists, from the catalog's own selector: a facility that is
    not bookable (unpublished, or its community not verified) is not in the sitemap either."""

    changefreq = "daily"

    def items(self):
        # No photos or tariffs: the sitemap shows the link and the date only.
        return (
            published_facilities()
            .select_related(None)
            .prefetch_related(None)
            .only("slug", "updated_at")
        )

    def location(self, facility):
        return reverse("facility_detail", args=[facility.slug])

    def lastmod(self, facility):
        return facility.updated_at


SITEMAPS = {"pages": PublicPagesSitemap, "facilities": FacilitySitemap}
