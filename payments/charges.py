"""Paying an invoice online: a charge (a QRIS code or a virtual account) from the gateway."""

import datetime as dt
import secrets

from django.utils.translation import gettext as _

from haidepok import clock
from payments.errors import PaymentError
from payments.gateways import ChargeRequest, GatewayUnavailable, get_gateway
from payments.models import GATEWAY_METHODS, Charge, ChargeState, Invoice, InvoiceState

# How long a QRIS code or a virtual account stays payable (and never past the invoice's
# deadline). A charge shown again within this time is the same one, not a new one.
CHARGE_LIFETIME = dt.timedelta(minutes=30)
# A pending charge this close to its end is not shown again: a new one is made.
CHARGE_MARGIN = dt.timedelta(minutes=5)


def charge_for(invoice: Invoice, method: str, *, now: dt.datetime | None = None) -> Charge:
    """The charge to pay `invoice` by `method` ("qris" or "va"): the pending one if it still
    has time, otherwise a new one from the gateway. The gateway is asked outside any
    transaction (a slow network must not hold locks)."""
    now = now or clock.now()
    if method not in GATEWAY_METHODS:
        raise PaymentError("not_payable")
    if invoice.state != InvoiceState.UNPAID or invoice.due_at <= now + CHARGE_MARGIN:
        raise PaymentError("not_payable")
    gateway = get_gateway()
    if method not in gateway.methods:
        raise PaymentError("gateway_unavailable")
    pending = (
        Charge.objects.filter(
            invoice=invoice,
            method=method,
            gateway=gateway.name,
            state=ChargeState.PENDING,
            expires_at__gt=now + CHARGE_MARGIN,
        )
        .order_by("-created_at")
        .first()
    )
    if pending is not None:
        return pending
    expires_at = min(invoice.due_at, now + CHARGE_LIFETIME)
    # A fresh order id per attempt: gateways refuse an order id they have seen.
    order_id = f"{invoice.number}-{secrets.token_hex(3).upper()}"
    try:
        details = gateway.create_charge(
            ChargeRequest(
                order_id=order_id,
                amount=invoice.amount,
                method=method,
                expires_at=expires_at,
                description=_("Retribusi %(number)s") % {"number": invoice.number},
            )
        )
    except GatewayUnavailable:
        raise PaymentError("gateway_unavailable") from None
    return Charge.objects.create(
        invoice=invoice,
        gateway=gateway.name,
        method=method,
        order_id=order_id,
        gateway_reference=details.gateway_reference,
        amount=invoice.amount,
        qr_string=details.qr_string,
        va_number=details.va_number,
        va_bank=details.va_bank,
        expires_at=expires_at,
    )
