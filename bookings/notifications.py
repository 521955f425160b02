"""What each change tells whom: the use cases that write the outbox's rows (bookings.outbox).

Every function here runs inside the transaction of its change and queues the rows it writes
once that commits. The rows are sent by the workers (bookings.outbox.delivery), re-queued by
beat's sweep (bookings.outbox.sweeping), and resent by staff from the admin (`resend`).
"""

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet

from bookings.models import (
    Booking,
    BookingEvent,
    BookingStatus,
    Notification,
    NotificationKind,
    NotificationState,
)
from bookings.outbox import rows
from bookings.outbox.delivery import publish
from communities.models import Community, Invitation, Membership
from facilities.models import Facility
from haidepok import clock

Kind = NotificationKind
State = NotificationState

# What the resident is told about each new status. A completed booking or a no-show needs no
# mail: the resident was there (or chose not to be), and the audit trail records it.
RESIDENT_KINDS = {
    BookingStatus.REQUESTED: Kind.REQUEST_RECEIVED,
    BookingStatus.APPROVED: Kind.APPROVED,
    BookingStatus.REJECTED: Kind.REJECTED,
    BookingStatus.CANCELLED: Kind.CANCELLED,
    BookingStatus.EXPIRED: Kind.EXPIRED,
}

# The resident's own news about their booking also goes to WhatsApp, for a resident who opted
# in with a verified number (bookings.channels.WhatsAppChannel reaches nobody else). The
# deciders' and the communities' mails stay email only: they work at a desk, in the admin.
RESIDENT_CHANNELS = ("email", "whatsapp")

# Reminders go out about a day ahead.
REMINDER_AHEAD = dt.timedelta(hours=24)

# Rows not sent yet: a departing resident's are withdrawn. ("sending" is in a worker's hands,
# past recall; its address is erased all the same, so a retry withdraws it.)
UNSENT = (State.PENDING, State.FAILED)


# --- Bookings ---------------------------------------------------------------------------------


def notify_transition(booking: Booking, event: BookingEvent) -> list[Notification]:
    """Write the notifications of one change of status (`event`) in the current transaction,
    and queue them once it commits."""
    notifications = []
    kind = RESIDENT_KINDS.get(event.to_status)
    if kind is not None and booking.user is not None:
        notifications += rows.for_users(
            kind, [booking.user], channels=RESIDENT_CHANNELS, booking=booking, event=event
        )
    if event.to_status == BookingStatus.REQUESTED:
        notifications += rows.for_users(
            Kind.NEW_REQUEST, approvers(booking), booking=booking, event=event
        )
    rows.publish_on_commit(notifications)
    return notifications


def notify_payment_received(booking: Booking) -> list[Notification]:
    """The resident's receipt (bukti bayar) for the payment that settled the booking's
    invoice, written in the payment's transaction."""
    if booking.user is None:
        return []
    notifications = rows.for_users(
        Kind.PAYMENT_RECEIVED, [booking.user], channels=RESIDENT_CHANNELS, booking=booking
    )
    rows.publish_on_commit(notifications)
    return notifications


def notify_decision_reminder(booking: Booking) -> list[Notification]:
    """The service standard's reminder at half the time to decide: to the deciders of the
    request (those told of it as a new request), written in the caller's transaction."""
    notifications = rows.for_users(Kind.DECISION_REMINDER, approvers(booking), booking=booking)
    rows.publish_on_commit(notifications)
    return notifications


def notify_decision_overdue(booking: Booking) -> list[Notification]:
    """The request was not decided by its deadline: to every active member of the
    supervisors' group (settings.SERVICE_STANDARD_SUPERVISORS_GROUP)."""
    notifications = rows.for_users(Kind.DECISION_OVERDUE, supervisors(), booking=booking)
    rows.publish_on_commit(notifications)
    return notifications


