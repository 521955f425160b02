"""Queueing rows for the workers, and sending one row: claim, check, render, send, record."""

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import F
from kombu.exceptions import OperationalError as BrokerError

from bookings.channels import DeliveryRefused, get_channel
from bookings.models import Notification, NotificationState
from bookings.outbox.relevance import withdrawal_reason
from bookings.outbox.rendering import render
from haidepok import clock

logger = logging.getLogger(__name__)

State = NotificationState

# The Celery task that sends one row (bookings.tasks.send_notification). The tasks module
# builds on this one, so it cannot be imported here: BookingsConfig.ready() hands it over.
_send_task = None


def use_task(task) -> None:
    """Queue rows with `task` (called with a row's id) from now on."""
    global _send_task
    _send_task = task


# --- Queueing ---------------------------------------------------------------------------------


def publish(notification_ids: Iterable[int]) -> list[int]:
    """Queue one send task per row; answer the ids that were queued.

    Called after a commit, often in a resident's request: it never raises. When the broker is
    unreachable it gives up at once (settings make that failure fast) and leaves the rows to
    the sweep.
    """
    if _send_task is None:
        raise ImproperlyConfigured(
            "bookings.outbox has no task to send with: is bookings installed?"
        )
    ids = list(notification_ids)
    queued = []
    for index, pk in enumerate(ids):
        try:
            _send_task.delay(pk)
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


# --- Sending ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    # "sent"; "skipped" (not pending: sent or being sent elsewhere); "withdrawn" (no longer
    # true, see bookings.outbox.relevance); "retry"; "failed".
    status: str
    retry_in: int | None = None  # seconds, when status is "retry"


def retry_delay(attempts: int) -> int:
    """Seconds to wait after the `attempts`-th failed attempt: doubling from the base delay."""
    return settings.NOTIFICATION_RETRY_DELAY * 2 ** max(attempts - 1, 0)


def deliver(notification_id: int, *, retry: bool = True) -> Outcome:
    """Claim the row, check that it is still relevant, send it through its channel and record
    what happened.

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
        "booking__facility__community",
        "booking__user",
        "event__actor",
        "recipient",
        "community",
        "invitation__community",
        "invitation__invited_by",
    ).get(pk=notification_id)
    # Our claim, identified by its time: writes below leave a row alone that the sweep took
    # back (stale) and another worker has claimed since.
    ours = Notification.objects.filter(
        pk=notification_id, state=State.SENDING, claimed_at=claimed_at
    )
    reason = withdrawal_reason(notification)
    if reason is not None:
        ours.update(state=State.WITHDRAWN, last_error=reason, next_attempt_at=None)
        logger.info("Notification %s withdrawn: %s", notification_id, reason)
        return Outcome("withdrawn")
    try:
        message = render(notification)
        get_channel(notification.channel).send(to=notification.address, message=message)
    except Exception as error:
        description = f"{type(error).__name__}: {error}"[:2000]
        # Refused for good (a number that is not on WhatsApp): another attempt would only
        # be refused again, so the row fails now, for staff to see why.
        refused = isinstance(error, DeliveryRefused)
        if refused or not retry or notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
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
