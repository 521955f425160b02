"""Use cases of a resident's WhatsApp notifications: opting in with a number proved by a code
sent there by WhatsApp, and opting out. Email stays on always (it is the account's address).

The rules, here only:
- a number is an Indonesian mobile number, kept in E.164 (+628...);
- a code has six digits, is valid CODE_VALID (10 minutes) for at most MAX_TRIES (5) tries,
  after which only a new code helps; a new code at most once per RESEND_AFTER (a minute);
- the number is the channel's (bookings.channels.WhatsAppChannel) once its code was typed.

The code goes out at once, outside the transaction, not through the outbox: the resident is
waiting on the profile page for it, and a code that arrives late is worthless; when WhatsApp
cannot take it, the resident is told so and may ask again at once.
"""

import datetime as dt
import hmac
import re
import secrets

from django.conf import settings
from django.db import transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import User, WhatsAppVerification
from bookings import whatsapp
from bookings.outbox.whatsapp_templates import VERIFICATION_TEMPLATE
from haidepok import clock

CODE_VALID = dt.timedelta(minutes=10)
MAX_TRIES = 5
RESEND_AFTER = dt.timedelta(minutes=1)

NOT_MOBILE = gettext_lazy("Enter an Indonesian mobile number, e.g. 0812 3456 7890.")

# An Indonesian mobile number: 8, then 8 to 11 more digits (after 0, 62 or +62).
_MOBILE = re.compile(r"^8[1-9][0-9]{7,10}$")


class WhatsAppOptInError(Exception):
    def __init__(self, code: str, message):
        self.code = code
        self.message = str(message)
        super().__init__(self.message)


def normalise_mobile(number: str) -> str:
    """ "0812-3456-7890", "+62 812 3456 7890", "62812..." → "+6281234567890"; an error for a
    landline or a foreign number (WhatsApp reaches mobiles, and we send only in Indonesia)."""
    digits = re.sub(r"[\s().-]", "", number or "")
    if digits.startswith("+62"):
        digits = digits[3:]
    elif digits.startswith("62"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = digits[1:]
    if not _MOBILE.match(digits):
        raise WhatsAppOptInError("not_mobile", NOT_MOBILE)
    return "+62" + digits


def _hash(*, user_id: int, number: str, code: str) -> str:
    return salted_hmac("accounts.whatsapp", f"{user_id}:{number}:{code}").hexdigest()


def whatsapp_request_code(*, user: User, number: str, now: dt.datetime | None = None) -> str:
    """Send a new code to `number` for `user`; answer the number (normalised).

    Refused (WhatsAppOptInError) while WhatsApp is off, for a number that is not an
    Indonesian mobile, within RESEND_AFTER of the last code, or when WhatsApp did not take it.
    """
    if not whatsapp.is_configured():
        raise WhatsAppOptInError("off", _("WhatsApp notifications are not available now."))
    number = normalise_mobile(number)
    now = now or clock.now()
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        # Locks the user: two requests at once cannot both pass the one-a-minute rule.
        User.objects.select_for_update().get(pk=user.pk)
        last = WhatsAppVerification.objects.filter(user=user).first()
        if last is not None and now - last.sent_at < RESEND_AFTER:
            seconds = max(1, int((last.sent_at + RESEND_AFTER - now).total_seconds()))
            raise WhatsAppOptInError(
                "too_soon",
                ngettext(
                    "A code was sent less than a minute ago. Ask again in %(seconds)d second.",
                    "A code was sent less than a minute ago. Ask again in %(seconds)d seconds.",
                    seconds,
                )
                % {"seconds": seconds},
            )
        verification, _created = WhatsAppVerification.objects.update_or_create(
            user=user,
            defaults={
                "number": number,
                "code_hash": _hash(user_id=user.pk, number=number, code=code),
                "sent_at": now,
                "expires_at": now + CODE_VALID,
                "attempts": 0,
            },
        )
    language = user.language or settings.LANGUAGE_CODE
    try:
        whatsapp.send(
            whatsapp.TemplateMessage(
                to=number,
                template=VERIFICATION_TEMPLATE,
                language=whatsapp.language_code(language),
                parameters=(code,),
                button_parameter=code,
                reference=f"verification-{verification.pk}",
            )
        )
    except whatsapp.WhatsAppError as error:
        # Nothing reached the resident: this code is void, and they may ask again now.
        WhatsAppVerification.objects.filter(pk=verification.pk, sent_at=now).delete()
        if isinstance(error, whatsapp.WhatsAppRefused):
            message = _("WhatsApp could not deliver to %(number)s. Check the number.")
        else:
            message = _("WhatsApp could not be reached. Please try again in a moment.")
        raise WhatsAppOptInError("not_sent", message % {"number": number}) from error
    return number


def whatsapp_confirm(*, user: User, code: str, now: dt.datetime | None = None) -> User:
    """Check the code typed by `user`; when right, WhatsApp notifications go to its number."""
    now = now or clock.now()
    code = re.sub(r"\s", "", code or "")
    refusal = None
    with transaction.atomic():
        verification = WhatsAppVerification.objects.select_for_update().filter(user=user).first()
        if verification is None:
            raise WhatsAppOptInError("no_code", _("Ask for a code first."))
        if verification.attempts >= MAX_TRIES:
            raise WhatsAppOptInError("too_many", _("Too many wrong codes. Ask for a new code."))
        if now >= verification.expires_at:
            raise WhatsAppOptInError(
                "expired", _("This code has expired (after 10 minutes). Ask for a new code.")
            )
        right = _hash(user_id=user.pk, number=verification.number, code=code)
        if not hmac.compare_digest(right, verification.code_hash):
            # Counted, and kept: the refusal is raised after the transaction commits.
            verification.attempts += 1
            verification.save(update_fields=["attempts"])
            left = MAX_TRIES - verification.attempts
            if left:
                refusal = WhatsAppOptInError(
                    "wrong",
                    ngettext(
                        "That is not the code. %(left)d try left.",
                        "That is not the code. %(left)d tries left.",
                        left,
                    )
                    % {"left": left},
                )
            else:
                refusal = WhatsAppOptInError(
                    "too_many", _("Too many wrong codes. Ask for a new code.")
                )
        else:
            user.whatsapp_number = verification.number
            user.whatsapp_verified_at = now
            user.save(update_fields=["whatsapp_number", "whatsapp_verified_at"])
            verification.delete()
    if refusal is not None:
        raise refusal
    return user


def whatsapp_opt_out(*, user: User) -> User:
    """No more WhatsApp notifications (the ones still waiting are withdrawn when their turn
    comes: bookings.outbox.relevance). Email goes on."""
    with transaction.atomic():
        WhatsAppVerification.objects.filter(user=user).delete()
        user.whatsapp_number = ""
        user.whatsapp_verified_at = None
        user.save(update_fields=["whatsapp_number", "whatsapp_verified_at"])
    return user


def pending_verification(user: User) -> WhatsAppVerification | None:
    """The code the resident may still type, if any (not expired, tries left)."""
    verification = WhatsAppVerification.objects.filter(user=user).first()
    if verification is None:
        return None
    if verification.attempts >= MAX_TRIES or clock.now() >= verification.expires_at:
        return None
    return verification
