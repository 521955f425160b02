from django.conf import settings
from django.urls import reverse


def absolute_url(viewname: str, *args, **kwargs) -> str:
    """A full link for a mail, built from SITE_URL (mails are sent outside any request)."""
    return settings.SITE_URL + reverse(viewname, args=args, kwargs=kwargs)
