"""Forms check the shape of what a resident typed; bookings.rules decides if it is allowed."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from bookings.availability import grid_floor
from bookings.models import Booking
from facilities.models import Facility
from haidepok import clock
from haidepok.fields import BoundedDateField, PhoneField


def length_choices(facility: Facility) -> list[tuple[int, str]]:
    """The lengths a facility can be booked for, in slots, labelled in hours and minutes."""
    choices = []
    for slots in range(facility.min_slots, facility.max_slots + 1):
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

    def __init__(self, *args, facility: Facility, opening_hours, **kwargs):
        super().__init__(*args, **kwargs)
        self.facility = facility
        self.fields["start_time"].choices = start_time_choices(facility, opening_hours)
        self.fields["slots"].choices = length_choices(facility)

    @property
    def start(self) -> dt.datetime:
        data = self.cleaned_data
        return clock.local_datetime(data["date"], dt.time.fromisoformat(data["start_time"]))

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(
            minutes=self.cleaned_data["slots"] * self.facility.slot_minutes
        )

    def add_rule_errors(self, error) -> None:
        """Show each broken rule next to the input it concerns."""
        field_of = {"start": "start_time", "end": "slots", "attendees": "attendees"}
        for field, messages in error.by_field().items():
            target = field_of.get(field)
            for message in messages:
                self.add_error(target, message)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
