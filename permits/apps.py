from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PermitsConfig(AppConfig):
    """The usage permit letter (Surat Izin Pemakaian) of an approved booking, its public
    verification by QR code, and the check-in at the venue."""

    name = "permits"
    verbose_name = _("Permits")
    default_auto_field = "django.db.models.BigAutoField"
