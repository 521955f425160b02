"""Booking notifications: an outbox that never loses a mail and never sends one twice.

1. Writing. Each change of a booking's status writes its notifications as rows
   (`notify_transition`, called by the booking services in the change's own transaction), so a
   committed change always has them and a rolled-back one has none.
2. Queueing. Once the transaction commits, one Celery task per row is queued (`publish`). When
   the broker is down the request still succeeds: the failure is logged, the rows stay pending.
3. Sending. A worker claims a row with one conditional UPDATE (pending -> sending), so two
   workers never send the same row, renders it in the recipient's language and hands it to its
   channel (`deliver`). A failure puts the row back to pending with an exponential back-off;
   after the last attempt it is failed, for staff to see and resend in the admin (`resend`).
4. Sweeping. Every minute beat re-queues pending rows older than a minute (queued while the
   broker was down, or lost) and takes back rows stuck in "sending" (a worker killed mid-send),
   `sweep`. Beat also writes the reminders the day before a booking (`create_reminders`).
"""

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from kombu.exceptions import OperationalError as BrokerError

from bookings.channels import ENABLED_CHANNELS, Attachment, Message, get_channel
from bookings.ics import booking_calendar
from bookings.models import (
    Booking,
    BookingEvent,
    BookingStatus,
    Notification,
    NotificationKind,
    NotificationState,
)
from communities.models import Membership
from communities.permissions import is_pemkot_staff
from facilities.models import Facility
from haidepok import clock
from haidepok.links import absolute_url

logger = logging.getLogger(__name__)

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

# A row still pending after this long was not queued (broker down at commit) or its message
# was lost: the sweep queues it again.
SWEEP_GRACE = dt.timedelta(minutes=1)
# Once queued by the sweep, a row is not queued again before this, so that a long worker
# outage does not pile up one message per row per minute.
REQUEUE_AFTER = dt.timedelta(minutes=10)
# A row in "sending" for longer than this belongs to a worker that died: sending takes at
# most EMAIL_TIMEOUT (20 s by default) per connection attempt.
STALE_AFTER = dt.timedelta(minutes=10)
# Rows queued by one sweep, at most; the next sweep takes the rest.
SWEEP_BATCH = 500
# Reminders go out about a day ahead.
REMINDER_AHEAD = dt.timedelta(hours=24)


# --- 1. Writing -------------------------------------------------------------------------------


def notify_transition(booking: Booking, event: BookingEvent) -> list[Notification]:
    """Write the notifications of one change of status (`event`) in the current transaction,
    and queue them once it commits."""
    notifications = []
    kind = RESIDENT_KINDS.get(event.to_status)
    if kind is not None and booking.user is not None:
        notifications += _write(booking, kind, [booking.user], event=event)
    if event.to_status == BookingStatus.REQUESTED:
        notifications += _write(booking, Kind.NEW_REQUEST, approvers(booking), event=event)
    _publish_on_commit(notifications)
    return notifications


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
                notifications = _write(booking, Kind.REMINDER, [booking.user])
                _publish_on_commit(notifications)
        except IntegrityError:
            continue  # another beat run reminded this booking meanwhile
        written += len(notifications)
    return written


def _write(booking: Booking, kind: str, recipients: Iterable, *, event=None) -> list:
    rows = []
    for user in recipients:
        language = user.language if user.language in dict(settings.LANGUAGES) else ""
        for channel_name in ENABLED_CHANNELS:
            address = get_channel(channel_name).address_of(user)
            if not address:
                continue
            rows.append(
                Notification(
                    booking=booking,
                    event=event,
                    kind=kind,
                    channel=channel_name,
                    recipient=user,
                    address=address,
                    language=language or settings.LANGUAGE_CODE,
                )
            )
    return Notification.objects.bulk_create(rows)


# --- 2. Queueing ------------------------------------------------------------------------------


def _publish_on_commit(notifications: list[Notification]) -> None:
    if notifications:
        ids = [notification.pk for notification in notifications]
        transaction.on_commit(lambda: publish(ids))


def publish(notification_ids: Iterable[int]) -> list[int]:
    """Queue one send task per row; answer the ids that were queued.

    Called after a commit, often in a resident's request: it never raises. When the broker is
    unreachable it gives up at once (settings make that failure fast) and leaves the rows to
    the sweep.
    """
    from bookings.tasks import send_notification

    ids = list(notification_ids)
    queued = []
    for index, pk in enumerate(ids):
        try:
            send_notification.delay(pk)
        except (BrokerError, OSError) as error:
            logger.warning(
                "Broker unreachable (%s); notifications %s wait for the sweep", error, ids[index:]
            )
            break
        except Exception:
            # Only in eager mode, where the task runs here: a bug, not an outage.
            logger.exception("Notification %s could not be sent", pk)
        else:
            queued.append(pk)
    return queued


# --- 3. Sending -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: str  # "sent", "skipped" (not pending: sent or being sent elsewhere), "retry", "failed"
    retry_in: int | None = None  # seconds, when status is "retry"


def retry_delay(attempts: int) -> int:
    """Seconds to wait after the `attempts`-th failed attempt: doubling from the base delay."""
    return settings.NOTIFICATION_RETRY_DELAY * 2 ** max(attempts - 1, 0)


