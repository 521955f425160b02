from django.db.models import Prefetch, Q, QuerySet

from facilities.models import Facility, FacilityPhoto


def published_facilities() -> QuerySet[Facility]:
    """The catalog: bookable facilities with what a card shows, in a fixed number of queries."""
    return (
        Facility.objects.bookable()
        .select_related("community")
        .prefetch_related(
            Prefetch(
                "photos",
                queryset=FacilityPhoto.objects.order_by("-is_cover", "position", "id"),
                to_attr="ordered_photos",
            )
        )
        .order_by("kecamatan", "name")
    )


def bookable_facility_name(slug: str) -> dict | None:
    """{"id", "name"} of the bookable facility with this slug, or None: one indexed query, all
    that a page served from the page cache asks the database."""
    return Facility.objects.bookable().filter(slug=slug).values("id", "name").first()


def search_facilities(
    *,
    q: str = "",
    kecamatan: str = "",
    kind: str = "",
    capacity: int | None = None,
) -> QuerySet[Facility]:
    facilities = published_facilities()
    if q:
        facilities = facilities.filter(
            Q(name__icontains=q)
            | Q(kelurahan__icontains=q)
            | Q(address__icontains=q)
            | Q(community__name__icontains=q)
        )
    if kecamatan:
        facilities = facilities.filter(kecamatan=kecamatan)
    if kind:
        facilities = facilities.filter(kind=kind)
    if capacity:
        facilities = facilities.filter(capacity__gte=capacity)
    return facilities
