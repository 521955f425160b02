"""Forms check the shape of what a resident typed; bookings.rules decides if it is allowed."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from bookings.availability import grid_floor
from bookings.errors import Violation
from bookings.models import Booking
from bookings.pricing import MAX_ADDON_QUANTITY
from facilities.models import AddOn, Facility
from facilities.selectors import ClassTariffs
from facilities.templatetags.rupiah import rupiah
from haidepok import clock
from haidepok.fields import BoundedDateField, PhoneField


def length_choices(facility: Facility, lengths: list[int] | None = None) -> list[tuple[int, str]]:
    """The lengths a facility can be booked for, in slots, labelled in hours and minutes:
    `lengths` when given (those that fit a picked start), else min_slots to max_slots."""
    choices = []
    if lengths is None:
        lengths = list(range(facility.min_slots, facility.max_slots + 1))
    for slots in lengths:
        minutes = slots * facility.slot_minutes
        hours, rest = divmod(minutes, 60)
        parts = []
        if hours:
            parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
        if rest:
            parts.append(ngettext("%(n)d minute", "%(n)d minutes", rest) % {"n": rest})
        choices.append((slots, " ".join(parts)))
    return choices


def start_time_choices(facility: Facility, opening_hours) -> list[tuple[str, str]]:
    """Every start on the facility's grid between its earliest opening and latest closing."""
    if not opening_hours:
        return []
    first = grid_floor(facility, min(opens for opens, _ in opening_hours))
    last = max(closes for _, closes in opening_hours)
    step = dt.timedelta(minutes=facility.slot_minutes)
    moment = dt.datetime.combine(dt.date.min, first)
    choices = []
    while moment.time() < last and moment + step <= dt.datetime.combine(dt.date.min, last):
        label = moment.strftime("%H.%M")
        choices.append((moment.strftime("%H:%M"), label))
        moment += step
    return choices


# An add-on's quantity input is named after the add-on: addon_<id>.
ADDON_PREFIX = "addon_"
# The largest price the check page's hidden total may carry (a PositiveIntegerField's range).
MAX_EXPECTED_TOTAL = 2_147_483_647


