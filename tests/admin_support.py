"""Helpers shared by the admin tests (tests/test_admin_*.py)."""

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages

from tests.factories import UserFactory, pemkot_staff_group  # noqa: F401 (re-exported)

BOOKINGS = "/admin/bookings/booking/"
COMMUNITIES = "/admin/communities/community/"


def pemkot_staff(**kwargs):
    """A member of Pemkot staff as the city would set one up: staff, in the group, and not a
    superuser."""
    return UserFactory(is_staff=True, **kwargs)


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
