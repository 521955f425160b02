"""Templated mail in the recipient's language, sent after the transaction commits.

Booking notifications go through the outbox (bookings); this is for the few one-off mails of
communities (verification results, invitations).
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation


def send_templated_mail(*, to: list[str], template: str, context: dict, language: str = "") -> None:
    """Render templates/<template>_subject.txt, _body.txt and _body.html, and send them once
    the surrounding transaction has committed (nothing is sent for a rolled-back change)."""
    language = language or settings.LANGUAGE_CODE

    def send():
        with translation.override(language):
            subject = render_to_string(f"{template}_subject.txt", context).strip()
            text = render_to_string(f"{template}_body.txt", context)
            html = render_to_string(f"{template}_body.html", context)
        message = EmailMultiAlternatives(
            subject=" ".join(subject.split()),
            body=text,
            to=to,
            from_email=settings.DEFAULT_FROM_EMAIL,
        )
        message.attach_alternative(html, "text/html")
        message.send()

    transaction.on_commit(send)
