from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from facilities.models import Facility
from facilities.services import EDITABLE_FIELDS, validate_intervals
from haidepok.depok import WEEKDAYS, Kecamatan
from haidepok.fields import BoundedDateField, BoundedDateTimeField
from haidepok.widgets import TimeInput


class CatalogFilterForm(forms.Form):
    """The catalog's search and filters. Every field is optional; bad values are reported
    next to the field and the filter is then left out."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    kecamatan = forms.ChoiceField(
        label=_("Kecamatan"),
        required=False,
        choices=[("", _("All kecamatan")), *Kecamatan.choices],
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *Facility.Kind.choices]
    )
    capacity = forms.IntegerField(
        label=_("At least (people)"), required=False, min_value=1, max_value=100000
    )
    date = BoundedDateField(label=_("Free on"), required=False)
    time_from = forms.TimeField(label=_("From"), required=False, widget=TimeInput())
    time_to = forms.TimeField(label=_("Until"), required=False, widget=TimeInput())

    def clean(self):
        data = super().clean()
        date, time_from, time_to = data.get("date"), data.get("time_from"), data.get("time_to")
        if (time_from or time_to) and not date:
            self.add_error("date", _("Choose a date to search by time."))
        if date and time_from and time_to and time_to <= time_from:
            self.add_error("time_to", _("The end time must be after the start time."))
        return data

    def filters(self) -> dict:
        """The filters that are valid (a bad one is reported and left out)."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in ("", None)}


# --- Organizer workspace -------------------------------------------------------------------


class AmenitiesField(forms.CharField):
    """Amenities typed one per line, stored as a list."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()][:30]


POLICY_LIMITS = {
    "min_slots": (1, 48),
    "max_slots": (1, 96),
    "buffer_minutes": (0, 720),
    "lead_hours": (0, 720),
    "horizon_days": (1, 365),
    "max_active_per_user": (1, 50),
    "cancel_hours": (0, 720),
    "capacity": (1, 100000),
}


class FacilityForm(forms.ModelForm):
    amenities = AmenitiesField(label=_("Amenities (one per line)"), required=False)

    class Meta:
        model = Facility
        fields = list(EDITABLE_FIELDS)
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "house_rules": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "slug": _("The facility's web address. Leave empty to make one from the name."),
            "latitude": _("Between -6.50 and -6.30 (Depok)."),
            "longitude": _("Between 106.70 and 106.92 (Depok)."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        for name, (low, high) in POLICY_LIMITS.items():
            field = self.fields[name]
            field.min_value, field.max_value = low, high
            field.validators += [MinValueValidator(low), MaxValueValidator(high)]
            field.widget.attrs.update(min=low, max=high)

    def clean(self):
        data = super().clean()
        low, high = data.get("min_slots"), data.get("max_slots")
        if low and high and high < low:
            self.add_error(
                "max_slots", _("The longest booking cannot be shorter than the shortest.")
            )
        return data


class OpeningIntervalForm(forms.Form):
    # An empty first choice: a spare row the organizer did not touch stays unchanged, and
    # the formset skips it (with a day preselected it would count as filled in).
    weekday = forms.TypedChoiceField(
        label=_("Day"), choices=[("", "—"), *WEEKDAYS], coerce=int, empty_value=None
    )
    opens = forms.TimeField(label=_("Opens"), widget=TimeInput())
    closes = forms.TimeField(label=_("Closes"), widget=TimeInput())

    def clean(self):
        data = super().clean()
        opens, closes = data.get("opens"), data.get("closes")
        if opens and closes and closes <= opens:
            self.add_error("closes", _("Closing time must be after opening time."))
        return data


class BaseOpeningHoursFormSet(forms.BaseFormSet):
    def intervals(self) -> list[tuple[int, object, object]]:
        return [
            (form.cleaned_data["weekday"], form.cleaned_data["opens"], form.cleaned_data["closes"])
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def clean(self):
        if any(self.errors):
            return
        try:
            validate_intervals(self.intervals())
        except ValidationError as error:
            raise ValidationError(error.messages) from None


OpeningHoursFormSet = forms.formset_factory(
    OpeningIntervalForm, formset=BaseOpeningHoursFormSet, extra=2, can_delete=True, max_num=50
)


class ClosureForm(forms.Form):
    start = BoundedDateTimeField(label=_("Closed from"))
    end = BoundedDateTimeField(label=_("Until"))
    reason = forms.CharField(label=_("Reason (shown to residents)"), max_length=255)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error("end", _("A closure must end after it starts."))
        return data


class PhotoUploadForm(forms.Form):
    image = forms.FileField(
        label=_("Photo (JPEG, PNG or WebP, up to 10 MB)"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    alt_text = forms.CharField(
        label=_("What the photo shows (for screen readers)"), max_length=200, required=False
    )
