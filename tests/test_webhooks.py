"""The gateways' notifications through the HTTP endpoint: POST /pembayaran/notifikasi/<gateway>/
with the raw body a gateway sends. A valid one records one payment and the receipt; the same
one again changes nothing; a forged one is refused (403), logged and warned about; anything
else that is not a payment of the charge's amount records nothing."""

import datetime as dt
import logging
import threading

import pytest
from django.db import connection
from django.test import Client

from bookings import services as booking_services
from bookings.models import BookingStatus, Notification
from haidepok import clock
from payments import charges, invoicing
from payments import services as payment_services
from payments.gateways import simulator
from payments.models import (
    Charge,
    ChargeState,
    Invoice,
    InvoiceState,
    Payment,
    WebhookLog,
    WebhookOutcome,
)
from tests.factories import (
    fast_password_hashing,  # noqa: F401 (a fixture)
    priced_facility,
    request_booking,
)

URL = "/pembayaran/notifikasi/simulator/"


def unpaid_booking(hours=2, **policy):
    """An auto-approved sosial booking five days ahead (Rp 50.000 an hour), its invoice
    issued, and a QRIS charge to pay it with."""
    facility = priced_facility(approval="auto", lead_hours=0, **policy)
    day = clock.local_now().date() + dt.timedelta(days=5)
    start = clock.local_datetime(day, dt.time(10))
    booking = request_booking(
        facility, start, start + dt.timedelta(hours=hours), now=clock.now(), tariff_class="sosial"
    )
    invoice = Invoice.objects.get(booking=booking)
    charge = charges.charge_for(invoice, "qris")
    return booking, invoice, charge


def body_for(charge, **changes) -> bytes:
    fields = {
        "order_id": charge.order_id,
        "transaction_id": charge.gateway_reference,
        "amount": charge.amount,
        "status": "paid",
        "paid_at": clock.now(),
        **changes,
    }
    return simulator.notification_body(**fields)


def post(body: bytes, signature: str | None = "sign", client=None, url=URL):
    """POST `body` as a gateway does; signed with the simulator's secret unless told."""
    headers = {}
    if signature == "sign":
        signature = simulator.sign(body)
    if signature is not None:
        headers["HTTP_X_SIMULATOR_SIGNATURE"] = signature
    return (client or Client()).post(url, body, content_type="application/json", **headers)


def nothing_paid(invoice):
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.UNPAID
    assert not Payment.objects.exists()
    assert not Notification.objects.filter(kind="payment_received").exists()


# --- One notification -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_valid_notification_pays_the_invoice_once_and_writes_the_receipt():
    booking, invoice, charge = unpaid_booking()

    response = post(body_for(charge))

    assert response.status_code == 200
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.PAID and invoice.closed_at is not None
    payment = Payment.objects.get()
    assert (payment.invoice, payment.amount, payment.method, payment.gateway) == (
        invoice,
        100_000,
        "qris",
        "simulator",
    )
    assert payment.external_reference == charge.gateway_reference
    assert payment.receipt_number.startswith(f"BB-{clock.local_now():%Y}-")
    assert not payment.needs_refund
    charge.refresh_from_db()
    assert charge.state == ChargeState.PAID
    receipt = Notification.objects.get(kind="payment_received")
    assert (receipt.booking, receipt.recipient) == (booking, booking.user)
    log = WebhookLog.objects.get()
    assert (log.outcome, log.payment, log.order_id) == ("paid", payment, charge.order_id)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.APPROVED


@pytest.mark.django_db
def test_the_same_notification_twice_records_one_payment_and_answers_200_both_times():
    booking, invoice, charge = unpaid_booking()
    body = body_for(charge)

    first, second = post(body), post(body)

    assert (first.status_code, second.status_code) == (200, 200)
    assert Payment.objects.count() == 1
    assert Notification.objects.filter(kind="payment_received").count() == 1
    assert list(WebhookLog.objects.order_by("id").values_list("outcome", flat=True)) == [
        "paid",
        "duplicate",
    ]
    assert WebhookLog.objects.filter(payment=Payment.objects.get()).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "signature",
    [None, "", "0" * 64, "not hex at all", "sign-other-secret", "sign-other-body"],
    ids=["missing", "empty", "zeros", "garbage", "other-secret", "other-body"],
)
def test_a_forged_notification_is_refused_logged_and_warned_about(signature, caplog, settings):
    booking, invoice, charge = unpaid_booking()
    body = body_for(charge)
    if signature == "sign-other-secret":
        settings.PAYMENT_SIMULATOR_SECRET = "someone else's"
        signature = simulator.sign(body)
        settings.PAYMENT_SIMULATOR_SECRET = "the site's own"
    elif signature == "sign-other-body":
        signature = simulator.sign(body_for(charge, amount=1))

    with caplog.at_level(logging.WARNING, logger="payments.webhooks"):
        response = post(body, signature=signature)

    assert response.status_code == 403
    nothing_paid(invoice)
    log = WebhookLog.objects.get()
    assert (log.outcome, log.payment, log.gateway) == ("bad_signature", None, "simulator")
    assert log.body == body.decode()
    assert log.remote_address == "127.0.0.1"
    assert any(
        record.levelno == logging.WARNING and "refused" in record.getMessage()
        for record in caplog.records
    )


