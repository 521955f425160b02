"""The service standard's data: a decision deadline for each request already waiting, and the
supervisors' group (settings.SERVICE_STANDARD_SUPERVISORS_GROUP) whose members are told when a
request is overdue (bookings.escalation). They read bookings in the admin and decide nothing.
"""

import datetime as dt

from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations

from bookings.service_standard import WorkingCalendar, decision_due_at
from haidepok import clock

SUPERVISOR_PERMISSIONS = {"bookings": ["view_booking"]}


def backfill_deadlines(apps, schema_editor):
    # The deadline counts from the day each request was made, as booking_request does now;
    # the city-wide closures of all their days are read at once (historical models).
    Booking = apps.get_model("bookings", "Booking")
    Closure = apps.get_model("facilities", "Closure")
    waiting = list(
        Booking.objects.filter(status="requested", decision_due_at__isnull=True).only(
            "pk", "created_at", "start"
        )
    )
    if not waiting:
        return
    first = min(clock.to_local(booking.created_at).date() for booking in waiting)
    last = max(clock.to_local(booking.start).date() for booking in waiting)
    # (decision_due_at walks no further than the booking's day: capped at its start.)
    closures = Closure.objects.filter(
        facility__isnull=True,
        start__lt=clock.local_datetime(last + dt.timedelta(days=1), dt.time.min),
        end__gt=clock.local_datetime(first, dt.time.min),
    ).values_list("start", "end")
    calendar = WorkingCalendar.of(first, last, closures)
    for booking in waiting:
        Booking.objects.filter(pk=booking.pk).update(
            decision_due_at=decision_due_at(booking.created_at, booking.start, calendar=calendar)
        )


def create_supervisors(apps, schema_editor):
    # Permissions are normally created after the whole migrate run (post_migrate).
    for label in SUPERVISOR_PERMISSIONS:
        app_config = apps.get_app_config(label)
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=settings.SERVICE_STANDARD_SUPERVISORS_GROUP)
    for label, codenames in SUPERVISOR_PERMISSIONS.items():
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label=label, codename__in=codenames)
        )


def delete_supervisors(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name=settings.SERVICE_STANDARD_SUPERVISORS_GROUP
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("facilities", "0005_tariffs_and_addons"),
        ("bookings", "0011_service_standard_permit_check_in"),
    ]

    operations = [
        # Going back leaves the deadlines in place: the column goes with 0011.
        migrations.RunPython(backfill_deadlines, migrations.RunPython.noop),
        migrations.RunPython(create_supervisors, delete_supervisors),
    ]
