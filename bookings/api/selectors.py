"""The reads behind the API, each in a bounded number of queries."""

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from bookings.models import Booking, BookingEvent, BookingLine
from bookings.permissions import can_manage_bookings_of
from bookings.references import normalise_reference
from facilities.models import AddOn, Facility, OpeningHours, Tariff, TariffClass, TariffUnit
from facilities.selectors import bookable_facility_name, published_facilities
from haidepok import clock
from payments.models import Payment


def with_prices(facilities: QuerySet[Facility]) -> QuerySet[Facility]:
    """`facilities` with their paying tariffs in force today, cheapest first, as
    `paying_tariffs_today`: what a card's "from" price is. One query for a whole page."""
    today = clock.local_now().date()
    return facilities.prefetch_related(
        Prefetch(
            "tariffs",
            queryset=Tariff.objects.valid_on(today).filter(price__gt=0).order_by("price", "pk"),
            to_attr="paying_tariffs_today",
        )
    )


def facility_with_details(slug: str) -> Facility:
    """A bookable facility with its opening hours, its tariffs in force today or later
    (`current_tariffs`) and the add-ons it lends (`offered_addons`), or 404 (drafts and
    unverified communities stay private). Six queries."""
    today = clock.local_now().date()
    facilities = with_prices(published_facilities()).prefetch_related(
        Prefetch("opening_hours", queryset=OpeningHours.objects.order_by("weekday", "opens")),
        Prefetch(
            "tariffs",
            queryset=Tariff.objects.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today)),
            to_attr="current_tariffs",
        ),
        Prefetch(
            "addons",
            queryset=AddOn.objects.filter(is_active=True).order_by("name", "pk"),
            to_attr="offered_addons",
        ),
    )
    try:
        facility = facilities.get(slug=slug)
    except Facility.DoesNotExist:
        raise Http404 from None
    # By date, then in the order of the classes and units (not alphabetical).
    classes, units = list(TariffClass.values), list(TariffUnit.values)
    facility.current_tariffs.sort(
        key=lambda t: (t.valid_from, classes.index(t.tariff_class), units.index(t.unit))
    )
    return facility


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
    """Bookings with what their answer shows: events, price lines, the invoice and the
    payment that settled it (three queries after the bookings' own, however many)."""
    return Booking.objects.select_related("facility", "invoice").prefetch_related(
        Prefetch("events", queryset=BookingEvent.objects.order_by("created_at", "id")),
        Prefetch("lines", queryset=BookingLine.objects.order_by("id")),
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
