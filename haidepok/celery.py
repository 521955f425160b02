"""The Celery app. Settings come from Django's (CELERY_* names); tasks are autodiscovered.

Without REDIS_URL the broker is in memory and tasks run eagerly, in the process that queues them.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haidepok.settings")

app = Celery("haidepok")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Celery beat's jobs. Each expires before its next run: when no worker is there to take them,
# the queue holds one of each, not one per minute of the outage.
app.conf.beat_schedule = {
    # The outbox's safety net: mails queued while the broker was down, or whose worker died.
    "resend-pending-notifications": {
        "task": "bookings.tasks.resend_pending_notifications",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Reminders the day before an approved booking.
    "send-reminders": {
        "task": "bookings.tasks.send_reminders",
        "schedule": crontab(minute="*/10"),
        "options": {"expires": 9 * 60},
    },
    # Approved bookings that ended are completed; requests whose start passed, expired.
    "sweep-bookings": {
        "task": "bookings.tasks.sweep_bookings",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 4 * 60},
    },
    # The service standard: deciders reminded at half the time, supervisors told when overdue.
    "escalate-decisions": {
        "task": "bookings.tasks.escalate_decisions",
        "schedule": crontab(minute="*/10"),
        "options": {"expires": 9 * 60},
    },
    # Bookings whose invoice is unpaid at its deadline are released.
    "release-overdue-invoices": {
        "task": "payments.tasks.release_overdue_invoices",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 4 * 60},
    },
}
