"""The bookings app in Django's admin, a module per part: the bookings and their decisions
(bookings.py), the records the services write (records.py), the notification outbox
(notifications.py); and the staff dashboard on the admin's index page (bookings/dashboard.py)."""

from django.contrib import admin

from bookings.admin import bookings, notifications, records  # noqa: F401 (they register)
from bookings.dashboard import staff_dashboard


@admin.site.add_index_context
def dashboard(request) -> dict:
    return {"dashboard": staff_dashboard(request.user)}
