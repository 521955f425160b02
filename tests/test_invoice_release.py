"""An approved booking with a price has an invoice due by min(approval + PAYMENT_DUE_HOURS,
start); unpaid at that deadline, the sweep (payments.tasks.release_overdue_invoices, on beat)
releases the booking: cancelled with the reason, the invoice expired, its pending charges
expired, the resident told. An invoice whose booking ends otherwise is cancelled."""

import datetime as dt
import threading

import pytest
from django.db import connection

from bookings import services as booking_services
from bookings.models import Booking, BookingStatus, Notification
from haidepok import clock
from haidepok.celery import app
from payments import charges, invoicing, tasks, webhooks
from payments import services as payment_services
from payments.gateways import simulator
from payments.models import Charge, ChargeState, Invoice, InvoiceState, Payment
from payments.services import invoices_release_overdue
from tests.factories import (
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    open_facility,
    priced_facility,
    request_booking,
    wib,
)

NOW = wib(2027, 3, 1, 9)


def priced_request(start, *, approval="city", now=NOW, hours=1, **kwargs):
    facility = priced_facility(approval=approval, lead_hours=0, **kwargs)
    return request_booking(
        facility, start, start + dt.timedelta(hours=hours), now=now, tariff_class="sosial"
    )


def approve(booking, now=NOW):
    return booking_services.booking_approve(
        booking=booking, actor=UserFactory(is_staff=True), now=now
    )


def refreshed(*objects):
    for obj in objects:
        obj.refresh_from_db()
    return objects


# --- The deadline -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_deadline_is_payment_due_hours_after_the_approval():
    booking = approve(priced_request(wib(2027, 3, 10, 9)))

    invoice = booking.invoice
    assert (invoice.issued_at, invoice.due_at) == (NOW, NOW + dt.timedelta(hours=48))
    assert (invoice.amount, invoice.state, invoice.closed_at) == (50_000, "unpaid", None)


@pytest.mark.django_db
def test_the_deadline_is_the_start_when_that_comes_first():
    booking = approve(priced_request(wib(2027, 3, 2, 13)))

    assert booking.invoice.due_at == wib(2027, 3, 2, 13)


@pytest.mark.django_db
def test_the_hours_to_pay_are_a_setting(settings):
    settings.PAYMENT_DUE_HOURS = 6

    booking = approve(priced_request(wib(2027, 3, 10, 9)))

    assert booking.invoice.due_at == NOW + dt.timedelta(hours=6)


@pytest.mark.django_db
def test_the_invoice_number_has_the_year_in_wib():
    # 06.00 WIB on New Year's Day is still the old year in UTC, as clock.now() gives it.
    new_year = wib(2028, 1, 1, 6).astimezone(dt.UTC)
    booking = approve(priced_request(wib(2028, 1, 5, 9), now=new_year), now=new_year)

    assert booking.invoice.number == f"TGH-2028-{booking.pk:06d}"


@pytest.mark.django_db
def test_an_auto_approved_priced_booking_gets_its_invoice_at_once():
    booking = priced_request(wib(2027, 3, 10, 9), approval="auto", hours=3)

    invoice = Invoice.objects.get(booking=booking)
    assert (invoice.amount, invoice.issued_at, invoice.state) == (150_000, NOW, "unpaid")


@pytest.mark.django_db
def test_a_priced_request_has_no_invoice_until_it_is_approved():
    booking = priced_request(wib(2027, 3, 10, 9))

    assert booking.price_total == 50_000
    assert not Invoice.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("approval", ["auto", "city"])
def test_a_free_booking_never_gets_an_invoice(approval):
    untariffed = open_facility(approval=approval, lead_hours=0)
    free_class = priced_facility(approval=approval, lead_hours=0)
    start = wib(2027, 3, 10, 9)

    bookings = [
        request_booking(untariffed, start, start + dt.timedelta(hours=2), now=NOW),
        request_booking(
            free_class, start, start + dt.timedelta(hours=2), now=NOW, tariff_class="gratis"
        ),
    ]
    for booking in bookings:
        if booking.status == BookingStatus.REQUESTED:
            approve(booking)
        booking.refresh_from_db()
        assert (booking.status, booking.price_total) == (BookingStatus.APPROVED, 0)

    assert not Invoice.objects.exists()
    assert invoices_release_overdue(now=start) == 0
    assert Booking.objects.filter(status=BookingStatus.APPROVED).count() == 2


# --- The release ------------------------------------------------------------------------------


@pytest.fixture
def overdue():
    """An approved booking (Rp 50.000) with a pending QRIS charge; its deadline: NOW + 48 h."""
    booking = approve(priced_request(wib(2027, 3, 10, 9)))
    charge = charges.charge_for(booking.invoice, "qris", now=NOW)
    return booking, booking.invoice, charge


