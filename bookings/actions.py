"""Which actions an actor may take on a booking now, and why not: the one answer that the
services enforce and that the admin, the workspace, the resident's pages and the API offer.

The state machine (which status each transition may start from) lives here too, so that a
button is shown exactly when the service behind it would accept the click.
"""

import datetime as dt
from enum import StrEnum

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from bookings import rules
from bookings.errors import BookingError
from bookings.models import Booking, BookingStatus
from bookings.permissions import can_decide, can_manage_bookings_of

S = BookingStatus

# The state machine: which status each transition may start from.
ALLOWED_FROM = {
    S.APPROVED: {S.REQUESTED},
    S.REJECTED: {S.REQUESTED},
    S.CANCELLED: {S.REQUESTED, S.APPROVED},
    # The sweep may complete a booking before anyone records that nobody came.
    S.NO_SHOW: {S.APPROVED, S.COMPLETED},
    S.COMPLETED: {S.APPROVED},
    S.EXPIRED: {S.REQUESTED},
}

VERBS = {
    S.APPROVED: _("approved"),
    S.REJECTED: _("rejected"),
    S.CANCELLED: _("cancelled"),
    S.NO_SHOW: _("marked as a no-show"),
    S.COMPLETED: _("completed"),
    S.EXPIRED: _("expired"),
}

# How long after its end a booking may still be marked a no-show: the organizer who found
# the hall empty on Saturday evening records it on Monday morning.
NO_SHOW_GRACE = dt.timedelta(hours=48)

# Check-in at the venue (permits.services.booking_check_in) opens this long before the start,
# when the keeper unlocks the hall for the group setting up, and closes at the end.
CHECK_IN_OPENS_BEFORE = dt.timedelta(minutes=60)


def check_in_window(booking: Booking) -> tuple[dt.datetime, dt.datetime]:
    """When a booking may be checked in at the venue: [opens, closes)."""
    return booking.start - CHECK_IN_OPENS_BEFORE, booking.end


def check_in_grace() -> dt.timedelta:
    """How long after its start a booking may still be checked in before it may also be
    marked a no-show (settings.CHECK_IN_GRACE_MINUTES)."""
    return dt.timedelta(minutes=settings.CHECK_IN_GRACE_MINUTES)


def no_show_window(booking: Booking) -> tuple[dt.datetime, dt.datetime]:
    """When a booking that was not checked in may be marked a no-show: [opens, closes], from
    the check-in grace after its start until NO_SHOW_GRACE after its end. The two windows
    overlap on purpose (a late group may still check in after the grace); the booking's row
    lock decides which of the two happens first, and a checked-in booking is never a no-show."""
    return booking.start + check_in_grace(), booking.end + NO_SHOW_GRACE


class Action(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    CANCEL = "cancel"
    NO_SHOW = "no_show"


RESULT = {
    Action.APPROVE: S.APPROVED,
    Action.REJECT: S.REJECTED,
    Action.CANCEL: S.CANCELLED,
    Action.NO_SHOW: S.NO_SHOW,
}


def transition_refusal(booking: Booking, to_status: str) -> BookingError | None:
    if booking.status in ALLOWED_FROM[to_status]:
        return None
    return BookingError(
        "invalid_transition", status=S(booking.status).label, action=VERBS[to_status]
    )


def resident_cancel_deadline(booking: Booking) -> dt.datetime:
    """The last moment a resident may cancel their own approved booking. (A request nobody
    has decided yet may be withdrawn until it starts: nothing was promised yet.)"""
    return booking.start - dt.timedelta(hours=booking.facility.cancel_hours)


def still_possible_refusal(booking: Booking, now: dt.datetime) -> BookingError | None:
    """What may have changed since the request, so that it can no longer be approved: the
    time passed, the facility closed or is no longer open for booking. (The slot itself is
    still held by the request.)"""
    facility = booking.facility
    if not facility.is_bookable:
        return BookingError("not_bookable")
    if booking.start <= now:
        return BookingError("in_past")
    if closing := rules.closing_at(facility, booking.start, booking.end):
        return BookingError("closed", reason=closing.reason)
    return None


def refusal(actor, booking: Booking, action: Action, now: dt.datetime) -> BookingError | None:
    """Why `actor` may not take `action` on `booking` at `now`, or None when they may. Who may
    come first (an outsider learns nothing about the booking's state), then the state, then
    the time. What the services check besides (a reason given, the facility still open) is
    about the input (a reason given), not about who may act."""
    facility = booking.facility
    if action in (Action.APPROVE, Action.REJECT):
        if not can_decide(actor, facility):
            return BookingError("not_allowed")
        if refused := transition_refusal(booking, RESULT[action]):
            return refused
        return still_possible_refusal(booking, now) if action == Action.APPROVE else None
    if action == Action.CANCEL:
        managing = can_manage_bookings_of(actor, facility)
        owner = actor.is_authenticated and booking.user_id == actor.pk
        if not (managing or owner):
            return BookingError("not_allowed")
        if refused := transition_refusal(booking, S.CANCELLED):
            return refused
        if managing:
            return None
        if booking.status == S.REQUESTED:
            # Nobody has decided yet: the resident may withdraw it until it starts.
            return BookingError("in_past") if now >= booking.start else None
        if now > resident_cancel_deadline(booking):
            return BookingError("cancel_too_late", hours=facility.cancel_hours)
        return None
    if action == Action.NO_SHOW:
        if not can_manage_bookings_of(actor, facility):
            return BookingError("not_allowed")
        if refused := transition_refusal(booking, S.NO_SHOW):
            return refused
        if booking.checked_in_at is not None:
            return BookingError("no_show_checked_in")
        opens, closes = no_show_window(booking)
        if booking.start > now:
            return BookingError("not_started")
        if now < opens:
            return BookingError("no_show_in_grace", minutes=settings.CHECK_IN_GRACE_MINUTES)
        if now > closes:
            return BookingError(
                "no_show_too_late", hours=int(NO_SHOW_GRACE.total_seconds() // 3600)
            )
        return None
    raise ValueError(f"unknown action {action!r}")


def allowed_actions(actor, booking: Booking, now: dt.datetime) -> list[Action]:
    """The actions `actor` may take on `booking` now, in the order pages show them."""
    return [action for action in Action if refusal(actor, booking, action, now) is None]


def check(actor, booking: Booking, action: Action, now: dt.datetime) -> None:
    if refused := refusal(actor, booking, action, now):
        raise refused
