"""Why a booking cannot be made or changed: a stable machine code, a field, and a message.

The codes are part of the API's contract; the messages are translated (Indonesian first,
English by the catalogue), so a form, the API and the admin all say the same thing.
"""

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    # The request rules.
    "email_not_verified": _("Confirm your email address before making a first booking."),
    "not_bookable": _("This facility is not open for booking."),
    "not_on_grid": _("Bookings start and end on the facility's %(slot)s-minute grid."),
    "too_short": _("This facility is booked for at least %(minutes)s minutes."),
    "too_long": _("This facility is booked for at most %(minutes)s minutes."),
    "outside_opening_hours": _("The facility is not open for the whole of that time."),
    "closed": _("The facility is closed at that time: %(reason)s."),
    "in_past": _("That time has already passed."),
    "too_soon": _("Book at least %(hours)s hours before the start."),
    "beyond_horizon": _("Bookings open at most %(days)s days ahead."),
    "slot_taken": _("That time is already booked. Please choose another time."),
    "over_capacity": _("This facility holds at most %(capacity)s people."),
    "no_attendees": _("At least one person must attend."),
    "quota_exceeded": _("You already have %(limit)s active bookings at this facility."),
    # The price (bookings.pricing) and the add-ons.
    "tariff_class_unknown": _(
        "“%(value)s” is not a tariff class. Choose social, commercial or free of charge."
    ),
    "tariff_class_required": _("Choose the tariff class that fits your activity."),
    "tariff_class_not_offered": _("This facility has no %(tariff_class)s tariff on that date."),
    "addon_unavailable": _("That add-on is not offered at this facility."),
    "addon_quantity": _("The number of %(name)s must be a whole number of at least 1."),
    "addon_over_stock": _("At most %(stock)s × %(name)s can be lent."),
    "addon_out_of_stock": _("Only %(available)s × %(name)s are free at that time."),
    "price_changed": _("The price is now %(total)s. Please check it and send your request again."),
    "price_too_high": _(
        "One booking may cost at most %(limit)s. Please ask for fewer items or a shorter time."
    ),
    # The same words as haidepok.clock.out_of_bounds_message, for a moment outside the bound.
    "out_of_bounds": _("Enter a date between the years %(first)s and %(last)s."),
    # Decisions and changes.
    "invalid_transition": _("A booking that is %(status)s cannot be %(action)s."),
    "reason_required": _("Please give a reason."),
    "rejection_category_required": _("Choose why the request is rejected from the list."),
    "cancel_too_late": _("Bookings can be cancelled up to %(hours)s hours before the start."),
    "not_allowed": _("You are not allowed to do this."),
    "not_started": _("A no-show can only be recorded once the booking has started."),
    "no_show_too_late": _(
        "A no-show can only be recorded up to %(hours)s hours after the booking ended."
    ),
    "no_show_in_grace": _(
        "A no-show can only be recorded from %(minutes)s minutes after the start: until then "
        "the group may still check in."
    ),
    "no_show_checked_in": _(
        "This booking was checked in at the venue: it cannot be marked as a no-show."
    ),
    "nothing_to_keep": _("This booking fits the facility's settings: there is nothing to keep."),
}

# Which input each rule is about, so a form shows the message next to the right field.
FIELDS = {
    "not_on_grid": "start",
    "too_short": "end",
    "too_long": "end",
    "outside_opening_hours": "start",
    "closed": "start",
    "in_past": "start",
    "too_soon": "start",
    "beyond_horizon": "start",
    "slot_taken": "start",
    "over_capacity": "attendees",
    "no_attendees": "attendees",
    "tariff_class_unknown": "tariff_class",
    "tariff_class_required": "tariff_class",
    "tariff_class_not_offered": "tariff_class",
    "addon_unavailable": "addons",
    "addon_quantity": "addons",
    "addon_over_stock": "addons",
    "addon_out_of_stock": "addons",
    "out_of_bounds": "start",
    "reason_required": "reason",
    "rejection_category_required": "category",
}


class BookingError(Exception):
    """One or more reasons why a booking cannot be made or changed; nothing was written."""

    def __init__(self, code: str, **params):
        self.violations = [Violation(code, params)]
        super().__init__(code)

    @classmethod
    def of(cls, violations: list["Violation"]) -> "BookingError":
        error = cls(violations[0].code, **violations[0].params)
        error.violations = list(violations)
        return error

    @property
    def code(self) -> str:
        return self.violations[0].code

    @property
    def codes(self) -> list[str]:
        return [violation.code for violation in self.violations]

    @property
    def message(self) -> str:
        return self.violations[0].message

    def by_field(self) -> dict[str, list[str]]:
        """Messages grouped by the input they concern ("__all__" for the rest)."""
        fields: dict[str, list[str]] = {}
        for violation in self.violations:
            fields.setdefault(violation.field or "__all__", []).append(violation.message)
        return fields

    def __str__(self):
        return "; ".join(f"{v.code}: {v.message}" for v in self.violations)


class Violation:
    def __init__(self, code: str, params: dict | None = None, *, cause: str = ""):
        if code not in MESSAGES:
            raise ValueError(f"unknown booking error code {code!r}")
        self.code = code
        self.params = params or {}
        # What exactly the rule met: which closure, which opening hours. Without one, the
        # parameters say it (a 90-minute limit is not a 120-minute limit).
        self.cause = cause or ";".join(f"{k}={v}" for k, v in sorted(self.params.items()))

    @property
    def key(self) -> str:
        """The rule and its cause, e.g. "closed:closure-12" or "too_long:minutes=120": what a
        booking kept despite new settings was kept despite (bookings.models.KeptConflict)."""
        cause = self.cause.replace(",", " ")
        return f"{self.code}:{cause}" if cause else self.code

    @property
    def field(self) -> str | None:
        return FIELDS.get(self.code)

    @property
    def message(self) -> str:
        return str(MESSAGES[self.code]) % self.params if self.params else str(MESSAGES[self.code])

    def __repr__(self):
        return f"Violation({self.code!r}, {self.params!r})"
