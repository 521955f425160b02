"""Use cases of a resident's account: personal API tokens, calendar feed links, deleting the
account."""

import datetime as dt
import hashlib
import secrets

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import ApiToken, CalendarFeedToken, new_calendar_feed_token
from bookings import notifications
from bookings.services import bookings_release_for_departing_resident
from communities.services import communities_left_without_organizer
from documents.services import documents_delete_of_resident
from haidepok import clock


class AccountError(Exception):
    def __init__(self, code: str, message):
        self.code = code
        self.message = str(message)
        super().__init__(self.message)


# "hd_" marks a Hai Depok key (so a leaked one is recognisable in logs or a secret scanner);
# 32 random bytes make it unguessable.
KEY_PREFIX = "hd_"
SHOWN_PREFIX_LENGTH = len(KEY_PREFIX) + 6

# Recording every use would write on every API call; once a minute is precise enough to tell a
# resident which token is still in use.
LAST_USED_PRECISION = dt.timedelta(minutes=1)


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`, and its key: the only time the key is known in full."""
    raw_key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        key_hash=hash_key(raw_key),
        prefix=raw_key[:SHOWN_PREFIX_LENGTH],
    )
    return token, raw_key


def api_token_revoke(*, user, token_id: int) -> ApiToken:
    """Revoke one of `user`'s own tokens; another user's (or no) token raises DoesNotExist."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token_id, user=user)
        if token.revoked_at is None:
            token.revoked_at = clock.now()
            token.save(update_fields=["revoked_at"])
    return token


def api_token_for_key(raw_key: str) -> ApiToken | None:
    """The active token with this key (and its user), or None."""
    return (
        ApiToken.objects.active().select_related("user").filter(key_hash=hash_key(raw_key)).first()
    )


def api_token_touch(token: ApiToken, *, now: dt.datetime | None = None) -> None:
    """Record that `token` was just used (at most once per LAST_USED_PRECISION)."""
    now = now or clock.now()
    if token.last_used_at and now - token.last_used_at < LAST_USED_PRECISION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


def calendar_feed_token(*, user) -> CalendarFeedToken:
    """`user`'s calendar feed token, made the first time it is asked for (two pages opened at
    once make one: get_or_create reads again when the other's insert wins)."""
    token, _created = CalendarFeedToken.objects.get_or_create(user=user)
    return token


def calendar_feed_token_reset(*, user) -> CalendarFeedToken:
    """A new token for `user`'s calendar feeds: the URLs with the old one answer 404 from now."""
    token, _created = CalendarFeedToken.objects.update_or_create(
        user=user, defaults={"token": new_calendar_feed_token(), "created_at": clock.now()}
    )
    return token


def last_organizer_refusal(communities) -> str:
    """Why an account cannot be deleted while it is the last organizer of `communities`."""
    return _(
        "You are the last organizer of %(communities)s. Invite another organizer there, "
        "and wait until they accept, before deleting your account."
    ) % {"communities": ", ".join(community.name for community in communities)}


def account_delete(*, user) -> None:
    """Delete a resident's account. Their upcoming bookings are cancelled first (through the
    booking service, with the audit trail); past bookings and events stay, anonymous. Mails
    not sent to them yet are withdrawn and their address erased from the outbox.

    Refused (AccountError) while they are the last organizer of a community: it would be left
    with nobody to run it, as when an organizer removes the last one."""
    with transaction.atomic():
        orphaned = communities_left_without_organizer(user=user)
        if orphaned:
            raise AccountError("last_organizer", last_organizer_refusal(orphaned))
        bookings_release_for_departing_resident(user=user)
        # Their bookings' supporting documents are personal data: rows now, files on commit.
        documents_delete_of_resident(user=user)
        # After the release: the cancellation mails it wrote to them are withdrawn too.
        addresses = EmailAddress.objects.filter(user=user).values_list("email", flat=True)
        notifications.forget_person(user, addresses=list(addresses))
        user.delete()
