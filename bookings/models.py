import secrets

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext_lazy as _

from bookings.references import new_reference
from facilities.models import AddOn, Facility, TariffClass, TariffUnit


class BookingStatus(models.TextChoices):
    REQUESTED = "requested", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("No-show")


class RejectionCategory(models.TextChoices):
    """Why a request was rejected, in words the public statistics count (/statistik/); the
    decider's own reason, sent to the resident, says the rest."""

    CITY_EVENT = "city_event", _("Used for a city or government activity")
    SLOT_CONFLICT = "conflict", _("Conflicts with another activity")
    UNSUITABLE = "unsuitable", _("Activity not suited to the facility")
    CAPACITY = "capacity", _("Too many people for the facility")
    DOCUMENTS = "documents", _("Documents missing or not valid")
    MAINTENANCE = "maintenance", _("Facility under maintenance")
    OTHER = "other", _("Other reason")


# Only these states hold a slot; the database refuses two of them overlapping on one facility.
SLOT_HOLDING_STATUSES = (BookingStatus.REQUESTED, BookingStatus.APPROVED)


def new_permit_code() -> str:
    """The code of a booking's permit letter, printed as a QR code for /verifikasi/<code>/:
    unguessable (128 random bits), so that nobody finds another's letter by trying codes."""
    return secrets.token_urlsafe(16)


class BookingQuerySet(models.QuerySet):
    def holding_slot(self):
        return self.filter(status__in=SLOT_HOLDING_STATUSES)

    def overlapping(self, facility, start, blocked_until):
        """Slot-holding bookings of `facility` whose blocked time meets [start, blocked_until).

        Each booking blocks [start, end + buffer), so two bookings keep the facility's buffer
        between them exactly when these half-open ranges do not overlap. The PostgreSQL
        exclusion constraint (migration 0002) states the same condition.
        """
        return self.holding_slot().filter(
            facility=facility, start__lt=blocked_until, blocked_until__gt=start
        )


