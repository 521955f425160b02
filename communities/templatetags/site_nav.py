"""What the site header needs to know of the person reading it (templates/includes/site_header.html).

The header is rendered per request around the cached page content (templates/base.html), so it
may depend on the user; the content never does.
"""

from django import template
from django.utils.text import Truncator

from communities import permissions

register = template.Library()

NAME_LENGTH = 18


@register.simple_tag(takes_context=True)
def manages_something(context) -> bool:
    """Whether "Kelola" belongs in the menu: the user organizes a community or acts for the city.
    One query at most, remembered on the request so that a page asking twice pays once."""
    request = context.get("request")
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return False
    cached = getattr(request, "_manages_something", None)
    if cached is None:
        cached = permissions.managed_communities(user).exists()
        if request is not None:
            request._manages_something = cached
    return cached


@register.filter
def display_name(user) -> str:
    """The name a header shows: the user's name, else the part of the email before "@",
    shortened so that it fits a phone's header. Never the whole address: others may read the
    screen over a resident's shoulder, and it would not fit anyway."""
    name = (user.get_full_name() or "").strip() if hasattr(user, "get_full_name") else ""
    if not name:
        email = getattr(user, "email", "") or ""
        name = email.split("@", 1)[0] or getattr(user, "username", "").split("@", 1)[0]
    return Truncator(name).chars(NAME_LENGTH)
