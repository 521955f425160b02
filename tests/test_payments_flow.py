"""The retribusi path through the services, end to end: a priced request, its lines, the
invoice on approval, a QRIS charge paid through the simulator's signed notification, the
receipt; and an invoice left unpaid releasing its booking at the deadline."""

import datetime as dt

import pytest

from bookings import services
from bookings.models import BookingLine, BookingStatus, Notification
from payments import charges, webhooks
from payments.gateways import simulator
from payments.models import Invoice, InvoiceState, Payment
from payments.services import invoices_release_overdue
from tests.factories import AddOnFactory, UserFactory, priced_facility, request_booking, wib

pytestmark = pytest.mark.django_db

NOW = wib(2027, 3, 1, 9)


def test_a_priced_request_is_stored_as_lines_and_its_approval_issues_an_invoice():
    facility = priced_facility(approval="city", lead_hours=0)
    sound = AddOnFactory(community=facility.community, price=75_000, stock=3, offered_at=[facility])

    booking = request_booking(
        facility,
        wib(2027, 3, 2, 9),
        wib(2027, 3, 2, 12),
        now=NOW,
        tariff_class="komersial",
        addons={sound.pk: 2},
    )

    lines = list(booking.lines.values_list("kind", "quantity", "unit_price", "amount"))
    assert lines == [
        (BookingLine.Kind.TARIFF, 3, 150_000, 450_000),
        (BookingLine.Kind.ADDON, 2, 75_000, 150_000),
    ]
    assert booking.price_total == 600_000
    assert not Invoice.objects.exists()

    services.booking_approve(booking=booking, actor=UserFactory(is_staff=True), now=NOW)

    invoice = Invoice.objects.get(booking=booking)
    assert invoice.amount == 600_000
    assert invoice.state == InvoiceState.UNPAID
    # Within the 48 hours, but the booking starts first: it is paid before it is used.
    assert invoice.due_at == wib(2027, 3, 2, 9)


def test_paying_through_the_simulator_records_one_payment_and_sends_the_receipt():
    facility = priced_facility(approval="auto", lead_hours=0)
    booking = request_booking(
        facility, wib(2027, 3, 5, 9), wib(2027, 3, 5, 10), now=NOW, tariff_class="sosial"
    )
    invoice = Invoice.objects.get(booking=booking)
    charge = charges.charge_for(invoice, "qris", now=NOW)
    assert charge.qr_string
    body = simulator.notification_body(
        order_id=charge.order_id,
        transaction_id=charge.gateway_reference,
        amount=charge.amount,
        status="paid",
        paid_at=NOW,
    )
    headers = {simulator.SIGNATURE_HEADER: simulator.sign(body)}

    first, _log = webhooks.receive("simulator", body, headers)
    again, log = webhooks.receive("simulator", body, headers)

    assert (first, again, log.outcome) == (200, 200, "duplicate")
    assert Payment.objects.filter(invoice=invoice).count() == 1
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.PAID
    assert Notification.objects.filter(booking=booking, kind="payment_received").count() == 1


def test_an_invoice_unpaid_at_its_deadline_releases_the_booking():
    facility = priced_facility(approval="auto", lead_hours=0)
    booking = request_booking(
        facility, wib(2027, 3, 9, 9), wib(2027, 3, 9, 10), now=NOW, tariff_class="sosial"
    )

    assert invoices_release_overdue(now=NOW + dt.timedelta(hours=47)) == 0
    assert invoices_release_overdue(now=NOW + dt.timedelta(hours=48)) == 1

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert booking.invoice.state == InvoiceState.EXPIRED
    assert "not paid" in booking.events.last().reason
