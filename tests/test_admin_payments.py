"""Pemkot staff record a bank transfer or cash paid at the counter on an unpaid invoice's
page (payments.services.payment_record_manual), and read the payments, the gateway charges
and the gateways' notifications, forged ones included. Nothing of these is edited here."""

import datetime as dt

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.utils import translation

from bookings import services
from bookings.models import Notification
from haidepok import clock
from payments import charges, webhooks
from payments.gateways import simulator
from payments.models import Charge, InvoiceState, Payment, WebhookLog
from payments.services import payment_record_manual
from tests.admin_support import INVOICES, PAYMENTS, invoiced_booking, messages_of, pemkot_staff
from tests.factories import (
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    organizer_of,
    staff_with_permissions,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]


@pytest.fixture(autouse=True)
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def staff(client):
    user = pemkot_staff(full_name="Dewi Lestari")
    client.force_login(user)
    return user


@pytest.fixture
def invoice():
    """An unpaid invoice of Rp 100.000 (two hours at the social rate)."""
    return invoiced_booking().invoice


def record_url(invoice) -> str:
    return f"{INVOICES}{invoice.pk}/payment/"


def change_url(invoice) -> str:
    return f"{INVOICES}{invoice.pk}/change/"


def an_hour_ago() -> str:
    moment = clock.local_now() - dt.timedelta(hours=1)
    return moment.strftime("%Y-%m-%dT%H:%M")


def payment_data(invoice, **changes) -> dict:
    return {
        "method": "transfer",
        "amount": str(invoice.amount),
        "external_reference": "TRF-BJB-778812",
        "paid_at": an_hour_ago(),
        **changes,
    }


def nothing_recorded(invoice) -> bool:
    invoice.refresh_from_db()
    return invoice.state == InvoiceState.UNPAID and not invoice.payments.exists()


def field_errors(response, name: str) -> list[str]:
    return list(response.context["payment_form"].errors.get(name, []))


# --- the form ----------------------------------------------------------------------------------


def test_an_unpaid_invoice_s_page_offers_the_form_prefilled_with_its_amount(client, staff, invoice):
    page = client.get(change_url(invoice))

    form = page.context["payment_form"]
    assert form.initial["amount"] == 100_000
    html = page.content.decode()
    assert f'action="{record_url(invoice)}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'value="100000"' in html
    assert 'value="transfer"' in html and 'value="cash"' in html
    assert 'value="qris"' not in html  # the gateway records those


def test_staff_record_a_transfer(client, staff, invoice):
    response = client.post(record_url(invoice), payment_data(invoice), follow=True)

    assert response.redirect_chain[-1][0] == change_url(invoice)
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.PAID
    payment = invoice.payments.get()
    assert (payment.method, payment.amount, payment.external_reference) == (
        "transfer",
        100_000,
        "TRF-BJB-778812",
    )
    assert payment.recorded_by == staff
    assert clock.to_local(payment.paid_at).strftime("%Y-%m-%dT%H:%M") == an_hour_ago()
    assert payment.receipt_number.startswith("BB-")
    assert (
        "success",
        f"Payment recorded: receipt {payment.receipt_number}, Rp 100.000. "
        "The resident receives the receipt by email.",
    ) in messages_of(response)
    assert Notification.objects.filter(booking=invoice.booking, kind="payment_received").exists()
    # The invoice's history says who recorded it.
    entry = LogEntry.objects.get(object_id=str(invoice.pk))
    assert entry.user == staff
    assert payment.receipt_number in entry.get_change_message()
    # A paid invoice's page offers the form no more, and shows the payment.
    page = client.get(change_url(invoice))
    assert "payment_form" not in page.context
    assert payment.receipt_number in page.content.decode()


def test_staff_record_cash_paid_at_the_counter(client, staff, invoice):
    client.post(
        record_url(invoice), payment_data(invoice, method="cash", external_reference="KW-12")
    )

    payment = Payment.objects.get(invoice=invoice)
    assert (payment.method, payment.external_reference) == ("cash", "KW-12")


def test_the_form_on_its_own_page_changes_nothing_on_a_get(client, staff, invoice):
    page = client.get(record_url(invoice), payment_data(invoice))

    assert page.status_code == 200
    assert not page.context["payment_form"].is_bound
    assert nothing_recorded(invoice)


def test_a_wrong_amount_is_refused_next_to_the_amount(client, staff, invoice):
    response = client.post(record_url(invoice), payment_data(invoice, amount="90000"))

    assert response.status_code == 200
    assert field_errors(response, "amount") == [
        "The amount must be exactly the invoice's Rp 100.000."
    ]
    assert "The payment was not recorded." in response.content.decode()
    assert nothing_recorded(invoice)


