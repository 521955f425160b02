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
    """Send the reason page of `action` (the second step of reject, cancel, decline). A
    rejection also needs its category: "other" unless the test gives one."""
    if action == "reject":
        data.setdefault("category", "other")
    return run_action(client, action, objects, url=url, apply="yes", reason=reason, **data)


def messages_of(response) -> list[tuple[str, str]]:
    """The (level, text) of the messages the response shows."""
    return [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]


def texts_of(response) -> list[str]:
    return [text for _level, text in messages_of(response)]


# --- Retribusi (tests/test_admin_invoices.py, tests/test_admin_payments.py) -------------------

INVOICES = "/admin/payments/invoice/"
PAYMENTS = "/admin/payments/payment/"


def invoiced_booking(facility=None, *, start=None, hours: int = 2, now=None, **kwargs):
    """A priced booking (sosial Rp 50.000 per hour by default) approved at once, with its
    invoice: booking.invoice."""
    import datetime as dt

    from haidepok import clock
    from tests.factories import priced_facility, request_booking

    facility = facility or priced_facility(approval="auto", lead_hours=0)
    now = now or clock.now()
    if start is None:
        day = clock.to_local(now).date() + dt.timedelta(days=3)
        start = clock.local_datetime(day, dt.time(9))
    kwargs.setdefault("tariff_class", "sosial")
    booking = request_booking(facility, start, start + dt.timedelta(hours=hours), now=now, **kwargs)
    booking.refresh_from_db()
    return booking