def supervisors() -> QuerySet:
    """Who watches the service standard: the active members of its group."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=settings.SERVICE_STANDARD_SUPERVISORS_GROUP)
        .order_by("pk")
        .distinct()
    )


def approvers(booking: Booking) -> QuerySet:
    """Who decides a request: Pemkot staff, or the organizers of the facility's community, or
    nobody (an automatic approval). Pemkot staff are who communities.permissions says:
    active staff accounts with the right to change bookings (through the "Pemkot staff" group,
    or as superusers), not every is_staff account."""
    users = get_user_model().objects.filter(is_active=True).order_by("pk")
    approval = booking.facility.approval
    if approval == Facility.Approval.CITY:
        may_decide = Permission.objects.filter(
            content_type__app_label="bookings", codename="change_booking"
        )
        return users.filter(
            Q(is_superuser=True)
            | Q(groups__permissions__in=may_decide)
            | Q(user_permissions__in=may_decide),
            is_staff=True,
        ).distinct()
    if approval == Facility.Approval.COMMUNITY:
        return users.filter(
            memberships__community_id=booking.facility.community_id,
            memberships__role=Membership.Role.ORGANIZER,
        ).distinct()
    return users.none()


def create_reminders(*, now: dt.datetime | None = None) -> int:
    """Write a reminder for each approved booking starting within a day, once per booking.

    A booking approved less than a day before its start gets none: its approval mail is the
    reminder. Safe to run concurrently: the database refuses a second reminder of a booking.
    """
    now = now or clock.now()
    due = (
        Booking.objects.filter(
            status=BookingStatus.APPROVED, start__gt=now, start__lte=now + REMINDER_AHEAD
        )
        .exclude(decided_at__gt=F("start") - REMINDER_AHEAD)
        .exclude(notifications__kind=Kind.REMINDER)
        .filter(user__isnull=False)
        .select_related("user", "facility")
    )
    written = 0
    for booking in due:
        try:
            with transaction.atomic():
                notifications = rows.for_users(
                    Kind.REMINDER, [booking.user], channels=RESIDENT_CHANNELS, booking=booking
                )
                rows.publish_on_commit(notifications)
        except IntegrityError:
            continue  # another beat run reminded this booking meanwhile
        written += len(notifications)
    return written


# --- Communities ------------------------------------------------------------------------------


def notify_community_decision(community: Community) -> list[Notification]:
    """Pemkot verified or declined `community` (its current status): one mail to its contact
    address and its organizers (those of the moment it is sent: bookings.outbox.rendering),
    in the language of its first organizer."""
    first = (
        Membership.objects.filter(community=community, role=Membership.Role.ORGANIZER)
        .select_related("user")
        .order_by("created_at", "pk")
        .first()
    )
    kind = (
        Kind.COMMUNITY_VERIFIED
        if community.status == Community.Status.VERIFIED
        else Kind.COMMUNITY_DECLINED
    )
    notifications = rows.for_address(
        kind, community.email, language=first.user.language if first else "", community=community
    )
    rows.publish_on_commit(notifications)
    return notifications


def notify_invitation(invitation: Invitation) -> list[Notification]:
    """Mail an invitation to the invited address, or mail it again.

    An invitation has at most one mail on its way: while one waits or is being sent, nothing
    new is written; a failed one gets a fresh set of attempts; after one was sent (or
    withdrawn) a new one is written, with the same link.
    """
    unsent = Notification.objects.filter(
        invitation=invitation, state__in=(State.PENDING, State.SENDING, State.FAILED)
    )
    if unsent.filter(state__in=(State.PENDING, State.SENDING)).exists():
        return []
    if resend(unsent):
        return list(unsent)
    notifications = rows.for_address(Kind.INVITATION, invitation.email, invitation=invitation)
    rows.publish_on_commit(notifications)
    return notifications


# --- People -----------------------------------------------------------------------------------


def forget_person(user, *, addresses: Iterable[str] = ()) -> int:
    """A person deletes their account: what was not sent to them yet is withdrawn, and their
    address is erased from every row that went to them (the rows stay, for the audit trail).

    Their rows are those with them as recipient and those sent to one of `addresses` (their
    email addresses) without an account, such as an invitation. Call it in the deletion's
    transaction, after the changes that write mails to them (their cancelled bookings): those
    are withdrawn too. Answers how many rows were withdrawn.
    """
    addresses = {
        variant
        for address in [user.email, *addresses]
        if address
        for variant in (address, address.lower())
    }
    theirs = Notification.objects.filter(
        Q(recipient=user) | Q(recipient__isnull=True, address__in=addresses)
    )
    withdrawn = theirs.filter(state__in=UNSENT).update(
        state=State.WITHDRAWN,
        last_error="No longer sent: the recipient deleted their account.",
        next_attempt_at=None,
    )
    theirs.update(address="")
    return withdrawn


# --- Staff ------------------------------------------------------------------------------------


def resend(notifications: QuerySet) -> int:
    """Give failed rows a fresh set of attempts (the admin's "resend"); answer how many."""
    ids = list(notifications.filter(state=State.FAILED).values_list("pk", flat=True))
    Notification.objects.filter(pk__in=ids, state=State.FAILED).update(
        state=State.PENDING, attempts=0, next_attempt_at=None, claimed_at=None
    )
    if ids:
        transaction.on_commit(lambda: publish(ids))
    return len(ids)
