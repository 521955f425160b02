import datetime as dt
from dataclasses import dataclass, field

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

from facilities.models import (
    CLASS_RULES,
    AddOn,
    Facility,
    FacilityPhoto,
    Tariff,
    TariffClass,
    TariffUnit,
)


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


def bookable_facility_head(slug: str) -> dict | None:
    """What the facility page around its cached content shows, from one indexed query:
    {"id", "name", "slug", "description", "cover"} (cover: the storage name of the cover
    photo, or None, for the sharing tags), or None when it is not bookable."""
    cover = (
        FacilityPhoto.objects.filter(facility=OuterRef("pk"))
        .order_by("-is_cover", "position", "id")
        .values("image")[:1]
    )
    return (
        Facility.objects.bookable()
        .filter(slug=slug)
        .annotate(cover=Subquery(cover))
        .values("id", "name", "slug", "description", "cover")
        .first()
    )


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


# --- Retribusi as the public pages show it ------------------------------------------------------


def with_lowest_price(facilities: QuerySet[Facility], day: dt.date) -> QuerySet[Facility]:
    """`facilities` with their paying tariffs in force on `day`, cheapest first, as
    `paying_tariffs`: a card's "from Rp X per hour" is the first, and a facility with none
    is free that day (a gratis class alone, for a posyandu, does not make a hall "from Rp 0").
    One query for a whole page of facilities."""
    return facilities.prefetch_related(
        Prefetch(
            "tariffs",
            queryset=Tariff.objects.valid_on(day).filter(price__gt=0).order_by("price", "pk"),
            to_attr="paying_tariffs",
        )
    )


def lowest_paying_tariff(tariffs) -> Tariff | None:
    """The cheapest of `tariffs` that costs something (as with_lowest_price orders them), or
    None: free."""
    return min((t for t in tariffs if t.price > 0), key=lambda t: (t.price, t.pk), default=None)


@dataclass
class ClassTariffs:
    """One tariff class of a facility: who it is for, its prices in force on a day and the
    ones entered ahead of time (a new Perda)."""

    tariff_class: str
    current: list[Tariff] = field(default_factory=list)
    upcoming: list[Tariff] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(TariffClass(self.tariff_class).label)

    @property
    def rules(self) -> str:
        return str(CLASS_RULES[TariffClass(self.tariff_class)])


def tariff_classes(facility: Facility, day: dt.date) -> list[ClassTariffs]:
    """The facility's tariffs in force on `day` or later, by class (in the order of
    TariffClass), each class's prices by date and unit. One query."""
    tariffs = Tariff.objects.filter(facility=facility).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=day)
    )
    units = list(TariffUnit.values)
    by_class: dict[str, ClassTariffs] = {value: ClassTariffs(value) for value in TariffClass.values}
    for tariff in sorted(tariffs, key=lambda t: (t.valid_from, units.index(t.unit), t.pk)):
        group = by_class[tariff.tariff_class]
        (group.current if tariff.valid_from <= day else group.upcoming).append(tariff)
    return [group for group in by_class.values() if group.current or group.upcoming]


def facility_addons(facility: Facility) -> list[AddOn]:
    """The add-ons a facility lends now, by name. One query."""
    return list(AddOn.objects.filter(facilities=facility, is_active=True).order_by("name", "pk"))
