"""The ways a notification reaches a person, behind one small interface.

A channel knows two things: where it reaches a user (`address_of`) and how to deliver a
rendered message there (`send`, which raises when delivery fails, so the outbox retries;
DeliveryRefused when retrying cannot help, so the outbox fails the row at once).
Delivery is at least once: a worker that dies after the channel took a message sends it again.
Each message therefore carries a `message_id`, the same on every attempt of one notification,
so that a duplicate is recognisable (email puts it in the Message-ID header; WhatsApp passes
it as the message's biz_opaque_callback_data, the Cloud API having no idempotency key).

Two channels: email (every account, always) and WhatsApp (residents who opted in with a
number they verified, on the profile; bookings.notifications writes WhatsApp rows for the
resident's own kinds only, beside the email ones).
"""

from dataclasses import dataclass, field
from email import encoders
from email.mime.base import MIMEBase
from email.mime.text import MIMEText
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from bookings import whatsapp


class DeliveryRefused(Exception):
    """The provider refused the message for good (a number that is not on WhatsApp): the
    outbox fails the row at once, with this as the reason, instead of retrying."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str  # e.g. "text/calendar"
    # Extra Content-Type parameters, e.g. {"method": "REQUEST"} for a calendar invitation.
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Message:
    """A notification rendered in its recipient's language."""

    subject: str
    text: str
    html: str = ""
    attachments: tuple[Attachment, ...] = field(default=())
    # Stable for one notification across attempts, e.g. "<notification-12@haidepok.local>".
    message_id: str = ""
    # More addresses of the same message, next to the row's own (a community's organizers,
    # with its contact address); a channel that reaches one person per message ignores them.
    also_to: tuple[str, ...] = ()
    # A channel of template messages (WhatsApp) sends a template by name with parameters,
    # in the template's language code, instead of the subject and text.
    template: str = ""
    parameters: tuple[str, ...] = ()
    language: str = ""


class Channel(Protocol):
    name: str

    def address_of(self, user) -> str:
        """Where this channel reaches `user`; empty when it cannot."""
        ...

    def send(self, *, to: str, message: Message) -> None:
        """Deliver `message` to `to`, or raise."""
        ...


class EmailChannel:
    name = "email"

    def address_of(self, user) -> str:
        return user.email or ""

    def send(self, *, to: str, message: Message) -> None:
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[to, *message.also_to],
            headers={"Message-ID": message.message_id} if message.message_id else None,
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        for attachment in message.attachments:
            email.attach(_mime_part(attachment))
        email.send(fail_silently=False)


def _mime_part(attachment: Attachment) -> MIMEBase:
    """A MIME part with the attachment's Content-Type parameters, which calendar programs read
    (text/calendar; method=REQUEST) and EmailMessage.attach(filename, ...) cannot set."""
    maintype, subtype = attachment.mimetype.split("/", 1)
    if maintype == "text":
        part: MIMEBase = MIMEText(attachment.content.decode("utf-8"), subtype, "utf-8")
    else:
        part = MIMEBase(maintype, subtype)
        part.set_payload(attachment.content)
        encoders.encode_base64(part)
    for name, value in attachment.params:
        part.set_param(name, value)
    part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
    return part


class WhatsAppChannel:
    """The WhatsApp Business Cloud API (bookings.whatsapp): template messages to the verified
    number of a resident who opted in. Off (reaches nobody) while WHATSAPP_TOKEN is empty."""

    name = "whatsapp"

    def address_of(self, user) -> str:
        if not whatsapp.is_configured():
            return ""
        return user.whatsapp_address

    def send(self, *, to: str, message: Message) -> None:
        try:
            whatsapp.send(
                whatsapp.TemplateMessage(
                    to=to,
                    template=message.template,
                    language=message.language,
                    parameters=message.parameters,
                    reference=message.message_id,
                )
            )
        except whatsapp.WhatsAppRefused as error:
            raise DeliveryRefused(str(error)) from None


CHANNELS: dict[str, Channel] = {
    channel.name: channel for channel in [EmailChannel(), WhatsAppChannel()]
}

# The channels a notification is written for unless its writer names others: email, which
# every account has. The resident's own notifications add "whatsapp" (bookings.notifications).
ENABLED_CHANNELS = ["email"]


def get_channel(name: str) -> Channel:
    try:
        return CHANNELS[name]
    except KeyError:
        raise LookupError(f"no notification channel named {name!r}") from None
