"""Reads about bookings that pages and the API share."""

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet

from bookings import rules
from bookings.availability import free_facility_ids
from bookings.models import Booking, BookingStatus
from communities.permissions import managed_communities
from facilities.models import Closure, Facility, OpeningHours
from facilities.selectors import published_facilities
from haidepok import clock


def free_between(
    facilities: QuerySet[Facility],
    start: dt.datetime,
    end: dt.datetime,
    *,
    now: dt.datetime | None = None,
) -> QuerySet[Facility]:
    """Those of `facilities` where a booking of their minimum length may start in [start, end)
    and end by `end` (bookings.rules.can_start, as the availability grid shows it free):
    the catalog's "free on a day" (midnight to midnight) and "free between two times", and
    the API's `free_on`. Four queries (the candidates, their hours, closures and bookings)
    before the page's own, whatever the number of facilities."""
    days = {clock.to_local(start).date(), clock.to_local(end - dt.timedelta(microseconds=1)).date()}
    candidates = facilities
    if len(days) == 1:  # a cheap first cut in SQL: open that day, not closed all day
        candidates = open_on(facilities, days.pop())
    candidates = candidates.prefetch_related(None).select_related("community").order_by()
    ids = free_facility_ids(candidates, start, end, now=now)
    return facilities.filter(pk__in=ids)


def free_on(
    facilities: QuerySet[Facility], day: dt.date, *, now: dt.datetime | None = None
) -> QuerySet[Facility]:
    """Those of `facilities` with at least one free slot on `day` (WIB)."""
    start = clock.local_datetime(day, dt.time.min)
    return free_between(facilities, start, start + dt.timedelta(days=1), now=now)


def open_on(facilities: QuerySet[Facility], day: dt.date):
    """The facilities that open on `day` and are not closed for the whole of it."""
    day_start = clock.local_datetime(day, dt.time.min)
    day_end = day_start + dt.timedelta(days=1)
    whole_day_closure = Closure.objects.filter(
        Q(facility=OuterRef("pk")) | Q(facility__isnull=True),
        start__lte=day_start,
        end__gte=day_end,
    )
    opens = OpeningHours.objects.filter(facility=OuterRef("pk"), weekday=day.weekday())
    candidates = facilities.filter(Exists(opens)).exclude(Exists(whole_day_closure))
    if rules.public_holiday(day):
        candidates = candidates.exclude(closed_on_public_holidays=True)
    return candidates


def bookings_broken_by_policy(facility: Facility, *, now: dt.datetime | None = None):
    """Upcoming slot-holding bookings that the facility's current policy, hours or closures
    no longer allow, each with what it now breaks. Organizers decide on each (keep, or
    cancel with a reason); nothing is changed here. A booking kept for the rules it breaks
    is not listed again unless it breaks another one."""
    now = now or clock.now()
    upcoming = list(
        Booking.objects.holding_slot()
        .filter(facility=facility, start__gt=now)
        .select_related("user", "kept")
        .order_by("start")
    )
    if not upcoming:
        return []
    calendar = rules.FacilityCalendar.load(
        facility, upcoming[0].start, max(b.end for b in upcoming)
    )
    broken = []
    for booking in upcoming:
        violations = rules.policy_violations(facility, calendar, booking.start, booking.end)
        kept = getattr(booking, "kept", None)
        if violations and not (kept and kept.covers(violations)):
            broken.append((booking, violations))
    return broken


# What anyone may see of bookings (the public calendar /kalender/ and the public calendar
# feeds): the events that take place, approved or done, at the facilities of the catalog. Of
# each, its time, purpose and organisation; never who booked it or how to reach them.
PUBLIC_STATUSES = (BookingStatus.APPROVED, BookingStatus.COMPLETED)


def public_events(facilities=None) -> QuerySet[Booking]:
    """The public bookings of `facilities` (a queryset or a list of facilities or their ids,
    already known to be in the catalog), or of every facility in the catalog."""
    if facilities is None:
        facilities = published_facilities()
    return Booking.objects.filter(status__in=PUBLIC_STATUSES, facility__in=facilities)


def managed_bookings(user) -> QuerySet:
    """The bookings of every facility `user` manages (their communities'; all for Pemkot
    staff): what the workspace lists and the organizer's calendar feed carries."""
    return Booking.objects.filter(facility__community__in=managed_communities(user))
