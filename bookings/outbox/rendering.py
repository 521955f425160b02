"""What a row says: its message in the recipient's language, times in WIB, with its .ics
attachment and a Message-ID that is the same on every attempt."""

from email.utils import parseaddr

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from bookings import service_standard
from bookings.channels import Attachment, Message
from bookings.ics import booking_calendar
from bookings.models import (
    BOOKING_KINDS,
    BookingEvent,
    BookingStatus,
    Notification,
    NotificationKind,
)
from bookings.outbox.whatsapp_templates import whatsapp_message
from communities.models import Membership
from communities.permissions import is_pemkot_staff
from facilities.models import Facility
from haidepok import clock
from haidepok.links import absolute_url
from payments.models import Invoice, InvoiceState, Payment

Kind = NotificationKind

# The templates of each kind: <name>_subject.txt, <name>_body.txt and <name>_body.html.
COMMUNITY_TEMPLATES = {
    Kind.COMMUNITY_VERIFIED: "communities/mail/verification",
    Kind.COMMUNITY_DECLINED: "communities/mail/verification",
    Kind.INVITATION: "communities/mail/invitation",
}


def template_of(kind: str) -> str:
    return COMMUNITY_TEMPLATES.get(kind) or f"bookings/mail/{kind}"


def message_id(notification: Notification) -> str:
    """The row's Message-ID: derived from its id and the site's mail domain (the domain of
    DEFAULT_FROM_EMAIL), so a second attempt of the same row is recognisably the same mail.
    A WhatsApp row's is "notification-<id>" (its biz_opaque_callback_data)."""
    if notification.channel == "whatsapp":
        return f"notification-{notification.pk}"
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "haidepok.local"
    return f"<notification-{notification.pk}@{domain}>"


def render(notification: Notification) -> Message:
    """The message of a row, in its recipient's language, times in WIB."""
    template = template_of(notification.kind)
    if notification.kind in BOOKING_KINDS:
        context = _booking_context(notification)
    else:
        context = _community_context(notification)
    with translation.override(notification.language), timezone.override(clock.WIB):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        if notification.channel == "whatsapp":
            # A template message, its parameters from the mail's context; the subject names
            # it in the logs and the admin.
            return whatsapp_message(
                notification,
                context,
                subject=subject,
                message_id=message_id(notification) if notification.pk else "",
            )
        text = render_to_string(f"{template}_body.txt", context)
        html = render_to_string(f"{template}_body.html", context)
    return Message(
        subject=subject,
        text=text,
        html=html,
        attachments=_attachments(notification),
        message_id=message_id(notification) if notification.pk else "",
        also_to=_also_to(notification),
    )


def _booking_context(notification: Notification) -> dict:
    booking = notification.booking
    event = notification.event
    recipient = notification.recipient
    context = {
        "notification": notification,
        "booking": booking,
        "facility": booking.facility,
        "community": booking.facility.community,
        "recipient_name": str(recipient) if recipient else "",
        # Why it was rejected or cancelled, as the decider wrote it.
        "reason": event.reason if event else "",
        "booking_url": absolute_url("booking_detail", reference=booking.reference),
        "facility_url": absolute_url("facility_detail", slug=booking.facility.slug),
    }
    if notification.kind in (Kind.NEW_REQUEST, Kind.DECISION_REMINDER):
        # Staff decide in the admin, organizers in their workspace.
        if recipient is not None and is_pemkot_staff(recipient):
            context["decide_url"] = absolute_url("admin:bookings_booking_change", booking.pk)
        else:
            context["decide_url"] = absolute_url("manage_booking", reference=booking.reference)
    if notification.kind in (Kind.DECISION_REMINDER, Kind.DECISION_OVERDUE):
        # The deadline as it stands when the mail is sent (read in the recipient's language).
        context["deadline"] = service_standard.deadline_of(booking)
        context["working_days"] = settings.SERVICE_STANDARD_WORKING_DAYS
    if notification.kind == Kind.DECISION_OVERDUE:
        # Supervisors follow up in the admin, where every booking is.
        context["booking_admin_url"] = absolute_url("admin:bookings_booking_change", booking.pk)
        context["decided_by_city"] = booking.facility.approval == Facility.Approval.CITY
    if notification.kind == Kind.CANCELLED:
        context["cancelled_by"] = _cancelled_by(booking, event)
    context.update(_price_context(notification))
    return context


