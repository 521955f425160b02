"""The retribusi path through the services, end to end: a priced request, its lines, the
invoice on approval, a QRIS charge paid through the simulator's signed notification, the
receipt; and an invoice left unpaid releasing its booking at the deadline."""

import datetime as dt

import pytest

from bookings import services
from bookings.models import BookingLine, BookingStatus, Notification
from payments import charges, webhooks
from payments import services as payment_services
from payments.errors import PaymentError
from payments.gateways import simulator
from payments.models import Invoice, InvoiceState, Payment
from payments.services import invoices_release_overdue
from tests.factories import (
    AddOnFactory,
    UserFactory,
    organizer_of,
    priced_facility,
    request_booking,
    staff_with_permissions,
    wib,
)

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
    assert booking.events.last().reason == str(services.UNPAID_REASON)


def test_a_cancelled_booking_s_open_charges_expire_with_its_invoice():
    facility = priced_facility(approval="auto", lead_hours=0)
    booking = request_booking(
        facility, wib(2027, 3, 6, 9), wib(2027, 3, 6, 10), now=NOW, tariff_class="sosial"
    )
    charge = charges.charge_for(Invoice.objects.get(booking=booking), "qris", now=NOW)

    services.booking_cancel(booking=booking, actor=booking.user, now=NOW)

    charge.refresh_from_db()
    invoice = Invoice.objects.get(booking=booking)
    assert (invoice.state, charge.state) == (InvoiceState.CANCELLED, "expired")


# --- Staff record a transfer or cash ----------------------------------------------------------


@pytest.fixture
def unpaid():
    facility = priced_facility(approval="auto", lead_hours=0)
    booking = request_booking(
        facility, wib(2027, 3, 5, 9), wib(2027, 3, 5, 11), now=NOW, tariff_class="sosial"
    )
    return Invoice.objects.get(booking=booking)


def record(invoice, actor, now=NOW, **changes):
    fields = {
        "method": "transfer",
        "amount": invoice.amount,
        "external_reference": "BNI 0012345",
        "paid_at": now - dt.timedelta(hours=1),
        **changes,
    }
    return payment_services.payment_record_manual(invoice=invoice, actor=actor, now=now, **fields)


def test_staff_record_a_transfer_and_the_resident_gets_the_receipt(unpaid):
    clerk = UserFactory(is_staff=True)

    payment = record(unpaid, clerk, method="cash", external_reference="  KW-77  ")

    unpaid.refresh_from_db()
    assert unpaid.state == InvoiceState.PAID
    assert (payment.method, payment.amount, payment.recorded_by) == ("cash", 100_000, clerk)
    assert (payment.external_reference, payment.gateway, payment.needs_refund) == (
        "KW-77",
        "",
        False,
    )
    assert payment.receipt_number == f"BB-2027-{payment.pk:06d}"
    assert Notification.objects.filter(booking=unpaid.booking, kind="payment_received").exists()


def test_the_receipt_number_has_the_year_in_wib(unpaid):
    new_year = wib(2028, 1, 1, 6).astimezone(dt.UTC)  # still 2027 in UTC

    payment = record(unpaid, UserFactory(is_staff=True), now=new_year)

    assert payment.receipt_number.startswith("BB-2028-")


@pytest.mark.parametrize(
    "who",
    ["resident", "owner", "organizer", "staff-without-the-right"],
)
def test_only_staff_with_the_right_record_payments(unpaid, who):
    actor = {
        "resident": lambda: UserFactory(),
        "owner": lambda: unpaid.booking.user,
        "organizer": lambda: organizer_of(unpaid.booking.facility),
        "staff-without-the-right": lambda: staff_with_permissions("payments.view_payment"),
    }[who]()

    with pytest.raises(PaymentError) as refused:
        record(unpaid, actor)

    assert refused.value.code == "not_allowed"
    assert not Payment.objects.exists()
    assert payment_services.can_record_payments(staff_with_permissions("payments.add_payment"))


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"method": "qris"}, "method_not_manual"),
        ({"method": "bitcoin"}, "method_not_manual"),
        ({"external_reference": "   "}, "reference_required"),
        ({"paid_at": NOW + dt.timedelta(minutes=1)}, "paid_in_future"),
        ({"amount": 99_999}, "wrong_amount"),
        ({"amount": 100_001}, "wrong_amount"),
    ],
)
def test_a_wrong_manual_payment_is_refused_and_changes_nothing(unpaid, changes, code):
    with pytest.raises(PaymentError) as refused:
        record(unpaid, UserFactory(is_staff=True), **changes)

    assert refused.value.code == code
    assert refused.value.message
    unpaid.refresh_from_db()
    assert unpaid.state == InvoiceState.UNPAID
    assert not Payment.objects.exists()


def test_a_payment_dated_before_the_invoice_s_day_is_refused(unpaid):
    clerk = UserFactory(is_staff=True)

    with pytest.raises(PaymentError) as refused:
        record(unpaid, clerk, paid_at=NOW - dt.timedelta(days=1))
    # The same day at midnight (a date typed without a time) is fine.
    payment = record(unpaid, clerk, paid_at=wib(2027, 3, 1, 0))

    assert refused.value.code == "paid_before_invoice"
    assert refused.value.params == {"issued": "1 Maret 2027"}
    assert payment.paid_at == wib(2027, 3, 1, 0)


def test_a_naive_payment_time_is_read_as_wib(unpaid):
    payment = record(unpaid, UserFactory(is_staff=True), paid_at=dt.datetime(2027, 3, 1, 8))

    assert payment.paid_at == wib(2027, 3, 1, 8)


def test_a_paid_or_closed_invoice_takes_no_manual_payment(unpaid):
    clerk = UserFactory(is_staff=True)
    record(unpaid, clerk)

    with pytest.raises(PaymentError) as twice:
        record(unpaid, clerk, external_reference="BNI 2")
    Invoice.objects.filter(pk=unpaid.pk).update(state="expired")
    with pytest.raises(PaymentError) as closed:
        record(unpaid, clerk, external_reference="BNI 3")

    assert (twice.value.code, closed.value.code) == ("already_paid", "invoice_closed")
    assert Payment.objects.count() == 1


def test_a_payable_invoice_is_unpaid_and_before_its_deadline(unpaid):
    booking = unpaid.booking

    assert payment_services.payable_invoice(booking, now=NOW) == unpaid
    assert payment_services.payable_invoice(booking, now=unpaid.due_at) is None
    record(unpaid, UserFactory(is_staff=True))
    assert payment_services.payable_invoice(booking, now=NOW) is None
