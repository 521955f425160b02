"""{% decision_deadline booking as deadline %}: a request's deadline (bookings.service_standard)
as the page reads it now, or None for a booking that waits for no decision."""

from django import template

from bookings.service_standard import Deadline, deadline_of
from haidepok import clock

register = template.Library()


@register.simple_tag(takes_context=True)
def decision_deadline(context, booking) -> Deadline | None:
    # One "now" per page, so every row of a list is measured against the same moment.
    now = context.get("now") or clock.now()
    return deadline_of(booking, now)
