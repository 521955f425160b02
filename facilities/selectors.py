from django.db.models import QuerySet

from facilities.models import Facility


def published_facilities() -> QuerySet[Facility]:
    """The catalog: bookable facilities with what a card shows, in a fixed number of queries."""
    return Facility.objects.bookable().select_related("community").order_by("kecamatan", "name")
