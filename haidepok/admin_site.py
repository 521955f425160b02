"""Django's admin, where Pemkot staff work, with their dashboard on the index page.

INSTALLED_APPS names HaiDepokAdminConfig instead of "django.contrib.admin": every app still
registers on `django.contrib.admin.site`, which then is a HaiDepokAdminSite.
"""

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _

# The group of Pemkot staff, made with its permissions by bookings/migrations/0003.
PEMKOT_STAFF_GROUP = "Pemkot staff"


class HaiDepokAdminSite(AdminSite):
    site_header = _("Hai Depok — Pemkot staff")
    site_title = _("Hai Depok admin")
    index_title = _("Dashboard")
    # The booking list needs the width (nine columns beside the filters); the dashboard and
    # the breadcrumbs lead everywhere the side menu did.
    enable_nav_sidebar = False

    def index(self, request, extra_context=None):
        # Imported here: this module is loaded with the settings, before the models are.
        from haidepok.dashboard import staff_dashboard

        context = {"dashboard": staff_dashboard(request.user), **(extra_context or {})}
        return super().index(request, extra_context=context)


class HaiDepokAdminConfig(AdminConfig):
    default_site = "haidepok.admin_site.HaiDepokAdminSite"