def _price_context(notification: Notification) -> dict:
    """The booking's price as it was stored (its lines), its invoice and the payment that
    settled it, as they are when the mail is sent, and where to pay and see the receipt."""
    booking = notification.booking
    invoice = Invoice.objects.filter(booking=booking).first()
    payment = None
    if invoice is not None and invoice.state == InvoiceState.PAID:
        payment = Payment.objects.filter(invoice=invoice, needs_refund=False).first()
    return {
        "lines": list(booking.lines.all()),
        "invoice": invoice,
        "payment": payment,
        "pay_url": absolute_url("booking_pay", reference=booking.reference),
        "receipt_url": absolute_url("booking_receipt", reference=booking.reference),
        # Released by the deadline sweep (payments.services.invoices_release_overdue): the
        # invoice expired and nobody cancelled it. Told in the recipient's own language, not
        # by the event's reason (written in whatever language the sweep ran in).
        "released_unpaid": notification.kind == Kind.CANCELLED
        and invoice is not None
        and invoice.state == InvoiceState.EXPIRED
        and (notification.event is None or notification.event.actor_id is None),
    }


def _community_context(notification: Notification) -> dict:
    if notification.kind == Kind.INVITATION:
        invitation = notification.invitation
        return {
            "notification": notification,
            "community": invitation.community,
            "inviter": str(invitation.invited_by) if invitation.invited_by else "",
            "accept_url": absolute_url("invitation_accept", token=invitation.token),
        }
    community = notification.community
    return {
        "notification": notification,
        "community": community,
        "verified": notification.kind == Kind.COMMUNITY_VERIFIED,
        "reason": community.status_reason,
    }


def _also_to(notification: Notification) -> tuple[str, ...]:
    """Pemkot's decision on a community is one mail to its contact address and to each of its
    organizers, as they are when it is sent (one who left, or deleted their account, gets
    none)."""
    if notification.kind not in (Kind.COMMUNITY_VERIFIED, Kind.COMMUNITY_DECLINED):
        return ()
    organizers = Membership.objects.filter(
        community_id=notification.community_id,
        role=Membership.Role.ORGANIZER,
        user__is_active=True,
    ).values_list("user__email", flat=True)
    return tuple(sorted({email for email in organizers if email} - {notification.address}))


def _cancelled_by(booking, event: BookingEvent | None) -> str:
    """Who cancelled, as the resident should read it: "resident", "staff" or "organizer"."""
    actor = event.actor if event else None
    if actor is None:
        return ""
    if actor.pk == booking.user_id:
        return "resident"
    return "staff" if is_pemkot_staff(actor) else "organizer"


def _attachments(notification: Notification) -> tuple[Attachment, ...]:
    """An approval carries the calendar invitation; the cancellation of an approved booking
    (whose invitation the resident has) carries the matching cancellation."""
    booking = notification.booking
    if notification.kind == Kind.APPROVED:
        method = "REQUEST"
    elif (
        notification.kind == Kind.CANCELLED
        and notification.event is not None
        and notification.event.from_status == BookingStatus.APPROVED
    ):
        method = "CANCEL"
    else:
        return ()
    name = "invitation.ics" if method == "REQUEST" else "cancellation.ics"
    return (
        Attachment(
            filename=name,
            content=booking_calendar(booking, method=method),
            mimetype="text/calendar",
            params=(("method", method),),
        ),
    )
