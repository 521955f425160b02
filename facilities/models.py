from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from communities.models import Community
from haidepok.depok import LATITUDE_RANGE, LONGITUDE_RANGE, WEEKDAYS, Kecamatan


class FacilityQuerySet(models.QuerySet):
    def bookable(self):
        """Published facilities of verified communities: the only ones residents may book.
        The same rule as Facility.is_bookable, for a query."""
        return self.filter(is_published=True, community__status=Community.Status.VERIFIED)


class Facility(models.Model):
    class Kind(models.TextChoices):
        HALL = "hall", _("Hall")
        FIELD = "field", _("Field")
        PARK = "park", _("Park")
        COURT = "court", _("Court")
        ROOM = "room", _("Meeting room")
        OTHER = "other", _("Other")

    class Approval(models.TextChoices):
        AUTO = "auto", _("Approved at once")
        COMMUNITY = "community", _("Decided by the community's organizers")
        CITY = "city", _("Decided by Pemkot staff")

    SLOT_MINUTES_CHOICES = [(15, "15"), (30, "30"), (60, "60"), (120, "120")]
    # The booking policy, as the editor, the API and the admin show it.
    POLICY_FIELDS = [
        "slot_minutes",
        "min_slots",
        "max_slots",
        "buffer_minutes",
        "lead_hours",
        "horizon_days",
        "max_active_per_user",
        "cancel_hours",
        "approval",
        "closed_on_public_holidays",
    ]

    community = models.ForeignKey(
        Community,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="facilities",
    )
    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("slug"), max_length=160, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    description = models.TextField(_("description"), blank=True)
    address = models.CharField(_("address"), max_length=255)
    kecamatan = models.CharField(_("kecamatan"), max_length=20, choices=Kecamatan.choices)
    kelurahan = models.CharField(_("kelurahan"), max_length=80, blank=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(LATITUDE_RANGE[0]), MaxValueValidator(LATITUDE_RANGE[1])],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(LONGITUDE_RANGE[0]), MaxValueValidator(LONGITUDE_RANGE[1])],
    )
    capacity = models.PositiveIntegerField(_("capacity (people)"))
    amenities = models.JSONField(_("amenities"), default=list, blank=True)
    house_rules = models.TextField(_("house rules"), blank=True)
    is_published = models.BooleanField(_("published"), default=False)

    # Booking policy.
    slot_minutes = models.PositiveSmallIntegerField(
        _("slot length (minutes)"), choices=SLOT_MINUTES_CHOICES, default=60
    )
    min_slots = models.PositiveSmallIntegerField(_("shortest booking (slots)"), default=1)
    max_slots = models.PositiveSmallIntegerField(_("longest booking (slots)"), default=4)
    buffer_minutes = models.PositiveSmallIntegerField(
        _("gap between bookings (minutes)"), default=0, validators=[MaxValueValidator(720)]
    )
    lead_hours = models.PositiveSmallIntegerField(_("book at least (hours ahead)"), default=24)
    horizon_days = models.PositiveSmallIntegerField(_("book at most (days ahead)"), default=60)
    max_active_per_user = models.PositiveSmallIntegerField(
        _("active bookings per resident"), default=3
    )
    cancel_hours = models.PositiveSmallIntegerField(
        _("residents may cancel until (hours before)"), default=24
    )
    approval = models.CharField(
        _("approval"), max_length=10, choices=Approval.choices, default=Approval.CITY
    )
    closed_on_public_holidays = models.BooleanField(_("closed on public holidays"), default=False)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = FacilityQuerySet.as_manager()
    # Every change (who, when, what), shown on the facility's history page in the admin.
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(slot_minutes__in=[15, 30, 60, 120]),
                name="facility_slot_minutes_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(min_slots__gte=1), name="facility_min_slots_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(max_slots__gte=models.F("min_slots")),
                name="facility_max_slots_gte_min",
            ),
            models.CheckConstraint(
                condition=models.Q(capacity__gte=1), name="facility_capacity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(horizon_days__gte=1), name="facility_horizon_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(max_active_per_user__gte=1),
                name="facility_max_active_positive",
            ),
            # Bounded so that conflict queries can bound `start` (bookings.rules.MAX_BLOCKED_SPAN).
            models.CheckConstraint(
                condition=models.Q(buffer_minutes__lte=720), name="facility_buffer_at_most_12h"
            ),
            models.CheckConstraint(
                condition=models.Q(approval__in=["auto", "community", "city"]),
                name="facility_approval_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["is_published", "kecamatan"], name="facility_published_kec_idx"),
            models.Index(fields=["kind"], name="facility_kind_idx"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_bookable(self) -> bool:
        """Residents may book it: published, and run by a verified community. The rules, the
        availability grid and every decision ask this; FacilityQuerySet.bookable() is the
        same rule as a query."""
        return self.is_published and self.community.status == Community.Status.VERIFIED

    @property
    def minimum_minutes(self) -> int:
        """The shortest booking, in minutes (bookings.rules.minimum_length)."""
        return self.min_slots * self.slot_minutes


def facility_photo_path(photo, filename):
    return f"facilities/{photo.facility_id}/{filename}"


class FacilityPhoto(models.Model):
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("image"), upload_to=facility_photo_path)
    thumbnail = models.ImageField(_("thumbnail"), upload_to=facility_photo_path, blank=True)
    alt_text = models.CharField(_("description of the photo"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_cover = models.BooleanField(_("cover photo"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("facility photo")
        verbose_name_plural = _("facility photos")
        ordering = ["facility", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility"],
                condition=models.Q(is_cover=True),
                name="facility_photo_one_cover",
            ),
        ]

    def __str__(self):
        return self.alt_text or f"{self.facility} #{self.position}"


class OpeningHours(models.Model):
    """One opening interval on one weekday (local time); a day may have several."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=WEEKDAYS)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["facility", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")),
                name="opening_hours_closes_after_opens",
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6),
                name="opening_hours_weekday_valid",
            ),
        ]
        indexes = [models.Index(fields=["facility", "weekday"], name="opening_hours_day_idx")]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class ClosureQuerySet(models.QuerySet):
    def affecting(self, facility):
        """Closures of this facility and city-wide ones (no facility)."""
        return self.filter(models.Q(facility=facility) | models.Q(facility__isnull=True))

    def affecting_any(self, facilities):
        """Closures of any of these facilities, and city-wide ones."""
        return self.filter(models.Q(facility__in=facilities) | models.Q(facility__isnull=True))


class Closure(models.Model):
    """A period when a facility (or, with no facility, every facility) is closed."""

    facility = models.ForeignKey(
        Facility,
        verbose_name=_("facility"),
        on_delete=models.CASCADE,
        related_name="closures",
        null=True,
        blank=True,
        help_text=_("Leave empty to close every facility in the city."),
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    reason = models.CharField(_("reason"), max_length=255)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ClosureQuerySet.as_manager()

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="closure_end_after_start"
            ),
        ]
        indexes = [models.Index(fields=["facility", "end"], name="closure_facility_end_idx")]

    def __str__(self):
        return f"{self.facility or _('All facilities')}: {self.reason}"


# --- Retribusi: what the use of a facility costs -----------------------------------------------


class TariffClass(models.TextChoices):
    """The classes of the Perda tariff: who pays what. The resident chooses one when booking
    (CLASS_RULES explains each); the deciders see it and may refuse a wrong one."""

    SOSIAL = "sosial", _("Social")
    KOMERSIAL = "komersial", _("Commercial")
    GRATIS = "gratis", _("Free of charge")


CLASS_RULES = {
    TariffClass.SOSIAL: _(
        "Non-commercial activities of residents: religious, educational, sports, arts and "
        "family events without tickets or sales."
    ),
    TariffClass.KOMERSIAL: _(
        "Activities that charge admission, sell goods or services or promote a business, "
        "and events organised by companies."
    ),
    TariffClass.GRATIS: _(
        "Posyandu, RT/RW and kelurahan meetings, government programmes and disaster relief."
    ),
}


class TariffUnit(models.TextChoices):
    HOUR = "hour", _("per hour")
    HALF_DAY = "half_day", _("per half day (6 hours)")
    DAY = "day", _("per day (24 hours)")


# How long each unit lasts: a booking pays for whole units (bookings.pricing).
UNIT_MINUTES = {TariffUnit.HOUR: 60, TariffUnit.HALF_DAY: 6 * 60, TariffUnit.DAY: 24 * 60}

# The largest price a tariff or an add-on may have, so that no sum overflows a column.
MAX_PRICE = 100_000_000


class TariffQuerySet(models.QuerySet):
    def valid_on(self, day):
        """The tariffs in force on `day` (a local date): valid_until is the last day."""
        return self.filter(valid_from__lte=day).filter(
            models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=day)
        )


class Tariff(models.Model):
    """The price of one unit of use of a facility for one class, in force from one date to
    another (a new Perda is entered ahead of time with its own valid_from). Several units of a
    class may be in force at once (per hour and per day): a booking pays the cheapest whole
    combination (bookings.pricing). Which tariffs apply is decided by the booking's first day."""

    Class = TariffClass
    Unit = TariffUnit

    facility = models.ForeignKey(
        Facility, verbose_name=_("facility"), on_delete=models.CASCADE, related_name="tariffs"
    )
    tariff_class = models.CharField(_("class"), max_length=10, choices=TariffClass.choices)
    unit = models.CharField(_("unit"), max_length=10, choices=TariffUnit.choices)
    price = models.PositiveIntegerField(
        _("price (rupiah)"), validators=[MaxValueValidator(MAX_PRICE)]
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(
        _("valid until"), null=True, blank=True, help_text=_("The last day; empty: no end yet.")
    )
    legal_basis = models.CharField(
        _("legal basis"), max_length=200, blank=True, help_text=_("e.g. Perda Kota Depok No. …")
    )

    objects = TariffQuerySet.as_manager()

    class Meta:
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        ordering = ["facility", "tariff_class", "valid_from", "unit"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(tariff_class__in=TariffClass.values), name="tariff_class_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(unit__in=TariffUnit.values), name="tariff_unit_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(price__lte=MAX_PRICE), name="tariff_price_bounded"
            ),
            # The free class is free: a price there would be charged to a posyandu.
            models.CheckConstraint(
                condition=~models.Q(tariff_class=TariffClass.GRATIS) | models.Q(price=0),
                name="tariff_gratis_costs_nothing",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="tariff_valid_until_after_from",
            ),
        ]
        indexes = [models.Index(fields=["facility", "valid_from"], name="tariff_facility_idx")]

    def __str__(self):
        return f"{self.get_tariff_class_display()} {self.get_unit_display()}: Rp {self.price}"

    @property
    def minutes(self) -> int:
        return UNIT_MINUTES[self.unit]


class AddOn(models.Model):
    """Equipment a community lends with its facilities (chairs, a sound system, a
    projector): a price per item per booking and a stock shared by every facility that offers
    it, so that ten sound systems are never lent eleven times at once (bookings.rules)."""

    community = models.ForeignKey(
        Community, verbose_name=_("community"), on_delete=models.CASCADE, related_name="addons"
    )
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=200, blank=True)
    price = models.PositiveIntegerField(
        _("price per item (rupiah)"), validators=[MaxValueValidator(MAX_PRICE)]
    )
    stock = models.PositiveSmallIntegerField(
        _("stock"), validators=[MinValueValidator(1)], help_text=_("How many can be lent at once.")
    )
    facilities = models.ManyToManyField(
        Facility, verbose_name=_("offered at"), related_name="addons", blank=True
    )
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("add-on")
        verbose_name_plural = _("add-ons")
        ordering = ["community", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(stock__gte=1), name="addon_stock_positive"),
            models.CheckConstraint(
                condition=models.Q(price__lte=MAX_PRICE), name="addon_price_bounded"
            ),
        ]

    def __str__(self):
        return self.name
