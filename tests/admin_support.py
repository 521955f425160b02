"""Helpers shared by the admin tests (tests/test_admin_*.py)."""

import importlib

from django.apps import apps
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages

from haidepok.admin_site import PEMKOT_STAFF_GROUP
from tests.factories import UserFactory

BOOKINGS = "/admin/bookings/booking/"
COMMUNITIES = "/admin/communities/community/"

# The data migration that makes the group; a test that flushed the database (a transactional
# test) leaves no group behind, so the helpers below run it again when it is missing.
GROUP_MIGRATION = importlib.import_module("bookings.migrations.0003_pemkot_staff_group")
# And the one that lets the group see the notification outbox.
OUTBOX_MIGRATION = importlib.import_module("bookings.migrations.0004_notification")


def pemkot_staff_group() -> Group:
    group = Group.objects.filter(name=PEMKOT_STAFF_GROUP).first()
    if group is None:
        GROUP_MIGRATION.create_group(apps, None)
        OUTBOX_MIGRATION.grant_staff(apps, None)
        group = Group.objects.get(name=PEMKOT_STAFF_GROUP)
    return group


def pemkot_staff(**kwargs):
    """A member of Pemkot staff as the city would set one up: staff, in the group, and not a
    superuser."""
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(pemkot_staff_group())
    return user


def run_action(client, action: str, objects, url: str = BOOKINGS, follow=True, **data):
    """Choose `action` for `objects` on the change list, as the action bar does."""
    return client.post(
        url,
        {"action": action, ACTION_CHECKBOX_NAME: [obj.pk for obj in objects], **data},
        follow=follow,
    )


def send_reason(client, action: str, objects, reason: str, url: str = BOOKINGS, **data):
    """Send the reason page of `action` (the second step of reject, cancel, decline)."""
    return run_action(client, action, objects, url=url, apply="yes", reason=reason, **data)


def messages_of(response) -> list[tuple[str, str]]:
    """The (level, text) of the messages the response shows."""
    return [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]


def texts_of(response) -> list[str]:
    return [text for _level, text in messages_of(response)]
