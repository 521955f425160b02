"""iCalendar (.ics) files for a booking, made with the icalendar package.

PUBLISH is the file a resident downloads; REQUEST is the invitation sent with an approval and
CANCEL the matching cancellation (RFC 5546). All three share the booking's UID, so a calendar
program updates or removes the one event it already has. Times are in WIB (TZID=Asia/Jakarta),
and the file defines that time zone in a VTIMEZONE component, as RFC 5545 requires of every
TZID it uses: a calendar program that does not know the name still places the event right.
"""

import functools
from email.utils import parseaddr

from django.conf import settings
from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from bookings.models import Booking, BookingEvent, BookingStatus
from haidepok import clock

# Any other status (rejected, cancelled, expired) is CANCELLED: the event does not take place.
ICS_STATUS = {
    BookingStatus.REQUESTED: "TENTATIVE",
    BookingStatus.APPROVED: "CONFIRMED",
    # It took place, or its time was kept for a resident who did not come: not cancelled.
    BookingStatus.COMPLETED: "CONFIRMED",
    BookingStatus.NO_SHOW: "CONFIRMED",
}

# What an invitation or a cancellation says, whatever the booking's status at sending time.
METHOD_STATUS = {"REQUEST": "CONFIRMED", "CANCEL": "CANCELLED"}


def booking_uid(booking: Booking) -> str:
    """Stable for the life of the booking, so a later update or cancellation replaces it."""
    return f"{booking.reference}@haidepok"


@functools.cache
def wib_vtimezone() -> bytes:
    """The VTIMEZONE of WIB (+07:00, no daylight saving), built from the zoneinfo data once
    per process: building it takes about 20 ms, sixty times the rest of a file."""
    return Timezone.from_tzinfo(clock.WIB).to_ical()


def booking_calendar(booking: Booking, *, method: str = "PUBLISH") -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Hai Depok//Booking//ID")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    # Before the event that uses it, as calendar programs read it.
    calendar.add_component(Timezone.from_ical(wib_vtimezone()))
    event = Event()
    event.add("uid", booking_uid(booking))
    event.add("dtstamp", booking.updated_at or clock.now())
    event.add("dtstart", clock.to_local(booking.start))
    event.add("dtend", clock.to_local(booking.end))
    event.add("summary", f"{booking.purpose} — {booking.facility.name}")
    event["location"] = vText(f"{booking.facility.name}, {booking.facility.address}")
    event.add("description", f"Hai Depok {booking.reference}")
    event.add("status", METHOD_STATUS.get(method) or ICS_STATUS.get(booking.status, "CANCELLED"))
    # Each change of status is a new revision of the event: a cancellation outranks the
    # invitation that came before it.
    event.add("sequence", _revisions(booking) if booking.pk else 0)
    if method in METHOD_STATUS:
        # An invitation names who sends it and who is invited (RFC 5546 requires both).
        name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
        organizer = vCalAddress(f"mailto:{address}")
        organizer.params["cn"] = vText(name or "Hai Depok")
        event["organizer"] = organizer
        if booking.user is not None:
            attendee = vCalAddress(f"mailto:{booking.user.email}")
            attendee.params["cn"] = vText(str(booking.user))
            attendee.params["role"] = vText("REQ-PARTICIPANT")
            attendee.params["partstat"] = vText("ACCEPTED")
            event.add("attendee", attendee, encode=0)
    calendar.add_component(event)
    # Any other zone a property names (none today) gets its VTIMEZONE too.
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _revisions(booking) -> int:
    """How many times its status changed (a check-in at the venue changes nothing in the
    calendar); from the events already fetched where they were."""
    return sum(1 for event in booking.events.all() if event.kind == BookingEvent.Kind.STATUS)