@pytest.mark.django_db
def test_an_invoice_paid_before_the_deadline_keeps_its_booking(overdue):
    booking, invoice, charge = overdue
    payment_services.payment_record_manual(
        invoice=invoice,
        actor=UserFactory(is_staff=True),
        method="transfer",
        amount=50_000,
        external_reference="BNI 123456",
        paid_at=NOW + dt.timedelta(hours=1),
        now=NOW + dt.timedelta(hours=1),
    )

    assert invoices_release_overdue(now=invoice.due_at + dt.timedelta(days=1)) == 0

    booking, invoice = refreshed(booking, invoice)
    assert (booking.status, invoice.state) == (BookingStatus.APPROVED, InvoiceState.PAID)


@pytest.mark.django_db
def test_an_invoice_unpaid_at_its_deadline_releases_its_booking(overdue):
    booking, invoice, charge = overdue
    deadline = invoice.due_at

    assert invoices_release_overdue(now=deadline - dt.timedelta(seconds=1)) == 0
    assert invoices_release_overdue(now=deadline) == 1

    booking, invoice, charge = refreshed(booking, invoice, charge)
    assert booking.status == BookingStatus.CANCELLED
    assert (invoice.state, invoice.closed_at) == (InvoiceState.EXPIRED, deadline)
    assert charge.state == ChargeState.EXPIRED
    event = booking.events.last()
    assert (event.from_status, event.to_status, event.actor) == ("approved", "cancelled", None)
    assert event.reason == str(booking_services.UNPAID_REASON)
    mail = Notification.objects.get(booking=booking, kind="cancelled")
    assert (mail.recipient, mail.event) == (booking.user, event)
    # The time is free for others again.
    other = request_booking(
        booking.facility, booking.start, booking.end, now=deadline, tariff_class="sosial"
    )
    assert other.status == BookingStatus.REQUESTED


@pytest.mark.django_db
def test_running_the_sweep_twice_releases_once(overdue):
    booking, invoice, charge = overdue

    assert invoices_release_overdue(now=invoice.due_at) == 1
    assert invoices_release_overdue(now=invoice.due_at + dt.timedelta(minutes=5)) == 0

    assert booking.events.filter(to_status="cancelled").count() == 1
    assert Notification.objects.filter(booking=booking, kind="cancelled").count() == 1


@pytest.mark.django_db
def test_invoices_not_yet_due_are_left_alone(overdue):
    booking, invoice, charge = overdue
    a_day_later = NOW + dt.timedelta(days=1)
    later = approve(priced_request(wib(2027, 3, 20, 9), now=a_day_later), now=a_day_later)

    assert invoices_release_overdue(now=invoice.due_at) == 1

    (later,) = refreshed(later)
    assert later.status == BookingStatus.APPROVED
    assert later.invoice.state == InvoiceState.UNPAID


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["resident", "staff"])
def test_a_cancelled_booking_s_unpaid_invoice_is_cancelled(overdue, who):
    booking, invoice, charge = overdue
    actor = booking.user if who == "resident" else UserFactory(is_staff=True)

    booking_services.booking_cancel(booking=booking, actor=actor, reason="Acara batal", now=NOW)

    (invoice,) = refreshed(invoice)
    assert (invoice.state, invoice.closed_at) == (InvoiceState.CANCELLED, NOW)
    assert invoices_release_overdue(now=invoice.due_at) == 0
    assert Notification.objects.filter(booking=booking, kind="cancelled").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("ending", ["rejected", "expired", "cancelled"])
def test_an_ending_status_closes_an_unpaid_invoice_and_leaves_a_paid_one(overdue, ending):
    booking, invoice, charge = overdue

    invoicing.booking_status_changed(booking, ending, now=NOW)

    (invoice,) = refreshed(invoice)
    assert invoice.state == InvoiceState.CANCELLED
    Invoice.objects.filter(pk=invoice.pk).update(state="paid")
    invoicing.booking_status_changed(booking, ending, now=NOW)
    (invoice,) = refreshed(invoice)
    assert invoice.state == InvoiceState.PAID


@pytest.mark.django_db
def test_a_booking_that_ended_otherwise_lets_its_invoice_expire_alone(overdue):
    # The sweep ran late: the booking was completed meanwhile.
    booking, invoice, charge = overdue
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.COMPLETED)

    assert invoices_release_overdue(now=booking.end) == 1

    booking, invoice = refreshed(booking, invoice)
    assert (booking.status, invoice.state) == (BookingStatus.COMPLETED, InvoiceState.EXPIRED)


