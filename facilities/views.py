import datetime as dt

from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from bookings.availability import day_picker
from bookings.selectors import free_between, free_on
from facilities.forms import CatalogFilterForm
from facilities.models import Closure
from facilities.pages import facility_scope
from facilities.selectors import (
    bookable_facility_head,
    facility_addons,
    lowest_paying_tariff,
    published_facilities,
    search_facilities,
    tariff_classes,
    with_lowest_price,
)
from facilities.sharing import facility_share
from haidepok import clock, page_cache
from haidepok.pwa import absolute

PAGE_SIZE = 12
CATALOG_PARAMETERS = [*CatalogFilterForm.base_fields, "halaman"]


def home(request):
    """The catalog: search, filters (kecamatan, kind, capacity, free on a date and time)."""
    # Only the catalog's own parameters: a link shared with tracking parameters (fbclid, utm_*)
    # is the same page, and the same cached fragment.
    params = QueryDict(mutable=True)
    for name in CATALOG_PARAMETERS:
        if name in request.GET:
            params.setlist(name, request.GET.getlist(name))
    if params.get("date"):
        # "Free on/between" depends on every booking of every facility, and on the clock:
        # rendered each time.
        content = _catalog_content(params)
    else:
        # The cards' prices are today's: a tariff may start or end at midnight.
        content = page_cache.cached(
            "catalog",
            (sorted(params.lists()),),
            lambda: (_catalog_content(params), clock.next_local_midnight(clock.now())),
        ).content
    return render(request, "facilities/home.html", {"content": mark_safe(content)})


def _catalog_content(params) -> str:
    form = CatalogFilterForm(params or None)
    filters = form.filters() if params else {}
    facilities = search_facilities(
        q=filters.get("q", ""),
        kecamatan=filters.get("kecamatan", ""),
        kind=filters.get("kind", ""),
        capacity=filters.get("capacity"),
    )
    if day := filters.get("date"):
        # Free as the facility page's grid shows it: a booking may start then (the rules).
        time_from, time_to = filters.get("time_from"), filters.get("time_to")
        if time_from and time_to and time_to > time_from:
            facilities = free_between(
                facilities,
                clock.local_datetime(day, time_from),
                clock.local_datetime(day, time_to),
            )
        else:
            facilities = free_on(facilities, day)
    facilities = with_lowest_price(facilities, clock.local_now().date())
    page = Paginator(facilities, PAGE_SIZE).get_page(params.get("halaman"))
    query = params.copy()
    query.pop("halaman", None)
    # Rendered without the request: no user, no CSRF token can end up in the cache.
    return render_to_string(
        "facilities/_catalog_content.html",
        {"form": form, "page": page, "facilities": page.object_list, "query": query.urlencode()},
    )


def facility_detail(request, slug):
    facility = bookable_facility_head(slug)
    if facility is None:
        raise Http404
    # The day asked for (?tanggal=; ?minggu= is the week view's old link, kept for bookmarks
    # and shared links); a malformed one is refused on the page. Only the parsed date and
    # whether one was asked make the key: any other text shares the page without a date.
    asked_text = request.GET.get("tanggal") or request.GET.get("minggu")
    asked = clock.day_from_query(asked_text, None)
    malformed = bool(asked_text) and asked is None
    content = page_cache.cached(
        "facility",
        (facility["id"], asked, malformed),
        lambda: _facility_content(facility["id"], asked, malformed),
        scope=facility_scope(facility["id"]),
    ).content
    return render(
        request,
        "facilities/facility_detail.html",
        {
            "facility_name": facility["name"],
            "content": mark_safe(content),
            "share": facility_share(facility),
            "calendar_feed_url": absolute(
                reverse("facility_calendar_feed", args=[facility["slug"]])
            ),
        },
    )


def _facility_content(
    facility_id: int, asked: dt.date | None, malformed: bool
) -> tuple[str, dt.datetime]:
    """The facility page's main part with the day `asked` in its picker (None: the first day
    with a free time), and until when it holds."""
    facility = published_facilities().get(pk=facility_id)
    picker = day_picker(facility, asked)
    upcoming_closures = list(
        Closure.objects.affecting(facility).filter(end__gt=clock.now()).order_by("start")[:10]
    )
    today = clock.local_now().date()
    tariffs = tariff_classes(facility, today)
    # One Perda for every tariff (the usual case) is said once, not on every row.
    legal_bases = {t.legal_basis for group in tariffs for t in (*group.current, *group.upcoming)}
    html = render_to_string(
        "facilities/_facility_content.html",
        {
            "facility": facility,
            # Built from SITE_URL, not the request: this content is cached for everyone.
            "share_url": absolute(reverse("facility_detail", args=[facility.slug])),
            "calendar_feed_url": absolute(reverse("facility_calendar_feed", args=[facility.slug])),
            "picker": picker,
            "day_refused": picker.refused or malformed,
            "today": today,
            "opening_hours": facility.opening_hours.all(),
            "upcoming_closures": upcoming_closures,
            "tariff_classes": tariffs,
            "lowest_tariff": lowest_paying_tariff(t for group in tariffs for t in group.current),
            "addons": facility_addons(facility),
            "common_legal_basis": legal_bases.pop() if len(legal_bases) == 1 else None,
        },
    )
    # The list of upcoming closures changes when one of them ends; the tariffs in force, at
    # midnight.
    valid_until = min(
        [
            picker.valid_until,
            clock.next_local_midnight(clock.now()),
            *(closure.end for closure in upcoming_closures),
        ]
    )
    return html, valid_until
