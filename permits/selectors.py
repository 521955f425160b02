"""What a permit is: whether a booking has a letter, who may download it, and what its public
verification says."""

import datetime as dt
from enum import StrEnum

from bookings.models import Booking, BookingStatus
from bookings.permissions import can_read_papers_of
from payments.models import Invoice, InvoiceState

S = BookingStatus

# A letter exists while the booking is, or was, a permit that held: approved, then completed.
# A cancelled, rejected or no-show booking has none to download (its old copy verifies as such).
LETTER_STATUSES = (S.APPROVED, S.COMPLETED)


class PermitState(StrEnum):
    VALID = "valid"  # approved and not yet ended
    EXPIRED = "expired"  # its time has passed (completed, or approved and past its end)
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    NO_SHOW = "no_show"
    REQUEST_EXPIRED = "request_expired"  # never decided: never a permit
    NOT_YET = "not_yet"  # still waiting for a decision: not (yet) a permit
    AWAITING_PAYMENT = "awaiting_payment"  # approved, its retribusi not paid yet


def awaiting_payment(booking: Booking) -> bool:
    """Whether the booking's retribusi is still owed: a priced booking is a permit once its
    invoice is paid (unpaid at the deadline, the booking is released for others)."""
    if booking.price_total == 0:
        return False
    try:
        return booking.invoice.state == InvoiceState.UNPAID
    except Invoice.DoesNotExist:
        return False


def has_letter(booking: Booking) -> bool:
    return booking.status in LETTER_STATUSES and not awaiting_payment(booking)


def can_download_letter(user, booking: Booking) -> bool:
    """Who may read the booking's private papers (bookings.permissions.can_read_papers_of)."""
    return can_read_papers_of(user, booking)


def permit_state(booking: Booking, now: dt.datetime) -> PermitState:
    status = booking.status
    if status == S.APPROVED:
        if now >= booking.end:
            return PermitState.EXPIRED
        return PermitState.AWAITING_PAYMENT if awaiting_payment(booking) else PermitState.VALID
    return {
        S.COMPLETED: PermitState.EXPIRED,
        S.CANCELLED: PermitState.CANCELLED,
        S.REJECTED: PermitState.REJECTED,
        S.NO_SHOW: PermitState.NO_SHOW,
        S.EXPIRED: PermitState.REQUEST_EXPIRED,
        S.REQUESTED: PermitState.NOT_YET,
    }[status]
