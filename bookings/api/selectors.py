"""The reads behind the API, each in a bounded number of queries."""

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from bookings.models import Booking, BookingEvent, BookingLine
from bookings.permissions import can_manage_bookings_of
from bookings.references import normalise_reference
from documents.models import BookingDocument
from facilities.models import Facility, OpeningHours
from facilities.selectors import (
    bookable_facility_name,
    facility_addons,
    published_facilities,
    tariff_classes,
    with_lowest_price,
)
from haidepok import clock
from payments.models import Payment


def facility_with_details(slug: str) -> Facility:
    """A bookable facility with its opening hours, its tariffs in force today or later by
    class (`tariff_groups`), the add-ons it lends (`offered_addons`), the documents a
    request needs and its "from" price, or 404 (drafts and unverified communities stay
    private). Seven queries."""
    today = clock.local_now().date()
    facilities = with_lowest_price(published_facilities(), today).prefetch_related(
        Prefetch("opening_hours", queryset=OpeningHours.objects.order_by("weekday", "opens")),
        "document_requirements",
    )
    try:
        facility = facilities.get(slug=slug)
    except Facility.DoesNotExist:
        raise Http404 from None
    facility.tariff_groups = tariff_classes(facility, today)
    facility.offered_addons = facility_addons(facility)
    return facility


def with_prices(facilities: QuerySet[Facility]) -> QuerySet[Facility]:
    """The cards' "from" price, as the catalog shows it: their paying tariffs in force
    today, cheapest first (`paying_tariffs`). One query for a page."""
    return with_lowest_price(facilities, clock.local_now().date())


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
    """Bookings with what their answer shows: events, price lines, documents, the invoice
    and the payment that settled it (four queries after the bookings' own, however many)."""
    return Booking.objects.select_related("facility", "invoice").prefetch_related(
        Prefetch("events", queryset=BookingEvent.objects.order_by("created_at", "id")),
        Prefetch("lines", queryset=BookingLine.objects.order_by("id")),
        Prefetch("documents", queryset=BookingDocument.objects.order_by("pk")),
        Prefetch(
            "invoice__payments",
            queryset=Payment.objects.filter(needs_refund=False),
            to_attr="settling_payments",
        ),
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
