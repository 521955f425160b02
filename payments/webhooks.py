"""The gateways' notifications: verified, logged (WebhookLog), and recorded once.

A notification with a bad signature is refused (403) and logged; one that is not understood
or does not match its charge is refused (400/404) and logged; the same notification twice
records one payment and answers 200 both times, so the gateway stops retrying.
"""

import logging

from django.http import Http404, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from haidepok import clock
from payments.errors import PaymentError
from payments.gateways import (
    GATEWAYS,
    GatewayNotice,
    NotificationError,
    SignatureError,
    get_gateway,
)
from payments.models import Charge, ChargeState, WebhookLog, WebhookOutcome
from payments.services import payment_record_from_gateway

logger = logging.getLogger(__name__)

Outcome = WebhookOutcome

# The answer to the gateway for each outcome.
STATUS = {
    Outcome.PAID: 200,
    Outcome.REFUND: 200,
    Outcome.DUPLICATE: 200,
    Outcome.IGNORED: 200,
    Outcome.BAD_SIGNATURE: 403,
    Outcome.MALFORMED: 400,
    Outcome.UNKNOWN_CHARGE: 404,
    Outcome.WRONG_AMOUNT: 400,
}

LOGGED_BODY = 10_000


def receive(gateway_name: str, body: bytes, headers, remote_address: str | None = None):
    """Handle one notification; answer (HTTP status, WebhookLog)."""
    gateway = get_gateway(gateway_name)
    log = WebhookLog(gateway=gateway.name, remote_address=remote_address, body=_printable(body))
    try:
        notice = gateway.parse_notification(body, headers)
        _check(notice)
    except SignatureError as error:
        logger.warning("payment notification refused (%s) from %s", error, remote_address)
        return _answer(log, Outcome.BAD_SIGNATURE, str(error))
    except NotificationError as error:
        logger.warning("payment notification not understood (%s) from %s", error, remote_address)
        return _answer(log, Outcome.MALFORMED, str(error))

    log.order_id = notice.order_id
    charge = (
        Charge.objects.filter(gateway=gateway.name, order_id=notice.order_id)
        .select_related("invoice")
        .first()
    )
    if charge is None:
        logger.warning("payment notification for an unknown charge %r", notice.order_id)
        return _answer(log, Outcome.UNKNOWN_CHARGE, notice.status)
    if not notice.paid:
        if notice.status in ("expire", "expired") and charge.state == ChargeState.PENDING:
            Charge.objects.filter(pk=charge.pk).update(state=ChargeState.EXPIRED)
        return _answer(log, Outcome.IGNORED, notice.status)
    now = clock.now()
    paid_at = notice.paid_at
    # A time without a zone, or far outside the project's years (which a column could not
    # even store), says nothing: the payment is dated when it arrived.
    if paid_at is None or paid_at.tzinfo is None or not clock.within_bounds(paid_at):
        paid_at = now
    try:
        payment, created = payment_record_from_gateway(
            charge=charge,
            gateway_reference=notice.gateway_reference,
            amount=notice.amount,
            paid_at=min(paid_at, now),
            now=now,
        )
    except PaymentError as error:
        logger.warning("payment notification for %s refused: %s", charge.order_id, error)
        return _answer(log, Outcome.WRONG_AMOUNT, error.message)
    log.payment = payment
    if not created:
        return _answer(log, Outcome.DUPLICATE, notice.status)
    return _answer(log, Outcome.REFUND if payment.needs_refund else Outcome.PAID, notice.status)


def _printable(text: bytes | str) -> str:
    """Text a database column takes: PostgreSQL refuses NUL characters, which a forged body
    may carry; the log must still be written."""
    if isinstance(text, bytes):
        text = text[:LOGGED_BODY].decode("utf-8", errors="replace")
    return text.replace("\x00", "\ufffd")


def _check(notice: GatewayNotice) -> None:
    """What every gateway's notice must be, whatever the gateway parsed: ids that a column
    and a query take (a charge's order id, one transaction), and a whole amount."""
    for name, value, longest in (
        ("order id", notice.order_id, 50),
        ("transaction id", notice.gateway_reference, 100),
    ):
        if not value or len(value) > longest or "\x00" in value:
            raise NotificationError(f"no usable {name}")
    if not isinstance(notice.amount, int) or isinstance(notice.amount, bool) or notice.amount < 0:
        raise NotificationError("no usable amount")


def _answer(log: WebhookLog, outcome: str, detail: str):
    log.outcome = outcome
    log.detail = _printable(detail)[:255]
    log.save()
    return STATUS[outcome], log


@csrf_exempt
@require_POST
def webhook(request, gateway):
    """POST /pembayaran/notifikasi/<gateway>/: where a gateway reports payments."""
    if gateway not in GATEWAYS:
        raise Http404
    status, log = receive(gateway, request.body, request.headers, request.META.get("REMOTE_ADDR"))
    return HttpResponse(log.get_outcome_display(), status=status, content_type="text/plain")
