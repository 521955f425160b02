"""The mails of retribusi, rendered by the real outbox (bookings.outbox.rendering) and sent
in-process as a worker sends them: the price in the request's receipt and in the deciders'
mail, the invoice in the approval, the proof of payment (bukti bayar), and the release of a
booking left unpaid. Times in WIB, amounts in rupiah, in the resident's language."""

import datetime as dt

import pytest
from django.core import mail

from bookings import services
from bookings.models import BOOKING_KINDS, Notification
from bookings.outbox import delivery, rendering
from haidepok import clock
from payments import charges, webhooks
from payments.gateways import simulator
from payments.models import Invoice, Payment
from payments.services import invoices_release_overdue, payment_record_manual
from tests.factories import (
    AddOnFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    open_facility,
    priced_facility,
    request_booking,
    wib,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

NOW = wib(2027, 2, 20, 10)  # a Saturday
START, END = wib(2027, 3, 1, 10), wib(2027, 3, 1, 13)  # a Monday morning, three hours
SITE = "http://127.0.0.1:8000"
Kind = Notification.Kind


@pytest.fixture
def staff():
    return UserFactory(email="staf@example.test", is_staff=True, language="en")


@pytest.fixture
def facility():
    """Sosial Rp 50.000 and komersial Rp 150.000 per hour; sound systems at Rp 75.000."""
    facility = priced_facility(
        approval="city", name="Balai Rakyat Beji", address="Jl. Bojong Sari No. 1, Beji"
    )
    facility.sound = AddOnFactory(
        community=facility.community,
        name="Sound system",
        price=75_000,
        stock=3,
        offered_at=[facility],
    )
    return facility


def resident(language: str):
    return UserFactory(email="siti@example.test", full_name="Siti", language=language)


def priced_request(facility, language="en", **kwargs):
    """Commercial, 10:00–13:00 with two sound systems: 3 × 150.000 + 2 × 75.000 = 600.000."""
    return request_booking(
        facility,
        START,
        END,
        now=NOW,
        user=resident(language),
        tariff_class="komersial",
        addons={facility.sound.pk: 2},
        purpose="Arisan & syukuran",
        **kwargs,
    )


def approved(facility, staff, language="en", *, now=NOW):
    booking = priced_request(facility, language)
    Notification.objects.all().delete()  # the request's own; the approval's follow
    services.booking_approve(booking=booking, actor=staff, now=now)
    return booking


def send_all() -> list:
    for pk in Notification.objects.filter(state="pending").values_list("pk", flat=True):
        delivery.deliver(pk)
    return mail.outbox


def mail_to(address: str, kind: str):
    """The one mail of `kind` sent to `address` (known by its row's Message-ID)."""
    [notification] = Notification.objects.filter(address=address, kind=kind, state="sent")
    message_id = rendering.message_id(notification)
    [message] = [m for m in mail.outbox if m.extra_headers.get("Message-ID") == message_id]
    assert message.to == [address]
    return message


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def attachment_names(message) -> list[str]:
    return [part.get_filename() for part in message.message().walk() if part.get_filename()]


def pay_manually(booking, staff, *, paid_at=NOW + dt.timedelta(hours=3)):
    invoice = Invoice.objects.get(booking=booking)
    payment = payment_record_manual(
        invoice=invoice,
        actor=staff,
        method="transfer",
        amount=invoice.amount,
        external_reference="TRF 0042",
        paid_at=paid_at,
        now=paid_at + dt.timedelta(hours=1),
    )
    return invoice, payment


# --- The price, before it is approved --------------------------------------------------------


def test_the_request_received_mail_states_the_price(facility):
    booking = priced_request(facility)
    send_all()

    message = mail_to("siti@example.test", Kind.REQUEST_RECEIVED)
    assert "This booking costs Rp 600.000" in message.body
    assert "we will then send you the invoice" in message.body
    assert "Tariff class: Commercial" in message.body
    assert "Use of the facility, per hour: 3 × Rp 150.000 = Rp 450.000" in message.body
    assert "Sound system: 2 × Rp 75.000 = Rp 150.000" in message.body
    assert "Total: Rp 600.000" in message.body
    html = html_of(message)
    assert "<strong>Rp 600.000</strong>" in html
    assert "Arisan &amp; syukuran" in html
    assert booking.reference in message.body


def test_the_request_received_mail_of_a_free_facility_names_no_price():
    request_booking(open_facility(), START, END, now=NOW, user=resident("en"))
    send_all()

    message = mail_to("siti@example.test", Kind.REQUEST_RECEIVED)
    assert "Rp" not in message.body
    assert "Total" not in message.body
    assert "invoice" not in message.body


def test_the_free_class_says_free_and_asks_no_payment(facility):
    request_booking(facility, START, END, now=NOW, user=resident("en"), tariff_class="gratis")
    send_all()

    message = mail_to("siti@example.test", Kind.REQUEST_RECEIVED)
    assert "Tariff class: Free of charge" in message.body
    assert "Use of the facility, per hour: Free" in message.body
    assert "Total: Free" in message.body
    assert "invoice" not in message.body


def test_the_deciders_see_the_class_and_the_price(facility, staff):
    booking = priced_request(facility)
    send_all()

    message = mail_to("staf@example.test", Kind.NEW_REQUEST)
    assert booking.reference in message.subject
    assert "Tariff class: Commercial" in message.body
    assert "Total: Rp 600.000" in message.body


# --- The invoice, with the approval -----------------------------------------------------------


def test_the_approval_mail_carries_the_invoice_and_its_deadline(facility, staff):
    booking = approved(facility, staff)
    send_all()

    invoice = Invoice.objects.get(booking=booking)
    message = mail_to("siti@example.test", Kind.APPROVED)
    pay_url = f"{SITE}/booking-saya/{booking.reference}/bayar/"
    assert (
        f"Please pay invoice {invoice.number} of Rp 600.000 by Monday, 22 February 2027, "
        "10.00 WIB. If it is not paid by then, the booking is released and the time is free "
        "for others."
    ) in message.body
    assert f"Invoice number: {invoice.number}" in message.body
    assert "Amount: Rp 600.000" in message.body
    assert "Pay by: Monday, 22 February 2027, 10.00 WIB" in message.body
    assert "Sound system: 2 × Rp 75.000 = Rp 150.000" in message.body
    assert pay_url in message.body
    html = html_of(message)
    assert f'href="{pay_url}"' in html
    assert invoice.number in html
    # Still the approval: with its calendar invitation.
    assert attachment_names(message) == ["invitation.ics"]


def test_the_deadline_is_the_start_when_that_comes_first_in_wib(facility, staff):
    # Approved on the Sunday evening: 48 hours would pass the Monday 10:00 start.
    booking = approved(facility, staff, now=wib(2027, 2, 28, 20))
    send_all()

    assert Invoice.objects.get(booking=booking).due_at == START
    message = mail_to("siti@example.test", Kind.APPROVED)
    assert "Pay by: Monday, 1 March 2027, 10.00 WIB" in message.body


def test_the_approval_mail_in_indonesian(facility, staff):
    booking = approved(facility, staff, language="id")
    send_all()

    invoice = Invoice.objects.get(booking=booking)
    message = mail_to("siti@example.test", Kind.APPROVED)
    # Django's own catalogue names days and months; times in WIB; rupiah with dots.
    assert "Senin, 22 Februari 2027, 10.00 WIB" in message.body
    assert "Senin, 1 Maret 2027, 10.00–13.00 WIB" in message.body
    assert invoice.number in message.body
    assert "Rp 600.000" in message.body
    assert f"{SITE}/booking-saya/{booking.reference}/bayar/" in message.body
    assert '<html lang="id">' in html_of(message)
    assert "Senin, 22 Februari 2027" in html_of(message)


def test_an_approval_of_a_free_booking_asks_no_payment(staff):
    facility = open_facility(approval="city")
    booking = request_booking(facility, START, END, now=NOW, user=resident("en"))
    services.booking_approve(booking=booking, actor=staff, now=NOW)
    send_all()

    message = mail_to("siti@example.test", Kind.APPROVED)
    assert "invoice" not in message.body.lower()
    assert "/bayar/" not in message.body


def test_an_approval_sent_after_the_payment_says_it_is_paid(facility, staff):
    """A mail retried late: it tells what is true when it goes, not what was."""
    booking = approved(facility, staff)
    invoice, _payment = pay_manually(booking, staff)
    send_all()

    message = mail_to("siti@example.test", Kind.APPROVED)
    assert f"Invoice {invoice.number} is already paid" in message.body
    assert "/bayar/" not in message.body


# --- The proof of payment (bukti bayar) -------------------------------------------------------


def test_the_receipt_mail_is_the_proof_of_payment(facility, staff):
    booking = approved(facility, staff)
    send_all()
    mail.outbox.clear()
    invoice, payment = pay_manually(booking, staff)

    send_all()

    message = mail_to("siti@example.test", Kind.PAYMENT_RECEIVED)
    assert message.subject == f"Proof of payment for booking {booking.reference}: Balai Rakyat Beji"
    assert "This mail is your proof of payment (bukti bayar)" in message.body
    assert f"Receipt number: {payment.receipt_number}" in message.body
    assert payment.receipt_number.startswith("BB-2027-")
    assert f"Invoice number: {invoice.number}" in message.body
    assert "Amount paid: Rp 600.000" in message.body
    assert "Method: Bank transfer" in message.body
    # Recorded at 13.00 WIB (06:00 UTC): shown in WIB.
    assert "Paid at: Saturday, 20 February 2027, 13.00 WIB" in message.body
    assert "When: Monday, 1 March 2027, 10.00–13.00 WIB" in message.body
    assert "Facility: Balai Rakyat Beji" in message.body
    receipt_url = f"{SITE}/booking-saya/{booking.reference}/bukti-bayar/"
    assert receipt_url in message.body
    html = html_of(message)
    assert f'href="{receipt_url}"' in html
    assert f"<strong>{payment.receipt_number}</strong>" in html
    assert attachment_names(message) == []
    # To the resident only, once.
    assert [m.to for m in mail.outbox] == [["siti@example.test"]]


def test_the_receipt_mail_in_indonesian(facility, staff):
    booking = approved(facility, staff, language="id")
    _invoice, payment = pay_manually(booking, staff)
    send_all()

    message = mail_to("siti@example.test", Kind.PAYMENT_RECEIVED)
    assert booking.reference in message.subject
    assert payment.receipt_number in message.body
    assert "Sabtu, 20 Februari 2027, 13.00 WIB" in message.body
    assert "Senin, 1 Maret 2027, 10.00–13.00 WIB" in message.body
    assert "Rp 600.000" in message.body
    assert f"{SITE}/booking-saya/{booking.reference}/bukti-bayar/" in message.body
    assert '<html lang="id">' in html_of(message)


def test_a_payment_through_the_gateway_sends_its_receipt_once(facility, staff):
    booking = approved(facility, staff)
    invoice = Invoice.objects.get(booking=booking)
    charge = charges.charge_for(invoice, "qris", now=NOW)
    body = simulator.notification_body(
        order_id=charge.order_id,
        transaction_id=charge.gateway_reference,
        amount=charge.amount,
        status="paid",
        paid_at=NOW + dt.timedelta(minutes=5),
    )
    headers = {simulator.SIGNATURE_HEADER: simulator.sign(body)}
    webhooks.receive("simulator", body, headers)
    webhooks.receive("simulator", body, headers)  # the gateway says it twice

    send_all()

    message = mail_to("siti@example.test", Kind.PAYMENT_RECEIVED)
    assert "Method: QRIS" in message.body
    # The gateway's moment (never later than when it told us), in WIB.
    payment = Payment.objects.get(invoice=invoice)
    assert f"{clock.to_local(payment.paid_at):%H.%M} WIB" in message.body.split("Paid at: ")[1]
    assert Notification.objects.filter(kind=Kind.PAYMENT_RECEIVED).count() == 1


# --- The release of a booking left unpaid -----------------------------------------------------


def test_a_booking_released_unpaid_is_told_why_in_the_resident_s_words(facility, staff):
    booking = approved(facility, staff)
    send_all()
    mail.outbox.clear()

    assert invoices_release_overdue(now=NOW + dt.timedelta(hours=48)) == 1
    send_all()

    invoice = Invoice.objects.get(booking=booking)
    message = mail_to("siti@example.test", Kind.CANCELLED)
    assert message.subject == (
        f"Booking {booking.reference} released, not paid in time: Balai Rakyat Beji"
    )
    assert (
        f"Your booking of Balai Rakyat Beji has been released: its invoice {invoice.number} "
        "was not paid by the deadline, Monday, 22 February 2027, 10.00 WIB, so the time is "
        "free for others again."
    ) in message.body
    # Not the event's reason as the sweep wrote it (in the language it happened to run in).
    assert "Reason" not in message.body
    assert "The attached file takes it out of your calendar." in message.body
    assert attachment_names(message) == ["cancellation.ics"]
    assert f"{SITE}/fasilitas/{facility.slug}/" in message.body


def test_the_release_mail_in_indonesian(facility, staff):
    booking = approved(facility, staff, language="id")
    invoices_release_overdue(now=NOW + dt.timedelta(hours=48))
    send_all()

    message = mail_to("siti@example.test", Kind.CANCELLED)
    assert booking.reference in message.subject
    assert Invoice.objects.get(booking=booking).number in message.body
    assert "Senin, 22 Februari 2027, 10.00 WIB" in message.body
    assert '<html lang="id">' in html_of(message)


def test_a_cancellation_by_the_resident_is_not_a_release(facility, staff):
    booking = approved(facility, staff)
    services.booking_cancel(booking=booking, actor=booking.user, reason="Hujan", now=NOW)
    send_all()

    message = mail_to("siti@example.test", Kind.CANCELLED)
    assert "As you asked, your booking of Balai Rakyat Beji is cancelled." in message.body
    assert "released" not in message.body
    assert message.subject == f"Booking {booking.reference} cancelled: Balai Rakyat Beji"


# --- Every kind, for a priced booking ---------------------------------------------------------


# The mails that show the price: the request's, the approval and the receipt.
PRICED_KINDS = {Kind.REQUEST_RECEIVED, Kind.NEW_REQUEST, Kind.APPROVED, Kind.PAYMENT_RECEIVED}


@pytest.mark.parametrize("paid", [False, True], ids=["unpaid", "paid"])
def test_every_booking_kind_renders_for_a_priced_booking(facility, staff, paid):
    booking = approved(facility, staff)
    if paid:
        pay_manually(booking, staff)
    for kind in BOOKING_KINDS:
        for language in ("id", "en"):
            message = rendering.render(
                Notification(
                    booking=booking,
                    event=booking.events.last(),
                    kind=kind,
                    recipient=booking.user,
                    address="siti@example.test",
                    language=language,
                )
            )
            if kind in PRICED_KINDS:
                assert "Rp 600.000" in message.text, kind
                assert "Rp 600.000" in message.html, kind
            assert booking.reference in message.text or kind == Kind.REMINDER
            assert "{%" not in message.text + message.html
            assert message.subject and "\n" not in message.subject
