"""Paying a booking on the site: the invoice on the booking page, the pay page (a QRIS code
as inline SVG or a virtual account, the same charge again on reload), the simulator gateway's
page that pays through the signed webhook, and the receipt. Only the resident sees their own
invoice and receipt; the simulator exists only when it is the gateway."""

import datetime as dt

import pytest
from django.utils.translation import gettext

from bookings import services
from bookings.models import BookingStatus
from haidepok import clock
from payments.gateways import GatewayUnavailable
from payments.gateways.simulator import SimulatorGateway
from payments.models import Charge, ChargeState, Invoice, InvoiceState, Payment, WebhookLog
from tests.factories import (
    MembershipFactory,
    UserFactory,
    open_facility,
    priced_facility,
    request_booking,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking():
    """An approved (automatically) priced booking with its unpaid invoice: Rp 100.000."""
    facility = priced_facility(name="Gedung Serbaguna Sawangan", approval="auto", lead_hours=0)
    start = clock.local_datetime(clock.local_now().date() + dt.timedelta(days=4), dt.time(9))
    booking = request_booking(
        facility, start, start + dt.timedelta(hours=2), now=clock.now(), tariff_class="sosial"
    )
    assert booking.status == BookingStatus.APPROVED
    assert booking.invoice.amount == 100_000
    return booking


@pytest.fixture
def owner(client, booking):
    client.force_login(booking.user)
    return booking.user


def pay_url(booking) -> str:
    return f"/booking-saya/{booking.reference}/bayar/"


def receipt_url(booking) -> str:
    return f"/booking-saya/{booking.reference}/bukti-bayar/"


def simulator_url(charge) -> str:
    return f"/simulator-bayar/{charge.order_id}/"


def pay_in_simulator(client, booking, method="qris"):
    client.post(pay_url(booking), {"method": method})
    charge = Charge.objects.get(invoice=booking.invoice, method=method)
    return charge, client.post(simulator_url(charge))


def test_the_booking_page_shows_the_invoice_and_the_ways_to_pay(client, owner, booking):
    invoice = booking.invoice

    page = client.get(f"/booking-saya/{booking.reference}/").content.decode()

    assert invoice.number in page and "Rp 100.000" in page
    assert "2 × Rp 50.000" in page  # the price lines
    assert str(InvoiceState.UNPAID.label) in page or gettext("Unpaid") in page
    assert clock.to_local(invoice.due_at).strftime("%H.%M") + " WIB" in page
    assert f'action="{pay_url(booking)}"' in page
    assert 'name="method" value="qris"' in page and 'name="method" value="va"' in page
    assert gettext("Pay with QRIS") in page


def test_the_qris_charge_is_an_inline_svg_and_the_same_on_reload(client, owner, booking):
    first = client.post(pay_url(booking), {"method": "qris"})
    again = client.post(pay_url(booking), {"method": "qris"})

    charge = Charge.objects.get()
    assert (charge.method, charge.amount, charge.state) == ("qris", 100_000, ChargeState.PENDING)
    assert first.context["charge"] == again.context["charge"] == charge
    page = again.content.decode()
    assert '<svg viewBox="' in page and 'class="qr-code"' in page and "<img" not in page
    assert simulator_url(charge) in page  # the simulator is the gateway here
    assert clock.to_local(charge.expires_at).strftime("%H.%M") in page


def test_a_virtual_account_shows_its_bank_and_number(client, owner, booking):
    page = client.post(pay_url(booking), {"method": "va"}).content.decode()

    charge = Charge.objects.get()
    assert charge.va_number and charge.va_number in page
    assert charge.va_bank.upper() in page and 'class="qr"' not in page


def test_a_bad_method_is_refused_politely_and_makes_no_charge(client, owner, booking):
    for method in ("bitcoin", "", "transfer", "cash"):
        response = client.post(pay_url(booking), {"method": method})
        assert response.status_code == 400
        assert gettext("Choose QRIS or virtual account.") in response.content.decode()
    assert not Charge.objects.exists()


def test_the_gateway_being_down_is_said_politely(client, owner, booking, monkeypatch):
    def down(self, request):
        raise GatewayUnavailable("timeout")

    monkeypatch.setattr(SimulatorGateway, "create_charge", down)

    response = client.post(pay_url(booking), {"method": "qris"})

    assert response.status_code == 200
    assert response.context["error"] == gettext(
        "Online payment is not available right now. Please try again later or pay at the counter."
    )
    assert not Charge.objects.exists()


def test_paying_in_the_simulator_shows_the_receipt_on_the_booking_page(client, owner, booking):
    client.post(pay_url(booking), {"method": "qris"})
    charge = Charge.objects.get()
    simulator_page = client.get(simulator_url(charge)).content.decode()
    assert charge.order_id in simulator_page and "Rp 100.000" in simulator_page
    assert gettext("Pay") in simulator_page

    response = client.post(simulator_url(charge))

    assert response.status_code == 302
    assert response["Location"] == f"/booking-saya/{booking.reference}/"
    payment = Payment.objects.get()
    assert (payment.amount, payment.method, payment.gateway) == (100_000, "qris", "simulator")
    assert WebhookLog.objects.get().outcome == "paid"  # through the signed webhook
    booking.invoice.refresh_from_db()
    assert booking.invoice.state == InvoiceState.PAID
    page = client.get(response["Location"]).content.decode()
    assert payment.receipt_number in page and receipt_url(booking) in page
    assert gettext("Payment received. Thank you!") in page
    assert 'name="method"' not in page  # nothing left to pay
    receipt = client.get(receipt_url(booking)).content.decode()
    assert payment.receipt_number in receipt and booking.invoice.number in receipt
    assert "Rp 100.000" in receipt and booking.facility.name in receipt
    # The pay page of a paid invoice leads back to the receipt.
    assert client.get(pay_url(booking))["Location"] == f"/booking-saya/{booking.reference}/"


def test_the_simulator_pays_a_code_once(client, owner, booking):
    charge, _first = pay_in_simulator(client, booking)

    again = client.post(simulator_url(charge), follow=True)

    assert Payment.objects.count() == 1
    assert WebhookLog.objects.count() == 1
    assert gettext("This payment code is closed: it was paid or has expired.") in (
        again.content.decode()
    )


def test_the_simulator_does_not_pay_an_expired_code(client, owner, booking):
    client.post(pay_url(booking), {"method": "qris"})
    charge = Charge.objects.get()
    Charge.objects.filter(pk=charge.pk).update(expires_at=clock.now() - dt.timedelta(minutes=1))

    client.post(simulator_url(charge))

    assert not Payment.objects.exists()
    assert not WebhookLog.objects.exists()


def test_a_cancelled_booking_s_code_is_closed_in_the_simulator(client, owner, booking):
    client.post(pay_url(booking), {"method": "qris"})
    charge = Charge.objects.get()
    services.booking_cancel(booking=booking, actor=owner, reason="Acara batal")

    response = client.post(simulator_url(charge), follow=True)

    assert not Payment.objects.exists()
    assert Charge.objects.get().state == ChargeState.EXPIRED
    assert any(message.level_tag == "error" for message in response.context["messages"])


def test_money_for_a_cancelled_booking_is_kept_to_refund_and_no_receipt(client, owner, booking):
    """A real gateway does not know that our code closed: its payment is still recorded."""
    from payments import webhooks
    from payments.gateways import simulator

    client.post(pay_url(booking), {"method": "qris"})
    charge = Charge.objects.get()
    services.booking_cancel(booking=booking, actor=owner, reason="Acara batal")
    body = simulator.notification_body(
        order_id=charge.order_id,
        transaction_id=charge.gateway_reference,
        amount=charge.amount,
        status="paid",
        paid_at=clock.now(),
    )

    webhooks.receive("simulator", body, {simulator.SIGNATURE_HEADER: simulator.sign(body)})

    payment = Payment.objects.get()
    assert payment.needs_refund
    response = client.get(f"/booking-saya/{booking.reference}/")
    assert payment.receipt_number not in response.content.decode()
    assert response.context["receipt"] is None


def test_the_simulator_needs_no_sign_in_but_only_pays_the_exact_charge(client, owner, booking):
    client.post(pay_url(booking), {"method": "va"})
    charge = Charge.objects.get()
    client.logout()

    # Any posted amount is ignored: the simulator sends the charge's own.
    response = client.post(simulator_url(charge), {"amount": "1"})

    assert response.status_code == 302
    assert Payment.objects.get().amount == 100_000
    assert client.get(response["Location"]).status_code == 302  # the booking needs sign-in


def test_the_simulator_is_not_there_with_a_real_gateway(client, owner, booking, settings):
    client.post(pay_url(booking), {"method": "qris"})
    charge = Charge.objects.get()
    settings.PAYMENT_GATEWAY = "midtrans"

    assert client.get(simulator_url(charge)).status_code == 404
    assert client.post(simulator_url(charge)).status_code == 404
    assert not Payment.objects.exists()
    settings.PAYMENT_GATEWAY = "simulator"
    assert client.get("/simulator-bayar/TGH-2027-000001-ABCDEF/").status_code == 404


def test_an_invoice_past_its_deadline_cannot_be_paid_online(client, owner, booking):
    Invoice.objects.filter(pk=booking.invoice.pk).update(due_at=clock.now())

    get = client.get(pay_url(booking))
    post = client.post(pay_url(booking), {"method": "qris"})
    detail = client.get(f"/booking-saya/{booking.reference}/").content.decode()

    assert gettext("This invoice cannot be paid online any more.") in get.content.decode()
    assert post.context["charge"] is None and not Charge.objects.exists()
    assert 'name="method"' not in detail


def test_a_cancelled_booking_has_nothing_to_pay(client, owner, booking):
    services.booking_cancel(booking=booking, actor=owner, reason="Batal")

    post = client.post(pay_url(booking), {"method": "qris"})
    detail = client.get(f"/booking-saya/{booking.reference}/").content.decode()

    assert not Charge.objects.exists() and post.context["payable"] is False
    assert gettext("Cancelled") in detail and 'name="method"' not in detail


# --- Who may see what -----------------------------------------------------------------------


def test_only_the_resident_sees_their_invoice_and_receipt(client, booking):
    cast = {
        "another resident": UserFactory(),
        "an organizer of the facility's community": MembershipFactory(
            community=booking.facility.community
        ).user,
        "an organizer of another community": MembershipFactory().user,
        "Pemkot staff": UserFactory(is_staff=True),
    }
    client.force_login(booking.user)
    pay_in_simulator(client, booking)
    for who, user in cast.items():
        client.force_login(user)
        assert client.get(pay_url(booking)).status_code == 404, who
        assert client.post(pay_url(booking), {"method": "qris"}).status_code == 404, who
        assert client.get(receipt_url(booking)).status_code == 404, who
    assert Charge.objects.count() == 1
    client.logout()
    assert client.get(pay_url(booking))["Location"].startswith("/akun/login/")
    assert client.get(receipt_url(booking))["Location"].startswith("/akun/login/")


def test_no_receipt_before_payment_and_no_pay_page_without_an_invoice(client):
    resident = UserFactory()
    client.force_login(resident)
    start = clock.local_datetime(clock.local_now().date() + dt.timedelta(days=4), dt.time(9))
    free = request_booking(
        open_facility(approval="auto", lead_hours=0),
        start,
        start + dt.timedelta(hours=1),
        now=clock.now(),
        user=resident,
    )
    priced = request_booking(
        priced_facility(lead_hours=0),  # decided by the city: no invoice yet
        start,
        start + dt.timedelta(hours=1),
        now=clock.now(),
        user=resident,
        tariff_class="sosial",
    )

    for booking in (free, priced):
        assert client.get(pay_url(booking)).status_code == 404
        assert client.get(receipt_url(booking)).status_code == 404
    assert "Rp 50.000" in client.get(f"/booking-saya/{priced.reference}/").content.decode()


def test_no_receipt_before_the_invoice_is_paid(client, owner, booking):
    assert client.get(receipt_url(booking)).status_code == 404


# --- The list and the queries ---------------------------------------------------------------


def test_my_bookings_shows_the_price_and_the_invoice_state(client, owner, booking):
    page = client.get("/booking-saya/").content.decode()

    assert "Rp 100.000" in page
    assert f"invoice-{InvoiceState.UNPAID}" in page


def test_the_payment_pages_use_a_fixed_number_of_queries(
    client, owner, booking, django_assert_max_num_queries
):
    detail = f"/booking-saya/{booking.reference}/"
    # The session and its user; the booking with its facility and invoice, events, lines and
    # the settling payment; the payable check; the cancel check; its documents and the ones
    # its facility asks for; whether the header's menu offers "Kelola".
    with django_assert_max_num_queries(11):
        client.get(detail)
    # The session, its user, the booking, its invoice, whether it is payable; the menu's Kelola.
    with django_assert_max_num_queries(6):
        client.get(pay_url(booking))
    # ...and the pending charge looked up, a new one written.
    with django_assert_max_num_queries(8):
        client.post(pay_url(booking), {"method": "qris"})
    with django_assert_max_num_queries(7):
        client.post(pay_url(booking), {"method": "qris"})  # the same charge again
    charge = Charge.objects.get()
    with django_assert_max_num_queries(4):  # the session, its user, the charge; the menu
        client.get(simulator_url(charge))
    client.post(simulator_url(charge))
    with django_assert_max_num_queries(11):  # paid: the same page with the receipt
        client.get(detail)
    # The session, its user, the booking, its invoice, the payment, the price lines.
    with django_assert_max_num_queries(7):
        client.get(receipt_url(booking))
