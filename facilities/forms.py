from django import forms
from django.utils.translation import gettext_lazy as _

from facilities.models import Facility
from haidepok.depok import Kecamatan


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
    date = forms.DateField(
        label=_("Free on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    time_from = forms.TimeField(
        label=_("From"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    time_to = forms.TimeField(
        label=_("Until"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )

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
