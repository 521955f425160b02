"""Reads about bookings that pages and the API share."""

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet

from bookings import rules
from bookings.models import Booking
from facilities.models import Closure, Facility, OpeningHours
from haidepok import clock


def free_between(facilities: QuerySet[Facility], start: dt.datetime, end: dt.datetime):
    """The facilities open for the whole of [start, end), not closed then, and not held by
    any booking then, buffers included: two queries, whatever the number of facilities.

    It answers the catalog's "free on" filter; a request is still checked in full by
    bookings.rules (grid, length, lead time, the resident's limits) when it is made.
    """
    local_start, local_end = clock.to_local(start), clock.to_local(end)
    if end <= start or local_start.date() != local_end.date():
        return facilities.none()
    open_then = OpeningHours.objects.filter(
        facility=OuterRef("pk"),
        weekday=local_start.weekday(),
        opens__lte=local_start.time(),
        closes__gte=local_end.time(),
    )
    closed_then = Closure.objects.filter(
        Q(facility=OuterRef("pk")) | Q(facility__isnull=True), start__lt=end, end__gt=start
    )
    candidates = facilities.filter(Exists(open_then)).exclude(Exists(closed_then))
    if rules.public_holiday(local_start.date()):
        candidates = candidates.exclude(closed_on_public_holidays=True)

    # Ours would block [start, end + the facility's buffer); buffers differ per facility, and
    # date arithmetic on a column is not portable, so compare once per buffer in use.
    holders = Booking.objects.holding_slot().filter(
        facility=OuterRef("pk"), start__gt=start - rules.MAX_BLOCKED_SPAN, blocked_until__gt=start
    )
    buffers = candidates.order_by().values_list("buffer_minutes", flat=True).distinct()
    not_held = Q(pk__in=[])
    for buffer in buffers:
        not_held |= Q(buffer_minutes=buffer) & ~Exists(
            holders.filter(start__lt=end + dt.timedelta(minutes=buffer))
        )
    return candidates.filter(not_held)


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
        if violations and not (kept and kept.covers(v.code for v in violations)):
            broken.append((booking, violations))
    return broken