class BookingRequestForm(forms.Form):
    date = BoundedDateField(label=_("Date"))
    start_time = forms.ChoiceField(label=_("Start time (WIB)"))
    slots = forms.TypedChoiceField(label=_("Length"), coerce=int)
    purpose = forms.CharField(
        label=_("Purpose of the booking"),
        max_length=Booking._meta.get_field("purpose").max_length,
        help_text=_("Shown on the public calendar, e.g. “Rapat RW 05” or “Posyandu”."),
    )
    attendees = forms.IntegerField(label=_("Expected attendees"), min_value=1, max_value=100000)
    organisation = forms.CharField(
        label=_("Organisation (optional)"),
        required=False,
        max_length=Booking._meta.get_field("organisation").max_length,
    )
    phone = PhoneField(label=_("Contact phone"))
    agree = forms.BooleanField(
        label=_("I have read and agree to the house rules."),
        error_messages={"required": _("Please agree to the house rules to book.")},
    )

    def __init__(
        self,
        *args,
        facility: Facility,
        opening_hours,
        tariff_classes: list[ClassTariffs] = (),
        addons: list[AddOn] = (),
        confirming: bool = False,
        lengths: list[int] | None = None,
        **kwargs,
    ):
        """`tariff_classes` (facilities.selectors.tariff_classes, today or later) and `addons`
        (the add-ons it lends) add their inputs; a facility with neither keeps the plain form.
        `confirming`: the check page was sent, with the price it showed. `lengths`: the only
        lengths to offer (availability.lengths_that_fit the start picked on the facility
        page); a sent form offers them all, its start may have been changed since."""
        super().__init__(*args, **kwargs)
        self.facility = facility
        self.confirming = confirming
        self.fields["start_time"].choices = start_time_choices(facility, opening_hours)
        self.fields["slots"].choices = length_choices(facility, lengths)
        if lengths is not None:
            self.fields["slots"].help_text = _(
                "Only the lengths that end before the next booking, closing time or the "
                "longest booking allowed."
            )
        self.tariff_classes = list(tariff_classes)
        self.addon_list = list(addons)
        if self.tariff_classes:
            self.fields["tariff_class"] = forms.ChoiceField(
                label=_("Tariff class"),
                choices=[(group.tariff_class, group.label) for group in self.tariff_classes],
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Choose the tariff class that fits your activity."),
                    "invalid_choice": _("Choose one of the tariff classes of this facility."),
                },
            )
            if len(self.tariff_classes) == 1:
                self.fields["tariff_class"].initial = self.tariff_classes[0].tariff_class
        quantity_error = _("Enter a whole number from 0 to %(limit)s.") % {
            "limit": MAX_ADDON_QUANTITY
        }
        for addon in self.addon_list:
            hint = _("%(price)s per item, at most %(stock)s at once; 0 = none.") % {
                "price": rupiah(addon.price),
                "stock": addon.stock,
            }
            self.fields[addon_field_name(addon)] = forms.IntegerField(
                label=addon.name,
                required=False,
                initial=0,
                min_value=0,
                max_value=MAX_ADDON_QUANTITY,
                help_text=f"{addon.description} · {hint}" if addon.description else hint,
                error_messages={
                    "invalid": quantity_error,
                    "min_value": quantity_error,
                    "max_value": quantity_error,
                },
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
            )
        # The total the check page showed, sent back with its "Send": booking_request refuses
        # the request if the price is another by now. It is compared, never charged.
        price_error = _(
            "The price you were shown is missing or was changed. Please check it again."
        )
        self.fields["expected_total"] = forms.IntegerField(
            required=False,
            min_value=0,
            max_value=MAX_EXPECTED_TOTAL,
            widget=forms.HiddenInput,
            error_messages={
                "invalid": price_error,
                "min_value": price_error,
                "max_value": price_error,
            },
        )

    def clean(self):
        cleaned = super().clean()
        # An add-on input this page did not offer (another facility's, a made-up id) is a
        # tampered request: refused, not silently dropped.
        offered = {addon_field_name(addon) for addon in self.addon_list}
        if any(key.startswith(ADDON_PREFIX) and key not in offered for key in self.data):
            self.add_error(None, _("That add-on is not offered at this facility."))
        if (
            self.confirming
            and cleaned.get("expected_total") is None
            and "expected_total" not in self.errors
        ):
            self.add_error(
                "expected_total",
                _("The price you were shown is missing or was changed. Please check it again."),
            )
        return cleaned

    @property
    def start(self) -> dt.datetime:
        data = self.cleaned_data
        return clock.local_datetime(data["date"], dt.time.fromisoformat(data["start_time"]))

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(
            minutes=self.cleaned_data["slots"] * self.facility.slot_minutes
        )

    @property
    def tariff_class(self) -> str:
        return self.cleaned_data.get("tariff_class") or ""

    @property
    def addons(self) -> dict[int, int]:
        """The add-ons asked for: id → quantity (0 and empty ask for none)."""
        chosen = {}
        for addon in self.addon_list:
            quantity = self.cleaned_data.get(addon_field_name(addon))
            if quantity:
                chosen[addon.pk] = quantity
        return chosen

    @property
    def expected_total(self) -> int | None:
        return self.cleaned_data.get("expected_total")

    @property
    def tariff_choices(self) -> list:
        """(radio input, ClassTariffs) pairs: the template explains each class at its input."""
        if "tariff_class" not in self.fields:
            return []
        return list(zip(self["tariff_class"], self.tariff_classes, strict=True))

    @property
    def addon_fields(self) -> list:
        return [self[addon_field_name(addon)] for addon in self.addon_list]

    @property
    def expected_total_errors(self):
        return self.errors.get("expected_total", [])

    def add_rule_errors(self, error) -> None:
        """Show each broken rule next to the input it concerns."""
        for violation in error.violations:
            self.add_error(self._input_of(violation), violation.message)

    def _input_of(self, violation: Violation) -> str | None:
        field = {"start": "start_time", "end": "slots", "attendees": "attendees"}.get(
            violation.field, violation.field
        )
        if field == "tariff_class":
            return field if field in self.fields else None
        if field == "addons":
            # The add-on's own input, found by its id or its name.
            for addon in self.addon_list:
                if violation.params.get("addon") == addon.pk or (
                    violation.params.get("name") == addon.name
                ):
                    return addon_field_name(addon)
            return None
        return field if field in self.fields else None


def addon_field_name(addon: AddOn) -> str:
    return f"{ADDON_PREFIX}{addon.pk}"


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
