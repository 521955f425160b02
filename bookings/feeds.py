"""Calendar feeds (iCalendar, RFC 5545) that calendar programs subscribe to and fetch again
every few hours: a facility's public events, the whole city's, a resident's own bookings, and
the requests of the facilities an organizer manages. Their views are bookings/feed_views.py.

One function writes every feed (calendar_feed). Each event has the UID of the booking's own
.ics file and invitation mails (bookings/ics.py), so a program that has one of them updates the
same event, its times in WIB with the VTIMEZONE of Asia/Jakarta that the file defines, and
SEQUENCE counted as in the mails. DTSTAMP is the booking's last change, not the time of the
request: a feed whose bookings did not change is the same bytes, and its ETag the same.

The lines are written here rather than with icalendar's components: those cost about 0.2 ms
an event, seconds for the city's feed at its size (tens of thousands of events), and these a
small part of it. The tests read every feed back with icalendar.
"""

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from typing import NamedTuple

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from bookings.ics import ICS_STATUS, booking_uid, wib_vtimezone
from bookings.models import Booking, BookingEvent, BookingStatus
from bookings.selectors import managed_bookings, public_events
from facilities.forms import POLICY_LIMITS
from haidepok import clock
from haidepok.pwa import absolute

# A feed is fetched for years: without a window it would grow with every booking ever made.
# Behind, a month keeps what just happened (a calendar program drops the events that leave
# its feed). Ahead, as far as the longest horizon a facility may have
# (facilities.forms.POLICY_LIMITS): every booking that a resident can make is in it.
FEED_DAYS_BEHIND = 30
FEED_DAYS_AHEAD = POLICY_LIMITS["horizon_days"][1]
# The city's feed has every facility's events: at Depok's size (600 facilities, some 900
# bookings a day) the window above would be tens of thousands of events, megabytes that each
# subscriber fetches again every few hours. The week behind and the month ahead are what a
# city calendar is read for; one facility's feed (or /kalender/, any day) shows the rest.
CITY_FEED_DAYS_BEHIND = 7
CITY_FEED_DAYS_AHEAD = 31

# How often a calendar program should fetch the feed again (RFC 7986, and Outlook's name).
REFRESH_INTERVAL = "PT1H"
TZID = "Asia/Jakarta"

# What a feed's events need, and no more: the city's feed reads many of them.
EVENT_FIELDS = (
    "reference",
    "start",
    "end",
    "purpose",
    "organisation",
    "status",
    "updated_at",
    "facility__name",
    "facility__slug",
    "facility__address",
)


class Window(NamedTuple):
    start: dt.datetime
    end: dt.datetime
    # When the window moves on (the next midnight in WIB): a cached feed is not served after.
    moves_at: dt.datetime


def feed_window(
    days_behind: int = FEED_DAYS_BEHIND, days_ahead: int = FEED_DAYS_AHEAD, *, now=None
) -> Window:
    """Whole days in WIB, so that a feed is the same all day while its bookings do not
    change."""
    now = now or clock.now()
    today = clock.to_local(now).date()
    return Window(
        start=clock.local_datetime(today - dt.timedelta(days=days_behind), dt.time.min),
        end=clock.local_datetime(today + dt.timedelta(days=days_ahead + 1), dt.time.min),
        moves_at=clock.next_local_midnight(now),
    )


def feed_bookings(bookings: QuerySet[Booking], window: Window, *fields: str) -> QuerySet[Booking]:
    """`bookings` that start in `window`, in order, with what an event shows and how many
    times their status changed (the SEQUENCE: bookings.ics._revisions, in the same query)."""
    return (
        bookings.filter(start__gte=window.start, start__lt=window.end)
        .select_related("facility")
        .only(*EVENT_FIELDS, *fields)
        .annotate(
            revisions=Count("events", filter=Q(events__kind=BookingEvent.Kind.STATUS)),
        )
        .order_by("start", "pk")
    )


