"""The outbox's safety net, run by beat every minute."""

import datetime as dt

from django.conf import settings
from django.db.models import Q

from bookings.models import Notification, NotificationState
from bookings.outbox.delivery import publish
from haidepok import clock

State = NotificationState

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


def sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Take back rows whose worker died while sending, and queue again the pending rows that
    nobody is about to send.

    A row taken back may have reached its recipient already (the worker died after the SMTP
    server took it): it is sent again, with the same Message-ID. At least once, not exactly.
    """
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
