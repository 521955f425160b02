from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def rupiah(amount):
    """Rp 150.000 (Indonesian thousands separator), or "Gratis" for a free facility."""
    if not amount:
        return _("Free")
    return "Rp " + f"{int(amount):,}".replace(",", ".")
