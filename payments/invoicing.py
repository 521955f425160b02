"""The invoice follows its booking: bookings.services calls `booking_status_changed` in the
transaction of every change of status. This module knows bookings only by their models, so
that bookings.services may import it (payments.services, which releases bookings, may not be
imported from there)."""

import datetime as dt

from django.conf import settings

from bookings.models import Booking, BookingStatus
from haidepok import clock
from payments.models import Charge, ChargeState, Invoice, InvoiceState

# The statuses in which an unpaid invoice no longer has anything to pay for.
ENDING_STATUSES = (BookingStatus.CANCELLED, BookingStatus.REJECTED, BookingStatus.EXPIRED)


def booking_status_changed(booking: Booking, to_status: str, *, now: dt.datetime) -> None:
    if to_status == BookingStatus.APPROVED and booking.price_total > 0:
        invoice_issue(booking, now=now)
    elif to_status in ENDING_STATUSES:
        Invoice.objects.filter(booking=booking, state=InvoiceState.UNPAID).update(
            state=InvoiceState.CANCELLED, closed_at=now
        )
        # A QRIS or virtual account still open at the gateway would take money for nothing:
        # ours expires with the invoice (a payment arriving anyway is kept to refund).
        Charge.objects.filter(invoice__booking=booking, state=ChargeState.PENDING).update(
            state=ChargeState.EXPIRED
        )


def invoice_due_at(booking: Booking, now: dt.datetime) -> dt.datetime:
    """Pay within PAYMENT_DUE_HOURS of the approval, and before the booking starts: a booking
    is never used unpaid (the release sweep frees it at its deadline)."""
    return min(now + dt.timedelta(hours=settings.PAYMENT_DUE_HOURS), booking.start)


def invoice_issue(booking: Booking, *, now: dt.datetime) -> Invoice:
    """The invoice of a priced booking that was just approved (once: a booking has one)."""
    invoice, _created = Invoice.objects.get_or_create(
        booking=booking,
        defaults={
            # Numbered by the booking, which has at most one invoice: unique without a counter.
            # The year is Depok's (on New Year's morning UTC still says the old one).
            "number": f"TGH-{clock.to_local(now):%Y}-{booking.pk:06d}",
            "amount": booking.price_total,
            "issued_at": now,
            "due_at": invoice_due_at(booking, now),
        },
    )
    return invoice
