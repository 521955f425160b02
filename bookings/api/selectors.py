"""The reads behind the API, each in a bounded number of queries."""

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from bookings.models import Booking, BookingEvent
from bookings.permissions import can_manage_bookings_of
from bookings.references import normalise_reference
from facilities.models import Facility, OpeningHours
from facilities.selectors import bookable_facility_name, published_facilities


def facility_with_details(slug: str) -> Facility:
    """A bookable facility with its opening hours, or 404 (drafts and unverified communities
    stay private)."""
    facilities = published_facilities().prefetch_related(
        Prefetch("opening_hours", queryset=OpeningHours.objects.order_by("weekday", "opens"))
    )
    try:
        return facilities.get(slug=slug)
    except Facility.DoesNotExist:
        raise Http404 from None


def bookable_facility_id(slug: str) -> int:
    """The id of a bookable facility, or 404: the one query of a cached availability grid."""
    facility = bookable_facility_name(slug)
    if facility is None:
        raise Http404
    return facility["id"]


def bookable_facility(slug: str) -> Facility:
    try:
        return Facility.objects.bookable().select_related("community").get(slug=slug)
    except Facility.DoesNotExist:
        raise Http404 from None


def _bookings_with_history() -> QuerySet[Booking]:
    return Booking.objects.select_related("facility").prefetch_related(
        Prefetch("events", queryset=BookingEvent.objects.order_by("created_at", "id"))
    )


def bookings_of(user) -> QuerySet[Booking]:
    """A resident's own bookings, the latest first."""
    return _bookings_with_history().filter(user=user).order_by("-start", "-id")


def booking_for(user, reference: str, *, with_history: bool = True) -> Booking:
    """The booking with this reference if `user` may see it: its resident, or whoever manages
    the facility's bookings. Anyone else gets the same 404 as for a reference that does not
    exist, so references cannot be probed. Without its history (events) for a change, whose
    answer shows the history after it."""
    bookings = (
        _bookings_with_history() if with_history else Booking.objects.select_related("facility")
    )
    booking = bookings.filter(reference=normalise_reference(reference)).first()
    if booking is None:
        raise Http404
    if booking.user_id != user.pk and not can_manage_bookings_of(user, booking.facility):
        raise Http404
    return booking
