"""The WhatsApp Business Cloud API client: template messages, nothing else.

A message is POST {WHATSAPP_API_URL}/{WHATSAPP_PHONE_NUMBER_ID}/messages with the Bearer
token WHATSAPP_TOKEN and a body of `type: template`: the name of a template approved in the
WhatsApp Business Manager, its language, and the texts of its body's {{1}}, {{2}}...
WhatsApp lets a business start a conversation only with an approved template, which is why
the site sends nothing free-form (the templates are listed in the README).

The Cloud API has no idempotency key. Each message carries its outbox row's id as
`biz_opaque_callback_data` (returned in the status webhooks), so that a duplicate (the
outbox is at least once: a worker killed after the API accepted a message sends it again)
is recognisable; the outbox's claim makes sure a row is never sent twice at the same time.

Only the standard library speaks HTTP here (urllib with a timeout, as payments.gateways.
midtrans), outside any transaction. Failures come in two kinds, and the outbox treats them
differently:
- WhatsAppUnavailable: an answer 5xx, 408 or 429, a timeout, a refused connection: another
  attempt later may succeed (the outbox backs off and retries, the sweep catches the rest);
- WhatsAppRefused: any other 4xx (a number that is not on WhatsApp, a parameter the template
  does not take, a token that is not valid): the same request would be refused again.
"""

import json
import logging
import re
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings

logger = logging.getLogger(__name__)

# Statuses that say "not now" rather than "never".
RETRYABLE_STATUSES = {408, 425, 429}
# The Cloud API refuses parameters with a newline, a tab or more than four spaces in a row.
_WHITESPACE = re.compile(r"\s+")
# And texts longer than this (a body parameter).
MAX_PARAMETER_LENGTH = 1000


class WhatsAppError(Exception):
    pass


class WhatsAppUnavailable(WhatsAppError):
    """Worth another attempt later."""


class WhatsAppRefused(WhatsAppError):
    """Refused for good: retrying the same message cannot succeed."""


@dataclass(frozen=True)
class TemplateMessage:
    to: str  # E.164, "+6281234567890"
    template: str
    language: str  # a Cloud API language code: "id", "en_US"
    parameters: tuple[str, ...] = ()
    # The outbox row's stable reference, e.g. "notification-12".
    reference: str = ""
    # A copy-code button (the authentication template of a verification code) takes the
    # code as its own parameter.
    button_parameter: str = ""


def is_configured() -> bool:
    return bool(settings.WHATSAPP_TOKEN)


def language_code(language: str) -> str:
    """The Cloud API's code for one of the site's languages."""
    return "en_US" if language.startswith("en") else "id"


def clean_parameter(text: str) -> str:
    """One line, no runs of spaces, not empty (the API refuses an empty parameter)."""
    text = _WHITESPACE.sub(" ", str(text)).strip()
    return text[:MAX_PARAMETER_LENGTH] or "-"


def payload(message: TemplateMessage) -> dict:
    """The body POSTed for `message`."""
    components = []
    if message.parameters:
        components.append(
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": clean_parameter(text)} for text in message.parameters
                ],
            }
        )
    if message.button_parameter:
        components.append(
            {
                "type": "button",
                "sub_type": "url",
                "index": "0",
                "parameters": [{"type": "text", "text": message.button_parameter}],
            }
        )
    body = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        # The API takes the number's digits, with or without "+".
        "to": message.to.lstrip("+"),
        "type": "template",
        "template": {
            "name": message.template,
            "language": {"code": message.language},
            "components": components,
        },
    }
    if message.reference:
        body["biz_opaque_callback_data"] = message.reference
    return body


def send(message: TemplateMessage, *, timeout: float | None = None) -> str:
    """Send `message`; answer the id WhatsApp gave it ("wamid...."), or raise."""
    if not is_configured():
        # Configuration can be fixed: the outbox retries, and staff may resend once it is.
        raise WhatsAppUnavailable("WHATSAPP_TOKEN is not set")
    url = f"{settings.WHATSAPP_API_URL}/{settings.WHATSAPP_PHONE_NUMBER_ID}/messages"
    request = urllib.request.Request(
        url,
        data=json.dumps(payload(message)).encode(),
        method="POST",
        headers={
            "Accept": "application/json",
            "Content-Type": "application/json",
            "Authorization": f"Bearer {settings.WHATSAPP_TOKEN}",
        },
    )
    timeout = settings.WHATSAPP_TIMEOUT if timeout is None else timeout
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - our configured URL
            raw = response.read(1_000_000)
    except urllib.error.HTTPError as error:
        reason = _error_reason(error)
        if error.code >= 500 or error.code in RETRYABLE_STATUSES:
            raise WhatsAppUnavailable(f"WhatsApp answered {error.code}: {reason}") from None
        raise WhatsAppRefused(f"WhatsApp refused the message ({error.code}): {reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        # A refused connection or a DNS failure is a URLError; a timeout is an OSError.
        raise WhatsAppUnavailable(f"WhatsApp could not be reached: {error}") from None
    try:
        answer = json.loads(raw)
        message_id = answer["messages"][0]["id"]
    except (ValueError, KeyError, IndexError, TypeError):
        # Accepted (2xx) but unreadable: treat as sent rather than risk a duplicate.
        logger.warning("WhatsApp accepted a message with an unexpected answer: %r", raw[:200])
        return ""
    logger.info("WhatsApp message %s sent (%s)", message_id, message.reference or "-")
    return str(message_id)


def _error_reason(error: urllib.error.HTTPError) -> str:
    """The API's own words for a refusal: {"error": {"message", "code", "error_data"}}."""
    try:
        body = json.loads(error.read(100_000) or b"{}")
        details = body["error"]
        text = str(details.get("message", ""))
        extra = (details.get("error_data") or {}).get("details")
        code = details.get("code")
    except (ValueError, KeyError, TypeError, AttributeError, OSError):
        return str(error.reason)[:500]
    parts = [f"#{code}" if code else "", text, f"({extra})" if extra else ""]
    return " ".join(part for part in parts if part)[:500]
