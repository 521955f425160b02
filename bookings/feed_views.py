"""The calendar feeds' URLs (bookings/feeds.py writes them).

Public: a facility's events (/fasilitas/<slug>/kalender.ics) and the city's
(/kalender.ics), kept in the page cache and dropped when a booking changes, their ETag the
cached fragment's: a calendar program that asks again with If-None-Match gets a 304 for the
price of the cache read. Private: a resident's bookings (/kalender/saya/<token>.ics) and an
organizer's requests (/kalender/pengelola/<token>.ics), behind the secret token of their
profile (accounts.models.CalendarFeedToken); an unknown or reset token, or an account that is
no longer active, is a 404. They are written on each request and answer 304 when the same.
"""

import contextlib
import hashlib

from django.http import Http404, HttpResponse
from django.utils import translation
from django.utils.cache import get_conditional_response, quote_etag
from django.views.decorators.http import require_safe

from accounts.models import CalendarFeedToken
from bookings import feeds
from communities.permissions import managed_communities
from facilities.pages import CITY_CALENDAR_SCOPE, facility_scope
from facilities.selectors import bookable_facility_name
from haidepok import page_cache

CONTENT_TYPE = "text/calendar; charset=utf-8"
# Calendar programs fetch a feed every hour or more; a proxy may share a public one for
# minutes. A private one is never shared and always asked again (a 304 when unchanged):
# no-store would forbid the copy that If-None-Match revalidates.
PUBLIC_CACHE_CONTROL = "public, max-age=300"
PRIVATE_CACHE_CONTROL = "private, max-age=0, must-revalidate"


@require_safe
def facility_calendar_feed(request, slug):
    facility = bookable_facility_name(slug)
    if facility is None:
        raise Http404
    fragment = page_cache.cached(
        "facility-feed",
        (facility["id"],),
        lambda: feeds.facility_feed(facility),
        scope=facility_scope(facility["id"]),
    )
    return _feed_response(request, fragment.content, fragment.etag, filename=f"{slug}.ics")


@require_safe
def city_calendar_feed(request):
    fragment = page_cache.cached("city-feed", (), feeds.city_feed, scope=CITY_CALENDAR_SCOPE)
    return _feed_response(request, fragment.content, fragment.etag, filename="hai-depok.ics")


@require_safe
def resident_calendar_feed(request, token):
    user = _feed_owner(token)
    with _language_of(user):
        content = feeds.resident_feed(user)
    return _private_feed_response(request, content, filename="hai-depok-saya.ics")


@require_safe
def organizer_calendar_feed(request, token):
    user = _feed_owner(token)
    # Who manages nothing has no such feed (the rule of the workspace's menu).
    if not managed_communities(user).exists():
        raise Http404
    with _language_of(user):
        content = feeds.organizer_feed(user)
    return _private_feed_response(request, content, filename="hai-depok-pengelola.ics")


def _feed_owner(token: str):
    """The active user whose feed token this is; a 404 for any other token."""
    feed_token = CalendarFeedToken.objects.select_related("user").filter(token=token).first()
    if feed_token is None or not feed_token.user.is_active:
        raise Http404
    return feed_token.user


def _language_of(user):
    """The feed in the owner's preferred language: a calendar program says none of its own."""
    if user.language:
        return translation.override(user.language)
    return contextlib.nullcontext()


def _private_feed_response(request, content: str, *, filename: str) -> HttpResponse:
    etag = hashlib.blake2b(content.encode(), digest_size=12).hexdigest()
    response = _feed_response(request, content, etag, filename=filename, private=True)
    # Kept out of search engines, should the link ever be published (also on a 304).
    response["X-Robots-Tag"] = "noindex"
    return response


def _feed_response(
    request, content: str, etag: str, *, filename: str, private: bool = False
) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPE)
    response["ETag"] = quote_etag(etag)
    response["Cache-Control"] = PRIVATE_CACHE_CONTROL if private else PUBLIC_CACHE_CONTROL
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    # A 304 with no body (and the ETag and Cache-Control above) when If-None-Match matches.
    return get_conditional_response(request, etag=response["ETag"], response=response)
