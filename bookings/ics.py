"""iCalendar (.ics) files for a booking, made with the icalendar package."""

from icalendar import Calendar, Event, vText

from bookings.models import Booking, BookingStatus
from haidepok import clock

ICS_STATUS = {
    BookingStatus.REQUESTED: "TENTATIVE",
    BookingStatus.APPROVED: "CONFIRMED",
}


def booking_uid(booking: Booking) -> str:
    """Stable for the life of the booking, so a later update or cancellation replaces it."""
    return f"{booking.reference}@haidepok"


def booking_calendar(booking: Booking, *, method: str = "PUBLISH") -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Hai Depok//Booking//ID")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", booking_uid(booking))
    event.add("dtstamp", booking.updated_at or clock.now())
    event.add("dtstart", clock.to_local(booking.start))
    event.add("dtend", clock.to_local(booking.end))
    event.add("summary", f"{booking.purpose} — {booking.facility.name}")
    event["location"] = vText(f"{booking.facility.name}, {booking.facility.address}")
    event.add("description", f"Hai Depok {booking.reference}")
    event.add("status", ICS_STATUS.get(booking.status, "CANCELLED"))
    event.add("sequence", booking.events.count() if booking.pk else 0)
    calendar.add_component(event)
    return calendar.to_ical()
