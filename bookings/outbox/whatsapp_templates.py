"""What a WhatsApp row says: the name of its approved template and the texts of its body's
parameters, in the row's language (dates in Indonesian or English, times in WIB, "18.00").

WhatsApp sends only templates approved beforehand in the WhatsApp Business Manager, so each
kind has one, registered in both languages (`id` and `en_US`) with the body below ({{1}} is
the first parameter). A change here must go with the same change of the registered template:
the API refuses a message whose parameters do not match (a final failure in the outbox).

  haidepok_request_received  Your request {{3}} for {{1}} on {{2}} is received; we tell you
                             the decision here. {{4}}
  haidepok_approved          Your booking {{3}} of {{1}} on {{2}} is approved. {{4}}
  haidepok_rejected          Your request {{3}} for {{1}} on {{2}} is rejected: {{4}} {{5}}
  haidepok_cancelled         Your booking {{3}} of {{1}} on {{2}} is cancelled. {{4}}
  haidepok_reminder          A reminder: your booking {{3}} of {{1}} starts on {{2}}. {{4}}
  haidepok_expired           Your request {{3}} for {{1}} on {{2}} expired undecided. {{4}}
  haidepok_payment_received  We received {{4}} for your booking {{3}} of {{1}} on {{2}}.
                             Receipt: {{5}}
  haidepok_verification_code (authentication) {{1}} is your Hai Depok verification code.
"""

from django.utils import dateformat, translation

from bookings.channels import Message
from bookings.models import Notification, NotificationKind
from bookings.whatsapp import language_code
from facilities.templatetags.rupiah import rupiah
from haidepok import clock

Kind = NotificationKind

TEMPLATES = {
    Kind.REQUEST_RECEIVED: "haidepok_request_received",
    Kind.APPROVED: "haidepok_approved",
    Kind.REJECTED: "haidepok_rejected",
    Kind.CANCELLED: "haidepok_cancelled",
    Kind.REMINDER: "haidepok_reminder",
    Kind.EXPIRED: "haidepok_expired",
    Kind.PAYMENT_RECEIVED: "haidepok_payment_received",
}
VERIFICATION_TEMPLATE = "haidepok_verification_code"


def when_text(booking) -> str:
    """ "Senin, 1 Maret 2027, 10.00–12.00 WIB", in the active language."""
    start, end = clock.to_local(booking.start), clock.to_local(booking.end)
    return "{day}, {start}–{end} WIB".format(
        day=dateformat.format(start, "l, j F Y"),
        start=dateformat.format(start, "H.i"),
        end=dateformat.format(end, "H.i"),
    )


def whatsapp_message(
    notification: Notification, context: dict, *, subject: str, message_id: str
) -> Message:
    """The template message of a row, from the context its mail is rendered with."""
    try:
        template = TEMPLATES[notification.kind]
    except KeyError:
        raise LookupError(f"no WhatsApp template for {notification.kind!r}") from None
    booking = context["booking"]
    with translation.override(notification.language):
        parameters = [context["facility"].name, when_text(booking), booking.reference]
        if notification.kind == Kind.REJECTED:
            parameters.append(context["reason"])
        if notification.kind == Kind.PAYMENT_RECEIVED:
            payment = context.get("payment")
            parameters.append(rupiah(payment.amount) if payment else "-")
            parameters.append(context["receipt_url"])
        else:
            parameters.append(context["booking_url"])
    return Message(
        subject=subject,
        text=" | ".join(str(parameter) for parameter in parameters),
        message_id=message_id,
        template=template,
        parameters=tuple(str(parameter) for parameter in parameters),
        language=language_code(notification.language),
    )
