from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    """Supporting documents a facility requires with a request (surat permohonan...): private
    files that only the resident, the facility's deciders and staff may download."""

    name = "documents"
    verbose_name = _("Supporting documents")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from documents import signals

        signals.connect()
