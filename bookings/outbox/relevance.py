"""Whether a notification still says something true when its turn to be sent comes.

A row may wait minutes or hours before it is sent (a retry after an SMTP failure, the broker
down, a resend by staff days later), and the world moves on meanwhile. This is the one rule,
asked by the worker right before each attempt:

- a reminder, while the booking is approved and has not started;
- an approval, while the booking is approved (its invitation would add a cancelled event);
- a new request to the deciders, while the booking waits for a decision; so too the service
  standard's reminder to them and its warning to the supervisors that a decision is overdue;
- the receipt of a request ("staff will decide"), also only while it waits: once it is decided,
  cancelled or expired, the mail of that change tells the resident everything and a late
  receipt would contradict it. So a request decided within seconds (while its receipt is
  still queued or retrying) may reach the resident as the decision alone;
- a rejection, cancellation or expiry always: they are final and stay true;
- a community's verification or decline, while the community still has that status (staff
  may reverse a decision);
- an invitation, while it is open (not accepted yet);
- nothing to an address erased because its owner deleted their account;
- a WhatsApp message, while its channel still reaches the recipient at that number (they did
  not opt out or change the number meanwhile, and the channel was not switched off).

The check reads the database just before sending; a change committed during the few seconds
of the SMTP conversation is not seen (the mail is then followed by the change's own mail).
"""

from bookings.channels import get_channel
from bookings.models import BookingStatus, Notification, NotificationKind
from communities.models import Community
from haidepok import clock

Kind = NotificationKind

# The booking status that each kind is true for; kinds not listed are final, true for ever.
BOOKING_STATUS_FOR = {
    Kind.REMINDER: BookingStatus.APPROVED,
    Kind.APPROVED: BookingStatus.APPROVED,
    Kind.NEW_REQUEST: BookingStatus.REQUESTED,
    Kind.DECISION_REMINDER: BookingStatus.REQUESTED,
    Kind.DECISION_OVERDUE: BookingStatus.REQUESTED,
    Kind.REQUEST_RECEIVED: BookingStatus.REQUESTED,
}
COMMUNITY_STATUS_FOR = {
    Kind.COMMUNITY_VERIFIED: Community.Status.VERIFIED,
    Kind.COMMUNITY_DECLINED: Community.Status.DECLINED,
}


def withdrawal_reason(notification: Notification) -> str | None:
    """Why `notification` must no longer be sent, or None while it should be.

    Reads its booking, community or invitation as they are now (the caller loads them fresh).
    """
    if not notification.address:
        return "No longer sent: the recipient deleted their account."
    if notification.channel == "whatsapp":
        recipient = notification.recipient
        reachable = recipient is not None and get_channel("whatsapp").address_of(recipient)
        if reachable != notification.address:
            return "No longer sent: the recipient no longer receives WhatsApp at this number."
    kind = notification.kind
    if kind in BOOKING_STATUS_FOR:
        booking = notification.booking
        if booking.status != BOOKING_STATUS_FOR[kind]:
            return f"No longer sent: the booking is now {booking.status}."
        if kind == Kind.REMINDER and booking.start <= clock.now():
            return "No longer sent: the booking has started."
    elif kind in COMMUNITY_STATUS_FOR:
        community = notification.community
        if community.status != COMMUNITY_STATUS_FOR[kind]:
            return f"No longer sent: the community is now {community.status}."
    elif kind == Kind.INVITATION and notification.invitation.accepted_at is not None:
        return "No longer sent: the invitation was accepted."
    return None
