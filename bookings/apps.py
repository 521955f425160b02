from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingsConfig(AppConfig):
    name = "bookings"
    verbose_name = _("Bookings")

    def ready(self):
        # Imported here, once the models are loaded (Django's rule for ready()).
        from bookings import signals, tasks
        from bookings.outbox import delivery

        signals.connect()
        # The outbox queues its rows with the send task. bookings.tasks builds on the outbox,
        # so the outbox is handed the task rather than importing it; importing the tasks here
        # also registers them with Celery in every process, not only in workers.
        delivery.use_task(tasks.send_notification)
