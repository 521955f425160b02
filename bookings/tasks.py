"""Celery tasks of the bookings app: thin wrappers that take primary keys and call the outbox
(bookings.outbox), bookings.notifications and bookings.services, where the rules live.

Beat runs the periodic ones (haidepok/celery.py). Each is safe to run twice at once: rows are
claimed with a conditional UPDATE, reminders are unique in the database, and the bookings
sweep re-reads each booking under a lock.
"""

from celery import shared_task

from bookings import escalation, notifications, services
from bookings.outbox import delivery, sweeping


@shared_task(bind=True, acks_late=True, max_retries=None, ignore_result=True)
def send_notification(self, notification_id: int) -> str:
    # Run in-process (no broker), a failed attempt is final: nothing would retry it later,
    # and the resident's request must not wait through back-offs.
    outcome = delivery.deliver(notification_id, retry=not self.request.is_eager)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(ignore_result=True)
def resend_pending_notifications() -> dict:
    return sweeping.sweep()


@shared_task(ignore_result=True)
def send_reminders() -> int:
    return notifications.create_reminders()


@shared_task(ignore_result=True)
def sweep_bookings() -> dict:
    """Complete the bookings that ended and expire the requests nobody decided in time."""
    return services.bookings_sweep()


@shared_task(ignore_result=True)
def escalate_decisions() -> dict:
    """The service standard: remind the deciders at half the time, tell the supervisors when
    a request is overdue (bookings.escalation)."""
    return escalation.escalate_decisions()