@pytest.mark.django_db
def test_a_body_changed_after_signing_is_refused():
    booking, invoice, charge = unpaid_booking()
    body = body_for(charge)
    signature = simulator.sign(body)
    tampered = body.replace(b'"paid"', b'"paid" ', 1)

    assert post(tampered, signature=signature).status_code == 403
    nothing_paid(invoice)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw",
    [b"\x00\x00\x00", b"\xff\xfe not utf-8", b"{" * 5000, b"a" * 200_000],
    ids=["nul", "not-utf-8", "deep", "large"],
)
def test_a_forged_body_of_any_bytes_is_refused_and_logged_not_a_500(raw):
    booking, invoice, charge = unpaid_booking()

    response = post(raw, signature="00")

    assert response.status_code == 403
    nothing_paid(invoice)
    log = WebhookLog.objects.get()
    assert log.outcome == "bad_signature"
    assert len(log.body) <= 10_000
    assert "\x00" not in log.body


@pytest.mark.django_db
@pytest.mark.parametrize(
    "paid_at",
    [
        dt.datetime(1, 1, 1, tzinfo=dt.UTC),
        dt.datetime(9999, 12, 31, 23, tzinfo=dt.UTC),
        dt.datetime(2027, 3, 1, 10),  # naive
    ],
    ids=["year-1", "year-9999", "naive"],
)
def test_a_payment_time_that_makes_no_sense_is_the_time_it_arrived(paid_at):
    booking, invoice, charge = unpaid_booking()
    before = clock.now()

    response = post(body_for(charge, paid_at=paid_at))

    assert response.status_code == 200
    payment = Payment.objects.get()
    assert before <= payment.paid_at <= clock.now()


@pytest.mark.django_db
def test_a_payment_of_another_amount_is_refused_and_nothing_paid(caplog):
    booking, invoice, charge = unpaid_booking()

    with caplog.at_level(logging.WARNING, logger="payments.webhooks"):
        response = post(body_for(charge, amount=charge.amount - 1))

    assert response.status_code == 400
    nothing_paid(invoice)
    assert WebhookLog.objects.get().outcome == "wrong_amount"
    assert caplog.records


@pytest.mark.django_db
def test_a_notification_for_an_unknown_charge_is_refused():
    booking, invoice, charge = unpaid_booking()

    response = post(body_for(charge, order_id="TGH-2026-999999-ABCDEF"))

    assert response.status_code == 404
    nothing_paid(invoice)
    log = WebhookLog.objects.get()
    assert (log.outcome, log.order_id) == ("unknown_charge", "TGH-2026-999999-ABCDEF")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b"null",
        b'{"order_id": "x"}',
        b'{"order_id": "x", "transaction_id": "y", "amount": "100000", "status": "paid"}',
        b'{"order_id": "x", "transaction_id": "y", "amount": true, "status": "paid"}',
        b'{"order_id": "x", "transaction_id": "y", "amount": 1, "status": "paid", "paid_at": 5}',
        b'{"order_id": "x", "transaction_id": "", "amount": 1, "status": "paid"}',
        b'{"order_id": "x\\u0000", "transaction_id": "y", "amount": 1, "status": "paid"}',
        b'{"order_id": "", "transaction_id": "y", "amount": 1, "status": "paid"}',
    ],
    ids=[
        "not-json",
        "list",
        "null",
        "missing-fields",
        "amount-text",
        "amount-bool",
        "paid-at-number",
        "no-transaction",
        "nul-in-order-id",
        "no-order-id",
    ],
)
def test_a_signed_notification_that_is_not_understood_is_refused(body):
    booking, invoice, charge = unpaid_booking()

    response = post(body)

    assert response.status_code == 400
    nothing_paid(invoice)
    assert WebhookLog.objects.get().outcome == "malformed"


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["pending", "expire", "deny", "refund"])
def test_a_notification_that_is_not_a_payment_records_nothing(status):
    booking, invoice, charge = unpaid_booking()

    response = post(body_for(charge, status=status))

    assert response.status_code == 200
    nothing_paid(invoice)
    assert WebhookLog.objects.get().outcome == "ignored"
    charge.refresh_from_db()
    assert charge.state == (ChargeState.EXPIRED if status == "expire" else ChargeState.PENDING)


@pytest.mark.django_db
def test_an_unknown_gateway_and_other_methods_are_refused():
    booking, invoice, charge = unpaid_booking()
    body = body_for(charge)

    assert post(body, url="/pembayaran/notifikasi/paypal/").status_code == 404
    assert Client().get(URL).status_code == 405
    nothing_paid(invoice)
    assert not WebhookLog.objects.exists()


