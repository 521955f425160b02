"""Rendered parts of the public pages, kept in the cache (Redis: settings.PAGE_CACHE is off
without it) and dropped the moment what they show changes.

Every fragment is kept with the versions of what it shows, and served only while they are
current: the catalog's version, which every page carries (the apps store a new one when
anything the catalog shows changes), and, for a page about one object, that object's scope
(e.g. "facility:12", its bookings: facilities/pages.py), named by the app that owns it. A change
stores a new version at once and again after its transaction commits: a page rendered in
between, from the data as it was before the commit, carries a version that is no longer
current. One round trip to the cache reads a fragment and the current versions. Model signals
(bookings/signals.py, through facilities/pages.py) call `catalog_changed` and `changed` for
every save and delete, whoever makes it; the few bulk updates call them themselves.

A fragment also knows when the clock alone makes it wrong (a slot becomes past or too soon to
book, a new day opens for booking, a closure ends) and is not served from then on, nor before
the moment it was made (tests move the clock both ways). MAX_AGE bounds what a lost version
change could leave stale. When the cache does not answer, pages are rendered without it.
"""

import datetime as dt
import hashlib
import logging
import math
import uuid
from collections.abc import Callable, Hashable
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import translation

from haidepok import clock

logger = logging.getLogger(__name__)

MAX_AGE = dt.timedelta(minutes=10)
# Part of every fragment's key: a release that changes Fragment, or what a page puts in one,
# raises it, so that no process reads what an older release stored.
FORMAT = 3
CATALOG_VERSION = "page-version:catalog"


class Fragment(NamedTuple):
    content: str
    etag: str
    versions: list[str] | None  # of the catalog and the page's scope, when it was made
    made_at: dt.datetime
    valid_until: dt.datetime


def version_key(scope: str) -> str:
    return f"page-version:{scope}"


def catalog_changed() -> None:
    """Something every page may show changed: facilities, photos, communities, hours, or a
    closure of the whole city."""
    _new_version(CATALOG_VERSION)


def changed(scope: str) -> None:
    """Something that the pages of one scope show changed (one facility's bookings, say)."""
    _new_version(version_key(scope))


def _new_version(key: str) -> None:
    _store_version(key)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _store_version(key))


def _store_version(key: str) -> None:
    try:
        cache.set(key, uuid.uuid4().hex, timeout=None)
    except Exception:  # The cache is down: MAX_AGE bounds what stays stale.
        logger.exception("Could not store a new page version for %s", key)


def cached(
    name: str,
    parts: tuple[Hashable, ...],
    render: Callable[[], tuple[str, dt.datetime | None]],
    *,
    scope: str | None = None,
) -> Fragment:
    """The fragment `name` for `parts` in the active language, from the cache while nothing
    it shows has changed, else from `render()`, which returns the content and the moment the
    clock alone makes it wrong (None: never)."""
    if not settings.PAGE_CACHE:
        content, _ = render()
        return Fragment(content, _etag(content), None, clock.now(), clock.now())
    now = clock.now()
    signature = repr((name, parts, translation.get_language()))
    digest = hashlib.blake2b(signature.encode(), digest_size=16).hexdigest()
    key = f"page:{FORMAT}:{name}:{digest}"
    version_keys = [CATALOG_VERSION]
    if scope is not None:
        version_keys.append(version_key(scope))
    # One round trip: the fragment, kept with the versions it was made under, and the
    # versions now.
    try:
        found = cache.get_many([key, *version_keys])
        versions = [
            found.get(version_key) or _start_version(version_key) for version_key in version_keys
        ]
        if None in versions:  # the cache answers but keeps nothing: do without it
            versions = None
    except Exception:
        logger.exception("Could not read the cached fragment %s", name)
        versions = None
    hit = found.get(key) if versions else None
    if (
        isinstance(hit, Fragment)
        and hit.versions == versions
        and hit.made_at <= now < hit.valid_until
    ):
        return hit

    content, valid_until = render()
    valid_until = min(valid_until or now + MAX_AGE, now + MAX_AGE)
    fragment = Fragment(
        content=content,
        etag=_etag(content),
        versions=versions,
        made_at=now,
        valid_until=valid_until,
    )
    if versions and valid_until > now:
        try:
            cache.set(key, fragment, timeout=math.ceil((valid_until - now).total_seconds()))
        except Exception:
            logger.exception("Could not cache the fragment %s", name)
    return fragment


def _etag(content: str) -> str:
    return hashlib.blake2b(content.encode(), digest_size=12).hexdigest()


def _start_version(key: str) -> str:
    """A version never stored, or evicted: start one (another process may start it at the same
    moment, so read back the one kept)."""
    cache.add(key, uuid.uuid4().hex, timeout=None)
    return cache.get(key)