@pytest.mark.parametrize("amount", ["-100000", "0", "abc", ""])
def test_an_amount_that_is_no_amount_is_refused(client, staff, invoice, amount):
    response = client.post(record_url(invoice), payment_data(invoice, amount=amount))

    assert response.status_code == 200
    assert field_errors(response, "amount")
    assert nothing_recorded(invoice)


def test_a_missing_reference_is_refused(client, staff, invoice):
    response = client.post(record_url(invoice), payment_data(invoice, external_reference="   "))

    assert field_errors(response, "external_reference") == [
        "Give the transfer reference or the counter receipt number."
    ]
    assert nothing_recorded(invoice)


def test_a_payment_dated_in_the_future_is_refused(client, staff, invoice):
    tomorrow = (clock.local_now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    response = client.post(record_url(invoice), payment_data(invoice, paid_at=tomorrow))

    assert field_errors(response, "paid_at") == ["The payment cannot be dated in the future."]
    assert nothing_recorded(invoice)


def test_a_payment_dated_before_the_invoice_is_refused_next_to_its_time(client, staff, invoice):
    before = clock.to_local(invoice.issued_at) - dt.timedelta(days=2)

    response = client.post(
        record_url(invoice), payment_data(invoice, paid_at=before.strftime("%Y-%m-%dT%H:%M"))
    )

    [message] = field_errors(response, "paid_at")
    assert message.startswith("The payment cannot be dated before the invoice's day")
    assert nothing_recorded(invoice)


@pytest.mark.parametrize("paid_at", ["9999-12-31T23:59", "kemarin", ""])
def test_a_date_that_is_no_date_is_refused(client, staff, invoice, paid_at):
    response = client.post(record_url(invoice), payment_data(invoice, paid_at=paid_at))

    assert response.status_code == 200
    assert field_errors(response, "paid_at")
    assert nothing_recorded(invoice)


def test_a_gateway_method_is_not_recorded_by_hand(client, staff, invoice):
    response = client.post(record_url(invoice), payment_data(invoice, method="qris"))

    assert field_errors(response, "method")
    assert nothing_recorded(invoice)


def test_an_invoice_already_paid_is_not_paid_twice(client, staff, invoice):
    first = payment_record_manual(
        invoice=invoice,
        actor=staff,
        method="cash",
        amount=invoice.amount,
        external_reference="KW-1",
        paid_at=clock.now(),
    )

    response = client.post(record_url(invoice), payment_data(invoice))
    page = client.get(record_url(invoice), follow=True)

    assert response.status_code == 200
    assert response.context["payment_form"].non_field_errors() == ["This invoice is already paid."]
    assert list(invoice.payments.all()) == [first]
    assert page.redirect_chain[-1][0] == change_url(invoice)
    assert ("warning", "This invoice is already paid.") in messages_of(page)
    assert "payment_form" not in page.context


def test_a_closed_invoice_takes_no_payment(client, staff, invoice):
    services.booking_cancel(booking=invoice.booking, actor=staff, reason="Acara ditunda")

    response = client.post(record_url(invoice), payment_data(invoice))

    assert response.context["payment_form"].non_field_errors() == [
        "This invoice is closed: its booking was cancelled or released."
    ]
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.CANCELLED
    assert not invoice.payments.exists()
    assert "payment_form" not in client.get(change_url(invoice)).context


def test_staff_without_the_right_to_add_payments_see_no_form_and_are_refused(client, invoice):
    client.force_login(staff_with_permissions("payments.view_invoice"))

    page = client.get(change_url(invoice))
    form_page = client.get(record_url(invoice))
    post = client.post(record_url(invoice), payment_data(invoice))

    assert page.status_code == 200
    assert "payment_form" not in page.context
    assert record_url(invoice) not in page.content.decode()
    assert form_page.status_code == post.status_code == 403
    assert nothing_recorded(invoice)


@pytest.mark.parametrize("who", ["resident", "organizer", "anonymous"])
def test_people_outside_the_admin_cannot_reach_the_form(client, invoice, who):
    if who == "resident":
        client.force_login(invoice.booking.user)
    elif who == "organizer":
        client.force_login(organizer_of(invoice.booking.facility))

    response = client.post(record_url(invoice), payment_data(invoice))

    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")
    assert nothing_recorded(invoice)


def test_the_form_needs_the_csrf_token(invoice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(pemkot_staff())

    response = browser.post(record_url(invoice), payment_data(invoice))

    assert response.status_code == 403
    assert nothing_recorded(invoice)


def test_an_unknown_invoice_is_not_a_500(client, staff):
    response = client.get(f"{INVOICES}999999/payment/")

    assert response.status_code == 302


# --- payments, charges, notifications ----------------------------------------------------------


def gateway_payment(invoice):
    """The invoice paid by QRIS through the simulator: a charge, a signed notification."""
    charge = charges.charge_for(invoice, "qris")
    body = simulator.notification_body(
        order_id=charge.order_id,
        transaction_id=charge.gateway_reference,
        amount=charge.amount,
        status="paid",
        paid_at=clock.now(),
    )
    webhooks.receive("simulator", body, {simulator.SIGNATURE_HEADER: simulator.sign(body)})
    return charge


def test_the_payment_list_shows_receipt_invoice_method_amount_time_and_recorder(
    client, staff, invoice
):
    payment = payment_record_manual(
        invoice=invoice,
        actor=staff,
        method="cash",
        amount=invoice.amount,
        external_reference="KW-7",
        paid_at=clock.now(),
    )

    html = client.get(PAYMENTS).content.decode()

    row = html[html.index(payment.receipt_number) :]
    row = row[: row.index("</tr>")]
    for text in [invoice.number, "Cash at the counter", "Rp 100.000", "Dewi Lestari"]:
        assert text in row


def test_the_payment_list_filters_the_money_to_refund(client, staff):
    settled = invoiced_booking().invoice
    charge = gateway_payment(settled)
    # The same invoice paid again at the counter cannot be: a second gateway payment for a
    # paid invoice is recorded to be refunded.
    second = Charge.objects.create(
        invoice=settled,
        gateway="simulator",
        method="qris",
        order_id="extra-1",
        gateway_reference="sim-extra-1",
        amount=charge.amount,
        expires_at=clock.now() + dt.timedelta(hours=1),
    )
    body = simulator.notification_body(
        order_id=second.order_id,
        transaction_id=second.gateway_reference,
        amount=second.amount,
        status="paid",
        paid_at=clock.now(),
    )
    webhooks.receive("simulator", body, {simulator.SIGNATURE_HEADER: simulator.sign(body)})

    refunds = client.get(f"{PAYMENTS}?needs_refund__exact=1")

    assert [p.external_reference for p in refunds.context["cl"].result_list] == ["sim-extra-1"]


def test_payments_charges_and_notifications_are_read_only_even_for_a_superuser(
    client, admin_user, invoice
):
    client.force_login(admin_user)
    gateway_payment(invoice)
    objects = {
        "payment": Payment.objects.get(),
        "charge": invoice.charges.get(),
        "webhooklog": WebhookLog.objects.get(),
    }

    for name, obj in objects.items():
        base = f"/admin/payments/{name}/"
        assert client.get(base).status_code == 200, name
        assert client.get(f"{base}add/").status_code == 403, name
        assert client.get(f"{base}{obj.pk}/delete/").status_code == 403, name
        assert client.post(f"{base}{obj.pk}/change/", {}).status_code == 403, name


def test_pemkot_staff_read_payments_charges_and_notifications(client, staff, invoice):
    gateway_payment(invoice)

    for name in ["payment", "charge", "webhooklog"]:
        assert client.get(f"/admin/payments/{name}/").status_code == 200, name


def test_forged_notifications_are_listed_by_outcome_with_their_body_escaped(client, staff):
    body = b'{"order_id": "x", "note": "<script>alert(1)</script>"}'
    status, forged = webhooks.receive(
        "simulator", body, {simulator.SIGNATURE_HEADER: "bad"}, "203.0.113.9"
    )
    assert status == 403

    listed = client.get("/admin/payments/webhooklog/?outcome__exact=bad_signature")
    by_gateway = client.get("/admin/payments/webhooklog/?gateway=simulator")
    page = client.get(f"/admin/payments/webhooklog/{forged.pk}/change/").content.decode()

    assert list(listed.context["cl"].result_list) == [forged]
    assert list(by_gateway.context["cl"].result_list) == [forged]
    assert "203.0.113.9" in page
    assert "<pre" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page


def test_a_non_staff_user_reaches_none_of_the_payment_pages(client, invoice):
    client.force_login(UserFactory())

    for name in ["invoice", "payment", "charge", "webhooklog"]:
        response = client.get(f"/admin/payments/{name}/")
        assert response.status_code == 302 and response.url.startswith("/admin/login/"), name


def test_the_payment_form_page_costs_a_fixed_number_of_queries(
    client, staff, invoice, django_assert_num_queries
):
    # Session, user, permissions (the user's, the group's), the invoice with its booking.
    with django_assert_num_queries(5):
        response = client.get(record_url(invoice))

    assert response.status_code == 200


@pytest.mark.parametrize("paid", [False, True])
def test_an_invoice_s_page_costs_a_fixed_number_of_queries(
    client, staff, invoice, django_assert_num_queries, paid
):
    if paid:
        payment_record_manual(
            invoice=invoice,
            actor=staff,
            method="cash",
            amount=invoice.amount,
            external_reference="KW-9",
            paid_at=clock.now(),
        )

    client.get(change_url(invoice))  # Django caches the content types on a first visit

    # Session, user, permissions (the user's, the group's), the invoice (asked by the form's
    # check and by the page), its price lines, its payments with their recorders.
    with django_assert_num_queries(8):
        response = client.get(change_url(invoice))

    assert response.status_code == 200
