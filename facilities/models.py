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
    fee = models.PositiveIntegerField(_("fee (rupiah)"), default=0, help_text=_("0 means free"))
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

    @property
    def is_free_of_charge(self) -> bool:
        return self.fee == 0


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
