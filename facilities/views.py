import datetime as dt

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from bookings.availability import facility_availability
from bookings.selectors import free_between, open_on
from facilities.forms import CatalogFilterForm
from facilities.models import Closure
from facilities.selectors import published_facilities, search_facilities
from haidepok import clock

PAGE_SIZE = 12


def home(request):
    """The catalog: search, filters (kecamatan, kind, capacity, free on a date and time)."""
    form = CatalogFilterForm(request.GET or None)
    filters = form.filters() if request.GET else {}
    facilities = search_facilities(
        q=filters.get("q", ""),
        kecamatan=filters.get("kecamatan", ""),
        kind=filters.get("kind", ""),
        capacity=filters.get("capacity"),
    )
    if day := filters.get("date"):
        time_from, time_to = filters.get("time_from"), filters.get("time_to")
        if time_from and time_to and time_to > time_from:
            facilities = free_between(
                facilities,
                clock.local_datetime(day, time_from),
                clock.local_datetime(day, time_to),
            )
        else:
            facilities = open_on(facilities, day)
    page = Paginator(facilities, PAGE_SIZE).get_page(request.GET.get("halaman"))
    query = request.GET.copy()
    query.pop("halaman", None)
    return render(
        request,
        "facilities/home.html",
        {"form": form, "page": page, "facilities": page.object_list, "query": query.urlencode()},
    )


def facility_detail(request, slug):
    facility = get_object_or_404(published_facilities(), slug=slug)
    today = clock.local_now().date()
    try:
        week_of = dt.date.fromisoformat(request.GET["minggu"]) if "minggu" in request.GET else today
    except ValueError:
        week_of = today
    monday = week_of - dt.timedelta(days=week_of.weekday())
    availability = facility_availability(facility, monday, 7)
    upcoming_closures = (
        Closure.objects.affecting(facility).filter(end__gt=clock.now()).order_by("start")[:10]
    )
    return render(
        request,
        "facilities/facility_detail.html",
        {
            "facility": facility,
            "availability": availability,
            "today": today,
            "previous_week": monday - dt.timedelta(days=7),
            "next_week": monday + dt.timedelta(days=7),
            "opening_hours": facility.opening_hours.all(),
            "upcoming_closures": upcoming_closures,
        },
    )