# --- What each feed says of a booking ---------------------------------------------------------


class Entry(NamedTuple):
    summary: str
    description: str
    url: str
    # False: the event does not make the subscriber busy (someone else's booking).
    busy: bool


def _location(booking: Booking) -> str:
    return f"{booking.facility.name}, {booking.facility.address}"


# The feeds' events say the same words many times (the city's, thousands): each is translated,
# and each facility's page reversed, once per feed.


def public_entries() -> Callable[[Booking], Entry]:
    """What /kalender/ shows of an event: its purpose and organisation at a facility, with the
    link to the facility's page. Nothing of who booked it: not their name, email or phone,
    nor the reference."""
    organisation = _("Organisation: %(organisation)s")
    facility_page = functools.cache(lambda slug: absolute(reverse("facility_detail", args=[slug])))

    def entry(booking: Booking) -> Entry:
        return Entry(
            summary=f"{booking.purpose} — {booking.facility.name}",
            description=(
                organisation % {"organisation": booking.organisation}
                if booking.organisation
                else ""
            ),
            url=facility_page(booking.facility.slug),
            busy=False,
        )

    return entry


def resident_entries() -> Callable[[Booking], Entry]:
    """A resident's own booking: its reference and status, and the link to its page."""
    reference = _("Hai Depok %(reference)s: %(status)s")
    statuses = _status_labels()

    def entry(booking: Booking) -> Entry:
        return Entry(
            summary=f"{booking.purpose} — {booking.facility.name}",
            description=reference
            % {"reference": booking.reference, "status": statuses[booking.status]},
            url=absolute(reverse("booking_detail", args=[booking.reference])),
            busy=True,
        )

    return entry


def organizer_entries() -> Callable[[Booking], Entry]:
    """A booking of a facility the organizer manages, with the link to its workspace page,
    where its contact details are: a feed's URL ends up with calendar services, so it has no
    name or phone number in it."""
    reference = _("Hai Depok %(reference)s: %(status)s")
    organisation = _("Organisation: %(organisation)s")
    attendees = _("Expected attendees: %(count)s")
    statuses = _status_labels()

    def entry(booking: Booking) -> Entry:
        lines = [reference % {"reference": booking.reference, "status": statuses[booking.status]}]
        if booking.organisation:
            lines.append(organisation % {"organisation": booking.organisation})
        lines.append(attendees % {"count": booking.attendees})
        return Entry(
            summary=f"{booking.purpose} — {booking.facility.name}",
            description="\n".join(lines),
            url=absolute(reverse("manage_booking", args=[booking.reference])),
            busy=False,
        )

    return entry


def _status_labels() -> dict[str, str]:
    return {status: str(label) for status, label in BookingStatus.choices}


# --- The feeds --------------------------------------------------------------------------------


def facility_feed(facility: dict, *, now=None) -> tuple[str, dt.datetime]:
    """The public events of one facility ({"id", "name"} of a facility in the catalog), and
    until when the feed holds."""
    window = feed_window(now=now)
    bookings = feed_bookings(public_events([facility["id"]]), window)
    name = _("Hai Depok: %(facility)s") % {"facility": facility["name"]}
    return calendar_feed(bookings, name=name, entry=public_entries()), window.moves_at


def city_feed(*, now=None) -> tuple[str, dt.datetime]:
    """The public events of every facility in the catalog, and until when the feed holds."""
    window = feed_window(CITY_FEED_DAYS_BEHIND, CITY_FEED_DAYS_AHEAD, now=now)
    bookings = feed_bookings(public_events(), window)
    name = _("Hai Depok: the City of Depok's public facilities")
    return calendar_feed(bookings, name=name, entry=public_entries()), window.moves_at


def resident_feed(user, *, now=None) -> str:
    """Every booking of `user` in the window, the cancelled, rejected and expired ones as
    CANCELLED, so that a calendar program that has them drops them."""
    bookings = feed_bookings(Booking.objects.filter(user=user), feed_window(now=now))
    return calendar_feed(bookings, name=_("Hai Depok: my bookings"), entry=resident_entries())


