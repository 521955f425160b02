"""The resident's payment pages: pay an invoice by QRIS or virtual account, the printable
receipt (bukti bayar), and the simulator gateway's "bank" page that pays a charge.

The pages show what payments.charges and payments.webhooks decide; none of them records a
payment itself: the simulator posts the signed notification a real gateway would."""

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bookings.models import Booking
from bookings.references import normalise_reference
from haidepok import clock
from payments import charges, webhooks
from payments.errors import PaymentError
from payments.gateways import simulator as simulator_gateway
from payments.models import (
    GATEWAY_METHODS,
    Charge,
    ChargeState,
    Invoice,
    InvoiceState,
    Payment,
    WebhookOutcome,
)
from payments.services import payable_invoice


def _own_invoice(user, reference: str) -> Invoice:
    """The invoice of the signed-in resident's booking; anyone else's (and a booking without
    an invoice) answers 404, as if it did not exist."""
    booking = get_object_or_404(
        Booking.objects.select_related("facility", "user"),
        reference=normalise_reference(reference),
        user=user,
    )
    invoice = Invoice.objects.filter(booking=booking).first()
    if invoice is None:
        raise Http404
    invoice.booking = booking
    return invoice


def _simulator_on() -> bool:
    return settings.PAYMENT_GATEWAY == "simulator"


@login_required
@require_http_methods(["GET", "POST"])
def pay(request, reference):
    """GET: the invoice and the ways to pay it. POST method=qris|va: the charge to pay with
    (the pending one again while it has time, so a reload shows the same code)."""
    invoice = _own_invoice(request.user, reference)
    booking = invoice.booking
    if invoice.state == InvoiceState.PAID:
        messages.success(request, _("This invoice is paid. Your receipt is below."))
        return redirect("booking_detail", reference=booking.reference)
    charge, error, status = None, None, 200
    payable = payable_invoice(booking) is not None
    if not payable:
        error = PaymentError("not_payable").message
    elif request.method == "POST":
        method = request.POST.get("method", "")
        if method not in GATEWAY_METHODS:
            error, status = _("Choose QRIS or virtual account."), 400
        else:
            try:
                charge = charges.charge_for(invoice, method)
            except PaymentError as refused:
                error = refused.message
    return render(
        request,
        "payments/pay.html",
        {
            "booking": booking,
            "invoice": invoice,
            "payable": payable,
            "charge": charge,
            "qr_svg": _qr_svg(charge.qr_string) if charge and charge.qr_string else "",
            "error": error,
            "simulator": _simulator_on(),
        },
        status=status,
    )


def _qr_svg(payload: str) -> str:
    """The QRIS payload as an inline SVG (no image request, no JavaScript): sized by CSS."""
    code = segno.make(payload, error="m")
    return mark_safe(
        code.svg_inline(scale=1, border=4, omitsize=True, svgclass="qr-code", dark="#000")
    )


@login_required
def receipt(request, reference):
    """The printable bukti bayar of the resident's own paid booking; 404 before payment."""
    invoice = _own_invoice(request.user, reference)
    payment = (
        Payment.objects.filter(invoice=invoice, needs_refund=False).first()
        if invoice.state == InvoiceState.PAID
        else None
    )
    if payment is None:
        raise Http404
    return render(
        request,
        "payments/receipt.html",
        {"booking": invoice.booking, "invoice": invoice, "payment": payment},
    )


@require_http_methods(["GET", "POST"])
def simulator(request, order_id):
    """The simulator gateway's pay page: the "bank". Whoever has the order id may pay, but
    only that charge's exact amount, through the same signed notification and webhook as a
    real gateway's. Not there at all unless the simulator is the gateway in use."""
    if not _simulator_on():
        raise Http404
    charge = get_object_or_404(
        Charge.objects.select_related("invoice__booking"),
        gateway=simulator_gateway.SimulatorGateway.name,
        order_id=order_id,
    )
    # Like a bank, the simulator pays only a code that is still open.
    pending = charge.state == ChargeState.PENDING and charge.expires_at > clock.now()
    if request.method == "POST" and not pending:
        messages.error(request, _("This payment code is closed: it was paid or has expired."))
        return redirect("payment_simulator", order_id=charge.order_id)
    if request.method == "POST":
        body = simulator_gateway.notification_body(
            order_id=charge.order_id,
            transaction_id=charge.gateway_reference,
            amount=charge.amount,
            status="paid",
            paid_at=clock.now(),
        )
        headers = {simulator_gateway.SIGNATURE_HEADER: simulator_gateway.sign(body)}
        _status, log = webhooks.receive(
            simulator_gateway.SimulatorGateway.name, body, headers, request.META.get("REMOTE_ADDR")
        )
        if log.outcome == WebhookOutcome.PAID:
            messages.success(request, _("Payment received. Thank you!"))
        else:
            messages.error(
                request,
                _("The payment did not settle the invoice: %(outcome)s.")
                % {"outcome": log.get_outcome_display()},
            )
        return redirect("booking_detail", reference=charge.invoice.booking.reference)
    return render(
        request,
        "payments/simulator.html",
        {"charge": charge, "pending": pending},
    )
