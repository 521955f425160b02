"""Check-in at the venue: an organizer of the facility (or Pemkot staff) who opens the permit's
verification page confirms that the group came. It is recorded on the booking and in its audit
trail (a BookingEvent of kind CHECK_IN), once, and a checked-in booking is never a no-show."""

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from bookings.actions import CHECK_IN_OPENS_BEFORE, check_in_window
from bookings.models import Booking, BookingEvent, BookingStatus
from bookings.permissions import can_manage_bookings_of
from haidepok import clock
from permits.errors import CheckInError


def _time(moment: dt.datetime) -> str:
    return clock.to_local(moment).strftime("%H.%M")


def check_in_refusal(actor, booking: Booking, now: dt.datetime) -> CheckInError | None:
    """Why `actor` may not check `booking` in at `now`, or None when they may: who first, then
    whether it already was (the second click of two is told, not refused as an error of
    state), then the status, then the time. The one rule the page's button and the service
    both ask."""
    if not can_manage_bookings_of(actor, booking.facility):
        return CheckInError("not_allowed")
    if booking.checked_in_at is not None:
        by = booking.checked_in_by
        return CheckInError(
            "already_checked_in",
            time=_time(booking.checked_in_at),
            actor=str(by) if by is not None else _("a deleted account"),
        )
    if booking.status != BookingStatus.APPROVED:
        return CheckInError("not_approved", status=BookingStatus(booking.status).label)
    opens, closes = check_in_window(booking)
    if now < opens:
        return CheckInError(
            "too_early",
            minutes=int(CHECK_IN_OPENS_BEFORE.total_seconds() // 60),
            opens=_time(opens),
        )
    if now >= closes:
        return CheckInError("ended")
    return None


def booking_check_in(*, booking: Booking, actor, now: dt.datetime | None = None) -> Booking:
    """Record that the group came: checked_in_at/by and a CHECK_IN event, in one transaction.
    Raises CheckInError (nothing written) when check_in_refusal refuses."""
    now = now or clock.now()
    with transaction.atomic():
        # Re-read under the row lock: two organizers tapping "check in" at once, or a check-in
        # racing a no-show (bookings.services.booking_mark_no_show takes the same lock), see
        # each other's result instead of both writing one.
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("facility__community", "checked_in_by")
            .get(pk=booking.pk)
        )
        if refused := check_in_refusal(actor, booking, now):
            raise refused
        booking.checked_in_at = now
        booking.checked_in_by = actor
        booking.save(update_fields=["checked_in_at", "checked_in_by", "updated_at"])
        # The audit trail: the status stays approved, and the event says so. No notification:
        # the resident is at the venue.
        BookingEvent.objects.create(
            booking=booking,
            actor=actor,
            kind=BookingEvent.Kind.CHECK_IN,
            from_status=BookingStatus.APPROVED,
            to_status=BookingStatus.APPROVED,
        )
    return booking