ORGANIZER_STATUSES = (BookingStatus.REQUESTED, BookingStatus.APPROVED, BookingStatus.COMPLETED)


def organizer_feed(user, *, now=None) -> str:
    """The requests and approved bookings of every facility `user` manages: the workspace's
    own read of them (/kelola/booking/ lists the same), by the same permission rule
    (communities.permissions.managed_communities), not a copy of it."""
    bookings = feed_bookings(
        managed_bookings(user).filter(status__in=ORGANIZER_STATUSES),
        feed_window(now=now),
        "attendees",
    )
    name = _("Hai Depok: bookings of my facilities")
    return calendar_feed(bookings, name=name, entry=organizer_entries())


# --- Writing iCalendar ------------------------------------------------------------------------


def calendar_feed(
    bookings: Iterable[Booking], *, name: str, entry: Callable[[Booking], Entry]
) -> str:
    """An iCalendar object (METHOD PUBLISH) with one VEVENT per booking, `entry` saying what
    the event tells of it. The bookings come from feed_bookings (their `revisions`)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Hai Depok//Calendar feed//ID",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        _property("X-WR-CALNAME", _text(name)),
        f"X-WR-TIMEZONE:{TZID}",
        f"REFRESH-INTERVAL;VALUE=DURATION:{REFRESH_INTERVAL}",
        f"X-PUBLISHED-TTL:{REFRESH_INTERVAL}",
        # Before the events that name it, as calendar programs read it; already folded.
        wib_vtimezone().decode().rstrip("\r\n"),
    ]
    for booking in bookings:
        lines.extend(_event(booking, entry(booking)))
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def _event(booking: Booking, entry: Entry) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        _property("UID", _text(booking_uid(booking))),
        f"DTSTAMP:{_utc(booking.updated_at)}",
        f"DTSTART;TZID={TZID}:{_wib(booking.start)}",
        f"DTEND;TZID={TZID}:{_wib(booking.end)}",
        _property("SUMMARY", _text(entry.summary)),
        _property("LOCATION", _text(_location(booking))),
    ]
    if entry.description:
        lines.append(_property("DESCRIPTION", _text(entry.description)))
    if entry.url:
        lines.append(_property("URL", entry.url))
    lines += [
        f"STATUS:{ICS_STATUS.get(booking.status, 'CANCELLED')}",
        f"SEQUENCE:{booking.revisions}",
        f"TRANSP:{'OPAQUE' if entry.busy else 'TRANSPARENT'}",
        "END:VEVENT",
    ]
    return lines


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _wib(moment: dt.datetime) -> str:
    return clock.to_local(moment).strftime("%Y%m%dT%H%M%S")


def _text(value: str) -> str:
    """A TEXT value (RFC 5545, 3.3.11): backslash, semicolon and comma escaped, any line
    break as \\n, and no other control character than a tab (none is allowed in it)."""
    value = (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )
    if value.isprintable():
        return value
    return "".join(char for char in value if char == "\t" or (char >= " " and char != "\x7f"))


def _property(name: str, value: str) -> str:
    return _fold(f"{name}:{value}")


def _fold(line: str) -> str:
    """A content line of more than 75 octets, folded (RFC 5545, 3.1): a line break and a space
    before each 74 more, never inside a UTF-8 character nor (as icalendar does, for programs
    that read them wrong) right after the backslash of an escape."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts, start, limit = [], 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # inside a UTF-8 character
            end -= 1
        if end < len(data):
            backslashes = len(data[start:end]) - len(data[start:end].rstrip(b"\\"))
            if backslashes % 2:  # the first half of an escape
                end -= 1
        parts.append(data[start:end].decode())
        start, limit = end, 74
    return "\r\n ".join(parts)