class Booking(models.Model):
    Status = BookingStatus

    reference = models.CharField(_("reference"), max_length=12, unique=True, editable=False)
    facility = models.ForeignKey(
        Facility, verbose_name=_("facility"), on_delete=models.PROTECT, related_name="bookings"
    )
    # SET_NULL: a resident who deletes their account leaves an anonymous audit trail behind.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resident"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bookings",
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    # end + the facility's buffer when the booking was made: the time this booking keeps free.
    blocked_until = models.DateTimeField(_("blocked until"), editable=False)
    purpose = models.CharField(_("purpose"), max_length=200)
    attendees = models.PositiveIntegerField(_("expected attendees"))
    organisation = models.CharField(_("organisation"), max_length=150, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32)
    # The retribusi as quoted when the request was made (bookings.pricing); its lines are
    # BookingLine rows. A later change of tariff does not change what this booking costs.
    tariff_class = models.CharField(
        _("tariff class"), max_length=10, choices=TariffClass.choices, blank=True
    )
    price_total = models.PositiveIntegerField(_("price (rupiah)"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=BookingStatus.choices, default=BookingStatus.REQUESTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_reason = models.TextField(_("reason"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # Set with a rejection, never without one (a constraint): what the statistics count.
    rejection_category = models.CharField(
        _("rejection category"),
        max_length=12,
        choices=RejectionCategory.choices,
        blank=True,
        default="",
        db_default="",
    )
    # Working days from the day of the request to the day a person decided it
    # (bookings.service_standard.working_days_between, as the day was then): the statistics'
    # decision time. None while undecided, and for a facility that approves by itself.
    decision_working_days = models.PositiveSmallIntegerField(
        _("decision time (working days)"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # The service standard (bookings.service_standard): when a request waiting for a decision
    # must be decided, counted in working days; when its deciders were reminded at half the
    # time and when its supervisors were told it is overdue (each once: set in the same
    # conditional UPDATE that sends it).
    decision_due_at = models.DateTimeField(_("decision due by"), null=True, blank=True)
    decision_reminded_at = models.DateTimeField(_("deciders reminded at"), null=True, blank=True)
    decision_escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    # The permit letter's verification code (permits/): in its QR code, never in a list.
    permit_code = models.CharField(
        _("permit code"), max_length=32, unique=True, default=new_permit_code, editable=False
    )
    # Check-in at the venue, by an organizer of the facility or staff (permits/).
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked in by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = BookingQuerySet.as_manager()

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="booking_end_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(blocked_until__gte=models.F("end")),
                name="booking_blocked_until_after_end",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=BookingStatus.values), name="booking_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(attendees__gte=1), name="booking_attendees_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(tariff_class__in=["", *TariffClass.values]),
                name="booking_tariff_class_valid",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(status=BookingStatus.REJECTED)
                    & models.Q(rejection_category__in=RejectionCategory.values)
                )
                | (~models.Q(status=BookingStatus.REJECTED) & models.Q(rejection_category="")),
                name="booking_rejection_has_category",
            ),
        ]
        indexes = [
            # A facility's bookings by time: availability, conflicts, calendars.
            models.Index(fields=["facility", "start"], name="booking_facility_start_idx"),
            # The slot holders of a facility by time, for the availability grid and the conflict
            # check: without it PostgreSQL combines (status, start) with facility_id and reads
            # every facility's bookings of the week (make bench, 1M bookings: 2 ms, not 0.05).
            models.Index(
                fields=["facility", "start"],
                condition=models.Q(status__in=SLOT_HOLDING_STATUSES),
                name="booking_holder_start_idx",
            ),
            models.Index(fields=["user", "status"], name="booking_user_status_idx"),
            models.Index(fields=["status", "start"], name="booking_status_start_idx"),
            # The requests waiting for a decision, by deadline: the admin's queue and the
            # service standard's escalation sweep.
            models.Index(
                fields=["decision_due_at"],
                condition=models.Q(status=BookingStatus.REQUESTED),
                name="booking_decision_due_idx",
            ),
        ]

    def __str__(self):
        return self.reference

    def save(self, *args, **kwargs):
        if self.reference:
            return super().save(*args, **kwargs)
        # A fresh reference collides about once in a hundred million; try again when it does.
        for attempt in range(5):
            self.reference = new_reference()
            try:
                with transaction.atomic():
                    return super().save(*args, **kwargs)
            except IntegrityError:
                if attempt == 4 or not Booking.objects.filter(reference=self.reference).exists():
                    raise
        return None

    @property
    def holds_slot(self) -> bool:
        return self.status in SLOT_HOLDING_STATUSES


class BookingLine(models.Model):
    """One line of a booking's price: units of its tariff, or items of an add-on. A line of
    an add-on also holds those items for the booking's time while the booking holds its slot
    (bookings.rules.addon_violations counts them against the add-on's stock)."""

    class Kind(models.TextChoices):
        TARIFF = "tariff", _("Use of the facility")
        ADDON = "addon", _("Add-on")

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # A tariff line's unit; an add-on line's add-on and its name as it was then.
    unit = models.CharField(_("unit"), max_length=10, choices=TariffUnit.choices, blank=True)
    addon = models.ForeignKey(
        AddOn,
        verbose_name=_("add-on"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lines",
    )
    label = models.CharField(_("item"), max_length=100, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.PositiveIntegerField(_("unit price (rupiah)"))
    amount = models.PositiveIntegerField(_("amount (rupiah)"))

    class Meta:
        verbose_name = _("price line")
        verbose_name_plural = _("price lines")
        ordering = ["booking", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount=models.F("quantity") * models.F("unit_price")),
                name="booking_line_amount_is_product",
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="booking_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="tariff", addon__isnull=True)
                | models.Q(kind="addon", addon__isnull=False, unit=""),
                name="booking_line_kind_matches",
            ),
        ]
        indexes = [models.Index(fields=["addon", "booking"], name="booking_line_addon_idx")]

    def __str__(self):
        return f"{self.description}: {self.quantity} × {self.unit_price}"

    @property
    def description(self) -> str:
        if self.kind == self.Kind.ADDON:
            return self.label
        return str(TariffUnit(self.unit).label) if self.unit else str(_("Use of the facility"))


class EventKind(models.TextChoices):
    STATUS = "status", _("Change of status")
    # At the venue (permits/): the status stays approved; from_status and to_status say so.
    CHECK_IN = "check_in", _("Checked in at the venue")


class BookingEvent(models.Model):
    """One change of a booking's status, or a check-in at the venue: the audit trail residents
    and staff read."""

    Kind = EventKind

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    from_status = models.CharField(
        _("from"), max_length=10, choices=BookingStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=10, choices=BookingStatus.choices)
    kind = models.CharField(
        _("kind"), max_length=10, choices=EventKind.choices, default=EventKind.STATUS
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("booking event")
        verbose_name_plural = _("booking events")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(to_status__in=BookingStatus.values),
                name="booking_event_to_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.booking}: {self.from_status or '∅'} → {self.to_status}"

    class Immutable(Exception):
        """An attempt to rewrite or delete an event of the audit trail."""

    # What happened stays written: an event is inserted once (bookings.services) and never
    # updated or deleted through the model. (Deleting the actor's account only sets `actor` to
    # NULL, which Django does with a query, not through save().)
    def save(self, *args, **kwargs):
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise self.Immutable(f"{self} is part of the audit trail: it cannot be changed.")
        # Always an INSERT: an unsaved event given the id of another must not overwrite it.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise self.Immutable(f"{self} is part of the audit trail: it cannot be deleted.")


class KeptConflict(models.Model):
    """A booking that its facility's new settings (policy, hours, closures) no longer allow, and
    that an organizer or Pemkot staff decided to keep. It leaves the list of bookings to review
    for the rules it broke then; a later change that breaks another rule brings it back."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="kept")
    rules = models.CharField(
        _("rules it breaks"),
        max_length=1000,
        help_text=_("The rules and their causes (code:cause), comma-separated."),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("kept by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("kept at"), auto_now=True)

    class Meta:
        verbose_name = _("booking kept despite new settings")
        verbose_name_plural = _("bookings kept despite new settings")

    def __str__(self):
        return f"{self.booking}: {self.rules}"

    def covers(self, violations) -> bool:
        """Whether every rule now broken was broken for the same cause when it was kept: a
        booking kept despite one closure is not kept despite the next one."""
        return {violation.key for violation in violations} <= set(self.rules.split(","))


class NotificationKind(models.TextChoices):
    # About a booking, to the resident who made it.
    REQUEST_RECEIVED = "request_received", _("Request received")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
    REMINDER = "reminder", _("Reminder")
    EXPIRED = "expired", _("Expired")
    # About a booking's invoice, to its resident: the payment was received (bukti bayar).
    PAYMENT_RECEIVED = "payment_received", _("Payment received")
    # About a booking, to those who decide: Pemkot staff or the facility's organizers.
    NEW_REQUEST = "new_request", _("New request to decide")
    # The service standard: half the time to decide has passed (to the deciders); the time
    # has passed (to the supervisors, settings.SERVICE_STANDARD_SUPERVISORS_GROUP).
    DECISION_REMINDER = "decision_reminder", _("Decision reminder")
    DECISION_OVERDUE = "decision_overdue", _("Decision overdue")
    # About a community, to its contact address and its organizers: Pemkot's decision.
    COMMUNITY_VERIFIED = "community_verified", _("Community verified")
    COMMUNITY_DECLINED = "community_declined", _("Community declined")
    # About an invitation, to the invited address.
    INVITATION = "invitation", _("Organizer invitation")


# What each kind of notification is about: exactly this one of booking, community and
# invitation is set on its row (a constraint of Notification).
BOOKING_KINDS = (
    NotificationKind.REQUEST_RECEIVED,
    NotificationKind.APPROVED,
    NotificationKind.REJECTED,
    NotificationKind.CANCELLED,
    NotificationKind.REMINDER,
    NotificationKind.EXPIRED,
    NotificationKind.PAYMENT_RECEIVED,
    NotificationKind.NEW_REQUEST,
    NotificationKind.DECISION_REMINDER,
    NotificationKind.DECISION_OVERDUE,
)
COMMUNITY_KINDS = (NotificationKind.COMMUNITY_VERIFIED, NotificationKind.COMMUNITY_DECLINED)
INVITATION_KINDS = (NotificationKind.INVITATION,)


class NotificationState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # Final: by the time it was to be sent it was no longer true (the booking was cancelled,
    # the decision reversed) or its recipient deleted their account. last_error says why.
    WITHDRAWN = "withdrawn", _("No longer sent")


class Notification(models.Model):
    """One message to one address about one booking, community or invitation: the outbox.

    Rows are written in the transaction that makes the change, so a committed change always
    has its notifications, and a rolled-back one has none. Workers send them afterwards
    (bookings.outbox), each row at most once at a time: a worker claims a row by moving it
    from pending to sending in one conditional UPDATE. Delivery is at least once: a worker
    killed after the SMTP server took a mail sends it again, with the same Message-ID.
    """

    Kind = NotificationKind
    State = NotificationState

    booking = models.ForeignKey(
        Booking,
        verbose_name=_("booking"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    community = models.ForeignKey(
        "communities.Community",
        verbose_name=_("community"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    invitation = models.ForeignKey(
        "communities.Invitation",
        verbose_name=_("invitation"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    # The change that caused it (none for a reminder): who cancelled, and why.
    event = models.ForeignKey(
        BookingEvent,
        verbose_name=_("booking event"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    # The name of a channel in bookings.channels ("email"; later perhaps "whatsapp", "sms").
    channel = models.CharField(_("channel"), max_length=20, default="email")
    # None for an address without an account (a community's contact address, an invitation),
    # and once the recipient deleted their account.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Where the channel reaches the recipient (an email address), as it was when written;
    # erased (empty) when the recipient deletes their account.
    address = models.CharField(_("address"), max_length=254, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=NotificationState.choices,
        default=NotificationState.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Why the last attempt failed, or why the row was withdrawn.
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Not before this moment (a retry waiting out its back-off); none means at once.
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=NotificationState.values),
                name="notification_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=NotificationKind.values),
                name="notification_kind_valid",
            ),
            # A row is about exactly the one thing its kind names.
            models.CheckConstraint(
                condition=(
                    models.Q(
                        kind__in=BOOKING_KINDS,
                        booking__isnull=False,
                        community__isnull=True,
                        invitation__isnull=True,
                    )
                    | models.Q(
                        kind__in=COMMUNITY_KINDS,
                        booking__isnull=True,
                        community__isnull=False,
                        invitation__isnull=True,
                        event__isnull=True,
                    )
                    | models.Q(
                        kind__in=INVITATION_KINDS,
                        booking__isnull=True,
                        community__isnull=True,
                        invitation__isnull=False,
                        event__isnull=True,
                    )
                ),
                name="notification_subject_matches_kind",
            ),
            # Beat may look for due reminders while another beat run is at it: the database,
            # not a check in Python, makes sure a booking is reminded once (per channel).
            models.UniqueConstraint(
                fields=["booking", "channel"],
                condition=models.Q(kind="reminder"),
                name="notification_one_reminder_per_booking",
            ),
        ]
        indexes = [
            # The sweep's question, every minute: which rows are still pending, oldest first.
            models.Index(fields=["state", "created_at"], name="notification_state_created_idx"),
            # A departing resident's question: which rows went to my addresses.
            models.Index(fields=["address"], name="notification_address_idx"),
        ]

    def __str__(self):
        return f"{self.about} {self.kind} → {self.address or '—'} ({self.state})"

    @property
    def about(self):
        """What the notification is about: its booking, community or invitation."""
        return self.booking or self.community or self.invitation