def deliver(notification_id: int, *, retry: bool = True) -> Outcome:
    """Claim the row, send it through its channel and record what happened.

    The claim is one conditional UPDATE: of two workers holding the same id, only one moves
    the row from pending to sending; the other sees zero rows changed and stops. Rendering and
    sending happen outside any transaction (SMTP may be slow). With `retry` off (tasks run
    in-process, with nothing to retry them later), a failure is final at once.
    """
    claimed_at = clock.now()
    claimed = Notification.objects.filter(pk=notification_id, state=State.PENDING).update(
        state=State.SENDING, attempts=F("attempts") + 1, claimed_at=claimed_at
    )
    if not claimed:
        return Outcome("skipped")
    notification = Notification.objects.select_related(
        "booking__facility__community", "booking__user", "event__actor", "recipient"
    ).get(pk=notification_id)
    # Our claim, identified by its time: writes below leave a row alone that the sweep took
    # back (stale) and another worker has claimed since.
    ours = Notification.objects.filter(
        pk=notification_id, state=State.SENDING, claimed_at=claimed_at
    )
    try:
        message = render(notification)
        get_channel(notification.channel).send(to=notification.address, message=message)
    except Exception as error:
        description = f"{type(error).__name__}: {error}"[:2000]
        if not retry or notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
            ours.update(state=State.FAILED, last_error=description, next_attempt_at=None)
            logger.error(
                "Notification %s failed after %s attempts: %s",
                notification_id,
                notification.attempts,
                description,
            )
            return Outcome("failed")
        delay = retry_delay(notification.attempts)
        ours.update(
            state=State.PENDING,
            last_error=description,
            next_attempt_at=clock.now() + dt.timedelta(seconds=delay),
        )
        logger.warning(
            "Notification %s: attempt %s failed (%s); next in %s s",
            notification_id,
            notification.attempts,
            description,
            delay,
        )
        return Outcome("retry", retry_in=delay)
    ours.update(state=State.SENT, sent_at=clock.now(), last_error="", next_attempt_at=None)
    return Outcome("sent")


def render(notification: Notification) -> Message:
    """The message of a row, in its recipient's language, times in WIB."""
    kind = notification.kind
    context = _context(notification)
    with translation.override(notification.language), timezone.override(clock.WIB):
        subject = render_to_string(f"bookings/mail/{kind}_subject.txt", context)
        text = render_to_string(f"bookings/mail/{kind}_body.txt", context)
        html = render_to_string(f"bookings/mail/{kind}_body.html", context)
    return Message(
        subject=" ".join(subject.split()),
        text=text,
        html=html,
        attachments=_attachments(notification),
    )


def _context(notification: Notification) -> dict:
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
    if notification.kind == Kind.NEW_REQUEST:
        # Staff decide in the admin, organizers in their workspace.
        if recipient is not None and is_pemkot_staff(recipient):
            context["decide_url"] = absolute_url("admin:bookings_booking_change", booking.pk)
        else:
            context["decide_url"] = absolute_url("manage_booking", reference=booking.reference)
    if notification.kind == Kind.CANCELLED:
        context["cancelled_by"] = _cancelled_by(booking, event)
    return context


def _cancelled_by(booking: Booking, event: BookingEvent | None) -> str:
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


# --- 4. Sweeping and resending ----------------------------------------------------------------


def sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The safety net, run by beat every minute: take back rows whose worker died while
    sending, and queue again the pending rows that nobody is about to send."""
    now = now or clock.now()
    stale = Notification.objects.filter(state=State.SENDING, claimed_at__lte=now - STALE_AFTER)
    interrupted = "Interrupted while sending (the worker stopped); sent again."
    reclaimed = stale.filter(attempts__lt=settings.NOTIFICATION_MAX_ATTEMPTS).update(
        state=State.PENDING, next_attempt_at=None, last_error=interrupted
    )
    given_up = stale.update(state=State.FAILED, last_error="Interrupted while sending.")
    due = list(
        Notification.objects.filter(state=State.PENDING, created_at__lte=now - SWEEP_GRACE)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("created_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    # Set first, so that a worker's own later writes (a back-off after a failure) win.
    Notification.objects.filter(pk__in=due, state=State.PENDING).update(
        next_attempt_at=now + REQUEUE_AFTER
    )
    queued = publish(due)
    not_queued = set(due) - set(queued)
    if not_queued:  # broker still down: the next sweep tries again
        Notification.objects.filter(pk__in=not_queued, state=State.PENDING).update(
            next_attempt_at=None
        )
    return {"reclaimed": reclaimed, "failed": given_up, "queued": len(queued)}


def resend(notifications: QuerySet) -> int:
    """Give failed rows a fresh set of attempts (the admin's "resend"); answer how many."""
    ids = list(notifications.filter(state=State.FAILED).values_list("pk", flat=True))
    Notification.objects.filter(pk__in=ids, state=State.FAILED).update(
        state=State.PENDING, attempts=0, next_attempt_at=None, claimed_at=None
    )
    if ids:
        transaction.on_commit(lambda: publish(ids))
    return len(ids)
