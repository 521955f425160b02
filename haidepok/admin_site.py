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
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.utils.translation import gettext_lazy as _

from haidepok import clock

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


class BoundedChangeList(ChangeList):
    """A change list whose date hierarchy takes a year outside the project's bound
    (clock.within_bounds) as a bad lookup, shown unfiltered with Django's warning. Django
    computes the range of the year, month or day asked for with datetime arithmetic, which
    leaves the calendar at year 1 or 9999: a 500 for ?start__year=9999. A ModelAdmin with a
    date_hierarchy uses it through get_changelist()."""

    def get_filters(self, request):
        if self.date_hierarchy:
            years = request.GET.getlist(f"{self.date_hierarchy}__year")
            if years:
                try:
                    year = int(years[-1])
                except ValueError as error:
                    raise IncorrectLookupParameters(error) from error
                if not clock.EARLIEST_YEAR <= year <= clock.LATEST_YEAR:
                    raise IncorrectLookupParameters(clock.out_of_bounds_message())
        return super().get_filters(request)


class HaiDepokAdminConfig(AdminConfig):
    default_site = "haidepok.admin_site.HaiDepokAdminSite"
