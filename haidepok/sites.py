"""The django.contrib.sites Site, kept equal to SITE_URL.

allauth writes its mails (the address verification, the password reset) with the current
Site's name and domain; left alone, that is the "example.com" Django creates on the first
migrate. A post_migrate handler rather than a data migration: a data migration runs once,
with the SITE_URL of that first run (often a developer's 127.0.0.1), while SITE_URL is
configured per deployment and may change; every deploy runs migrate, so the Site follows the
environment each time (and a fresh test database gets it too).
"""

from urllib.parse import urlsplit

from django.conf import settings

SITE_NAME = "Hai Depok"


def site_domain() -> str:
    """The host (and port) of SITE_URL: what allauth's mails call the site's domain."""
    return urlsplit(settings.SITE_URL).netloc or "127.0.0.1:8000"


def sync_site(*, using: str = "default", apps=None, **kwargs) -> None:
    """Give the Site of SITE_ID the domain of SITE_URL and the name "Hai Depok"."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    try:
        Site = apps.get_model("sites", "Site")
    except LookupError:  # migrating to a state before the sites app existed
        return
    Site.objects.using(using).update_or_create(
        pk=getattr(settings, "SITE_ID", 1),
        defaults={"domain": site_domain(), "name": SITE_NAME},
    )
    # Site.objects.get_current() caches per SITE_ID: drop a copy of the old one.
    from django.contrib.sites.models import SITE_CACHE

    SITE_CACHE.clear()
