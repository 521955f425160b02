"""Writing outbox rows in the current transaction, and queueing them once it commits."""

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction

from bookings.channels import ENABLED_CHANNELS, get_channel
from bookings.models import Notification
from bookings.outbox.delivery import publish


def for_users(
    kind: str, recipients: Iterable, *, channels: Iterable[str] | None = None, **about
) -> list[Notification]:
    """One row per recipient and channel that reaches them, in their language.

    `channels` are the channels to try (ENABLED_CHANNELS, email, unless named): a channel
    that does not reach a recipient (WhatsApp without a verified number) writes no row.
    `about` names what the rows are about: booking= (and event=), community= or invitation=.
    """
    channel_names = list(ENABLED_CHANNELS if channels is None else channels)
    rows = []
    for user in recipients:
        language = user.language if user.language in dict(settings.LANGUAGES) else ""
        for channel_name in channel_names:
            address = get_channel(channel_name).address_of(user)
            if address:
                rows.append(
                    Notification(
                        kind=kind,
                        channel=channel_name,
                        recipient=user,
                        address=address,
                        language=language or settings.LANGUAGE_CODE,
                        **about,
                    )
                )
    return Notification.objects.bulk_create(rows)


def for_address(kind: str, address: str, *, language: str = "", **about) -> list[Notification]:
    """One email row to an address that belongs to no account (a community's contact address,
    someone invited)."""
    if not address:
        return []
    language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    row = Notification.objects.create(
        kind=kind, channel="email", address=address, language=language, **about
    )
    return [row]


def publish_on_commit(notifications: list[Notification]) -> None:
    if notifications:
        ids = [notification.pk for notification in notifications]
        transaction.on_commit(lambda: publish(ids))
