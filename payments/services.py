"""The use cases of payments: staff record a transfer or cash, a gateway reports a payment,
a charge is made for paying online, and invoices unpaid at their deadline release their
bookings. Each runs in one transaction; a refused one raises PaymentError and writes nothing.
"""

import datetime as dt
import uuid

from django.db import IntegrityError, transaction
from django.utils.formats import date_format

from bookings.errors import BookingError
from bookings.models import Booking
from bookings.notifications import notify_payment_received
from bookings.services import booking_release_unpaid
from communities.permissions import has_admin_permission
from facilities.templatetags.rupiah import rupiah
from haidepok import clock
from payments.errors import PaymentError
from payments.models import (
    MANUAL_METHODS,
    Charge,
    ChargeState,
    Invoice,
    InvoiceState,
    Payment,
)


def can_record_payments(user) -> bool:
    """Pemkot staff who hold the admin's right to add payments (the group's, or a
    superuser's)."""
    return has_admin_permission(user, "payments.add_payment")


def payment_record_manual(
    *,
    invoice: Invoice,
    actor,
    method: str,
    amount: int,
    external_reference: str,
    paid_at: dt.datetime,
    now: dt.datetime | None = None,
) -> Payment:
    """Staff record a bank transfer or cash paid at the counter, with the transfer reference
    or the counter's receipt number. The invoice must be unpaid and the amount exact."""
    now = now or clock.now()
    if not can_record_payments(actor):
        raise PaymentError("not_allowed")
    if method not in MANUAL_METHODS:
        raise PaymentError("method_not_manual")
    external_reference = (external_reference or "").strip()
    if not external_reference:
        raise PaymentError("reference_required")
    paid_at = clock.as_wib(paid_at)
    if paid_at > now:
        raise PaymentError("paid_in_future")
    with transaction.atomic():
        invoice = _lock(invoice)
        if invoice.state == InvoiceState.PAID:
            raise PaymentError("already_paid")
        if invoice.state != InvoiceState.UNPAID:
            raise PaymentError("invoice_closed")
        # Nobody pays a bill before it exists: a date before its day is a typing mistake
        # (the day itself is fine, also at 00.00: a date typed without a time).
        issued = clock.to_local(invoice.issued_at).date()
        if not clock.within_bounds(paid_at) or clock.to_local(paid_at).date() < issued:
            raise PaymentError("paid_before_invoice", issued=date_format(issued, "j F Y"))
        if amount != invoice.amount:
            raise PaymentError("wrong_amount", amount=rupiah(invoice.amount))
        return _settle(
            invoice,
            method=method,
            amount=amount,
            paid_at=paid_at,
            external_reference=external_reference,
            recorded_by=actor,
            now=now,
        )


def payment_record_from_gateway(
    *,
    charge: Charge,
    gateway_reference: str,
    amount: int,
    paid_at: dt.datetime,
    now: dt.datetime | None = None,
) -> tuple[Payment, bool]:
    """A gateway says `charge` was paid (its transaction `gateway_reference`). The same
    notification twice records one payment: the second answers the first's, created=False.
    Money that comes in for an invoice no longer unpaid is recorded to be refunded."""
    now = now or clock.now()
    if amount != charge.amount:
        raise PaymentError("wrong_amount", amount=rupiah(charge.amount))
    try:
        with transaction.atomic():
            invoice = _lock(charge.invoice)
            # Under the invoice's lock, so two deliveries of one notification queue here.
            existing = Payment.objects.filter(
                gateway=charge.gateway, external_reference=gateway_reference
            ).first()
            if existing is not None:
                return existing, False
            Charge.objects.filter(pk=charge.pk).update(state=ChargeState.PAID)
            payment = _settle(
                invoice,
                method=charge.method,
                amount=amount,
                paid_at=paid_at,
                external_reference=gateway_reference,
                gateway=charge.gateway,
                now=now,
            )
            return payment, True
    except IntegrityError:
        # Two deliveries raced past the lookup on different invoices' locks: impossible for
        # one charge, but the database's uniqueness is the last word.
        existing = Payment.objects.get(gateway=charge.gateway, external_reference=gateway_reference)
        return existing, False


def invoices_release_overdue(*, now: dt.datetime | None = None) -> int:
    """Release the bookings whose invoice is still unpaid at its deadline: the invoice
    expires, the booking is cancelled with the reason, and the resident is told. Safe to run
    concurrently: each invoice is re-read under a lock. Answers how many were released."""
    now = now or clock.now()
    due = Invoice.objects.filter(state=InvoiceState.UNPAID, due_at__lte=now).values_list(
        "pk", "booking_id"
    )
    released = 0
    for pk, booking_id in list(due):
        with transaction.atomic():
            _lock_booking(booking_id)
            invoice = (
                Invoice.objects.select_for_update(of=("self",))
                .filter(pk=pk, state=InvoiceState.UNPAID, due_at__lte=now)
                .select_related("booking")
                .first()
            )
            if invoice is None:
                continue  # paid, or its booking cancelled, meanwhile
            invoice.state = InvoiceState.EXPIRED
            invoice.closed_at = now
            invoice.save(update_fields=["state", "closed_at"])
            Charge.objects.filter(invoice=invoice, state=ChargeState.PENDING).update(
                state=ChargeState.EXPIRED
            )
            try:
                booking_release_unpaid(booking=invoice.booking, now=now)
            except BookingError:
                pass  # it ended otherwise (completed, cancelled): the invoice expires alone
            released += 1
    return released


def payable_invoice(booking: Booking, now: dt.datetime | None = None) -> Invoice | None:
    """The booking's invoice if it can be paid now: unpaid and before its deadline."""
    now = now or clock.now()
    invoice = Invoice.objects.filter(booking=booking).first()
    if invoice is None or invoice.state != InvoiceState.UNPAID or invoice.due_at <= now:
        return None
    return invoice


# --- helpers ----------------------------------------------------------------------------------


def _lock(invoice: Invoice) -> Invoice:
    """Re-read the invoice under a row lock, its booking's row locked first."""
    _lock_booking(invoice.booking_id)
    return (
        Invoice.objects.select_for_update(of=("self",)).select_related("booking").get(pk=invoice.pk)
    )


def _lock_booking(booking_id: int) -> None:
    """The booking before its invoice: the order in which bookings.services takes them (it
    locks a booking, then issues or closes its invoice in the same transaction). A payment
    that locked the invoice first would wait for a cancellation holding the booking (the
    receipt's notification row refers to the booking) while the cancellation waits for the
    invoice: a deadlock. In one order, one of them simply waits for the other."""
    locked = Booking.objects.select_for_update(of=("self",)).filter(pk=booking_id)
    list(locked.order_by().values_list("pk"))


def _settle(invoice: Invoice, *, now: dt.datetime, **fields) -> Payment:
    """Write the payment with its receipt number; an unpaid invoice becomes paid and the
    resident gets the receipt. (For one that is not unpaid, the money is to be refunded.)"""
    settles = invoice.state == InvoiceState.UNPAID
    payment = Payment.objects.create(
        invoice=invoice,
        # A placeholder, unique, until the row has its id.
        receipt_number=f"tmp-{uuid.uuid4().hex[:20]}",
        needs_refund=not settles,
        **fields,
    )
    payment.receipt_number = f"BB-{clock.to_local(now):%Y}-{payment.pk:06d}"
    payment.save(update_fields=["receipt_number"])
    if settles:
        invoice.state = InvoiceState.PAID
        invoice.closed_at = now
        invoice.save(update_fields=["state", "closed_at"])
        notify_payment_received(invoice.booking)
    return payment