@pytest.mark.django_db
def test_the_task_runs_the_sweep():
    real_now = clock.now()
    start = clock.local_datetime(clock.local_now().date() + dt.timedelta(days=3), dt.time(10))
    # Approved 49 hours ago: the deadline passed an hour ago.
    booking = priced_request(start, approval="auto", now=real_now - dt.timedelta(hours=49))

    assert tasks.release_overdue_invoices() == 1

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert tasks.release_overdue_invoices() == 0


def test_the_sweep_is_on_beat_s_schedule():
    scheduled = {entry["task"]: entry for entry in app.conf.beat_schedule.values()}

    entry = scheduled["payments.tasks.release_overdue_invoices"]
    assert entry["options"]["expires"] < 5 * 60  # before the next run: no pile-up


# --- At the same moment (PostgreSQL) ----------------------------------------------------------


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
    assert not any(thread.is_alive() for thread in threads), "a thread never returned"
    return outcomes


def real_time_invoice():
    """An approved booking three days ahead whose deadline is a moment away, with a charge."""
    real_now = clock.now()
    start = clock.local_datetime(clock.local_now().date() + dt.timedelta(days=3), dt.time(10))
    booking = priced_request(start, approval="auto", now=real_now - dt.timedelta(hours=48))
    invoice = Invoice.objects.get(booking=booking)
    charge = Charge.objects.create(
        invoice=invoice,
        gateway="simulator",
        method="qris",
        order_id=f"{invoice.number}-RACE01",
        gateway_reference=f"SIM-RACE-{invoice.pk}",
        amount=invoice.amount,
        qr_string="000201",
        expires_at=invoice.due_at,
    )
    return booking, invoice, charge


def notify_paid(charge):
    body = simulator.notification_body(
        order_id=charge.order_id,
        transaction_id=charge.gateway_reference,
        amount=charge.amount,
        status="paid",
        paid_at=clock.now(),
    )
    status, _log = webhooks.receive(
        "simulator", body, {simulator.SIGNATURE_HEADER: simulator.sign(body)}
    )
    return status


def pause_in(monkeypatch, module, name, started: threading.Event, seconds=0.5):
    """Make module.name signal `started` and hold its transaction open for a moment."""
    original = getattr(module, name)

    def paused(*args, **kwargs):
        started.set()
        threading.Event().wait(seconds)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, paused)


@on_postgresql
@pytest.mark.parametrize("first", ["sweep", "payment", "as-it-comes"])
def test_a_payment_and_the_sweep_at_once_end_paid_and_kept_or_released_and_refunded(
    monkeypatch, first
):
    booking, invoice, charge = real_time_invoice()
    started = threading.Event()
    if first == "sweep":
        pause_in(monkeypatch, payment_services, "booking_release_unpaid", started)
    elif first == "payment":
        pause_in(monkeypatch, payment_services, "notify_payment_received", started)
    else:
        started.set()

    def sweep():
        if first == "payment":
            started.wait(timeout=10)
        return invoices_release_overdue()

    def pay():
        if first == "sweep":
            started.wait(timeout=10)
        return notify_paid(charge)

    released, status = together(sweep, pay)

    assert status == 200, status
    booking, invoice = refreshed(booking, invoice)
    payment = Payment.objects.get(invoice=invoice)
    kept = (booking.status, invoice.state, payment.needs_refund, released) == (
        BookingStatus.APPROVED,
        InvoiceState.PAID,
        False,
        0,
    )
    refunded = (booking.status, invoice.state, payment.needs_refund, released) == (
        BookingStatus.CANCELLED,
        InvoiceState.EXPIRED,
        True,
        1,
    )
    assert kept or refunded, (booking.status, invoice.state, payment.needs_refund, released)
    if first == "sweep":
        assert refunded
    if first == "payment":
        assert kept


@on_postgresql
def test_the_sweep_and_a_cancellation_at_once_do_not_deadlock(monkeypatch):
    booking, invoice, charge = real_time_invoice()
    cancelling = threading.Event()
    pause_in(monkeypatch, invoicing, "booking_status_changed", cancelling)

    def cancel():
        booking_services.booking_cancel(booking=booking, actor=booking.user)
        return "cancelled"

    def sweep():
        cancelling.wait(timeout=10)
        return invoices_release_overdue()

    outcomes = together(cancel, sweep)

    assert outcomes == ["cancelled", 0], outcomes
    booking, invoice = refreshed(booking, invoice)
    assert (booking.status, invoice.state) == (BookingStatus.CANCELLED, InvoiceState.CANCELLED)
    assert booking.events.filter(to_status="cancelled").count() == 1