@pytest.mark.django_db
def test_a_payment_after_the_invoice_expired_is_kept_to_refund_and_does_not_revive_the_booking():
    booking, invoice, charge = unpaid_booking()
    body = body_for(charge)  # paid at the bank in time; the notification comes too late
    payment_services.invoices_release_overdue(now=invoice.due_at)

    response = post(body)

    assert response.status_code == 200
    payment = Payment.objects.get()
    assert payment.needs_refund
    invoice.refresh_from_db()
    booking.refresh_from_db()
    assert (invoice.state, booking.status) == (InvoiceState.EXPIRED, BookingStatus.CANCELLED)
    assert not Notification.objects.filter(kind="payment_received").exists()
    log = WebhookLog.objects.get()
    assert (log.outcome, log.payment) == ("refund", payment)
    # And again: still one payment.
    assert post(body).status_code == 200
    assert Payment.objects.count() == 1


@pytest.mark.django_db
def test_a_second_payment_of_a_paid_invoice_is_kept_to_refund():
    booking, invoice, charge = unpaid_booking()
    assert post(body_for(charge)).status_code == 200
    # The resident also paid a virtual account made before (another transaction).
    other = Charge.objects.create(
        invoice=invoice,
        gateway="simulator",
        method="va",
        order_id=f"{invoice.number}-VA0001",
        gateway_reference="SIM-OTHER",
        amount=invoice.amount,
        va_number="8808000011112222",
        expires_at=invoice.due_at,
    )

    assert post(body_for(other)).status_code == 200

    assert list(Payment.objects.order_by("id").values_list("needs_refund", flat=True)) == [
        False,
        True,
    ]
    assert Notification.objects.filter(kind="payment_received").count() == 1


@pytest.mark.django_db
def test_the_webhook_answers_in_a_fixed_number_of_queries(django_assert_num_queries):
    booking, invoice, charge = unpaid_booking()
    body = body_for(charge)

    # The charge; the booking and the invoice locked; no payment yet; the charge, the payment
    # and its receipt number, the invoice; the resident and the receipt's notification; the
    # log (and the savepoint around the payment).
    with django_assert_num_queries(13):
        assert post(body).status_code == 200
    # The duplicate stops at the payment it finds.
    with django_assert_num_queries(7):
        assert post(body).status_code == 200


# --- At the same moment -----------------------------------------------------------------------


def on_postgresql(test):
    marks = [
        pytest.mark.django_db(transaction=True),
        pytest.mark.usefixtures("fast_password_hashing"),
        pytest.mark.skipif(
            connection.vendor != "postgresql",
            reason="SQLite serialises every write transaction anyway (IMMEDIATE)",
        ),
    ]
    for mark in marks:
        test = mark(test)
    return test


def together(*attempts):
    """Run each attempt in its own thread (own connection), released together."""
    barrier = threading.Barrier(len(attempts))
    outcomes: list = [None] * len(attempts)

    def run(i):
        try:
            barrier.wait(timeout=20)
            outcomes[i] = attempts[i]()
        except Exception as error:  # noqa: BLE001 - the test looks at every outcome
            outcomes[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(attempts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a request never returned"
    return outcomes


@on_postgresql
def test_identical_notifications_delivered_at_the_same_moment_record_one_payment():
    for _ in range(3):
        booking, invoice, charge = unpaid_booking()
        body = body_for(charge)

        outcomes = together(*[lambda body=body: post(body).status_code] * 8)

        assert outcomes == [200] * 8
        assert Payment.objects.filter(invoice=invoice).count() == 1
        assert Notification.objects.filter(booking=booking, kind="payment_received").count() == 1
        outcomes = sorted(
            WebhookLog.objects.filter(order_id=charge.order_id).values_list("outcome", flat=True)
        )
        assert outcomes == ["duplicate"] * 7 + ["paid"]


@on_postgresql
def test_a_payment_arriving_while_the_resident_cancels_ends_consistent(monkeypatch):
    """The cancellation holds the booking and is about to close the invoice when the payment
    comes: one of the two waits for the other (no deadlock), and the money of a cancelled
    booking is kept to refund."""
    booking, invoice, charge = unpaid_booking()
    body = body_for(charge)
    cancelling = threading.Event()
    status_changed = invoicing.booking_status_changed

    def slow_close(booking, to_status, *, now):
        cancelling.set()
        threading.Event().wait(0.5)  # the payment comes now
        status_changed(booking, to_status, now=now)

    monkeypatch.setattr(invoicing, "booking_status_changed", slow_close)

    def cancel():
        booking_services.booking_cancel(booking=booking, actor=booking.user)
        return "cancelled"

    def pay():
        cancelling.wait(timeout=10)
        return post(body).status_code

    outcomes = together(cancel, pay)

    assert outcomes == ["cancelled", 200], outcomes
    booking.refresh_from_db()
    invoice.refresh_from_db()
    payment = Payment.objects.get()
    assert booking.status == BookingStatus.CANCELLED
    assert invoice.state == InvoiceState.CANCELLED
    assert payment.needs_refund
    assert WebhookLog.objects.get().outcome == WebhookOutcome.REFUND
