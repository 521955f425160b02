"""The permit in the booking pages and mails: {{ booking|has_permit_letter }},
{% permit_letter_url booking %} (absolute, for mails), {% permit_verification_url booking %}."""

from django import template

from haidepok.links import absolute_url
from permits import letters, selectors

register = template.Library()


@register.filter
def has_permit_letter(booking) -> bool:
    return selectors.has_letter(booking)


@register.simple_tag
def permit_letter_url(booking) -> str:
    """The resident's download of the letter, absolute (SITE_URL): mails are sent outside any
    request."""
    return absolute_url("permit_letter", reference=booking.reference)


@register.simple_tag
def permit_verification_url(booking) -> str:
    return letters.verification_url(booking)
