"""The Celery app. Settings come from Django's (CELERY_* names); tasks are autodiscovered.

Without REDIS_URL the broker is in memory and tasks run eagerly, in the process that queues them.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haidepok.settings")

app = Celery("haidepok")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
