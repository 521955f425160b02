"""Django's admin, where Pemkot staff work, with their dashboard on the index page.

INSTALLED_APPS names HaiDepokAdminConfig instead of "django.contrib.admin": every app still
registers on `django.contrib.admin.site`, which then is a HaiDepokAdminSite.

The project package knows no domain app: an app that has something to show on the index page
registers a provider of template context with `add_index_context` (the bookings app gives the
staff dashboard, from its admin module), as it registers its models.
"""

from collections.abc import Callable

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _

# The group of Pemkot staff, made with its permissions by bookings/migrations/0003.
PEMKOT_STAFF_GROUP = "Pemkot staff"

IndexContext = Callable[[object], dict]


class HaiDepokAdminSite(AdminSite):
    site_header = _("Hai Depok — Pemkot staff")
    site_title = _("Hai Depok admin")
    index_title = _("Dashboard")
    # The booking list needs the width (nine columns beside the filters); the dashboard and
    # the breadcrumbs lead everywhere the side menu did.
    enable_nav_sidebar = False

    def __init__(self, name="admin"):
        super().__init__(name)
        self._index_context: list[IndexContext] = []

    def add_index_context(self, provider: IndexContext) -> IndexContext:
        """Have `provider(request)` add its dict to the context of the index page (its
        template, templates/admin/index.html, reads it). Returns `provider`: a decorator."""
        self._index_context.append(provider)
        return provider

    def index(self, request, extra_context=None):
        context = {}
        for provider in self._index_context:
            context.update(provider(request))
        return super().index(request, extra_context={**context, **(extra_context or {})})


class HaiDepokAdminConfig(AdminConfig):
    default_site = "haidepok.admin_site.HaiDepokAdminSite"
