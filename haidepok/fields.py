"""Form fields the site's forms share."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from haidepok import clock
from haidepok.widgets import DateInput, DateTimeInput


class PhoneField(forms.RegexField):
    """A phone number as people type it: 0812 3456 7890, +62 812-3456-7890, (021) 777 1234."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Phone"))
        super().__init__(
            regex=r"^\+?[0-9][0-9 ()-]{6,24}$",
            max_length=32,
            error_messages={"invalid": _("Enter a phone number, e.g. 0812 3456 7890.")},
            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            **kwargs,
        )


class _Bounded:
    """A date or a moment within the project's one bound (clock.within_bounds), checked
    before any code adds days to it or moves it to UTC, which could overflow at the ends of
    the calendar."""

    def to_python(self, value):
        try:
            value = super().to_python(value)
        except OverflowError:  # a naive time made aware near year 1 or 9999
            raise ValidationError(clock.out_of_bounds_message(), code="out_of_bounds") from None
        if value is not None and not clock.within_bounds(value):
            raise ValidationError(clock.out_of_bounds_message(), code="out_of_bounds")
        return value


class BoundedDateField(_Bounded, forms.DateField):
    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget",
            DateInput(
                attrs={"min": f"{clock.EARLIEST_YEAR}-01-01", "max": f"{clock.LATEST_YEAR}-12-31"}
            ),
        )
        super().__init__(**kwargs)


class BoundedDateTimeField(_Bounded, forms.DateTimeField):
    """A moment; typed without an offset it is WIB (the site's time zone)."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget",
            DateTimeInput(
                attrs={
                    "min": f"{clock.EARLIEST_YEAR}-01-01T00:00",
                    "max": f"{clock.LATEST_YEAR}-12-31T23:59",
                }
            ),
        )
        super().__init__(**kwargs)


class BoundedSplitDateTimeField(forms.SplitDateTimeField):
    """The admin's date-and-time pair within the bound, for a ModelAdmin's
    formfield_overrides = {models.DateTimeField: {"form_class": BoundedSplitDateTimeField}}
    (the admin keeps its own widget)."""

    def compress(self, data_list):
        moment = super().compress(data_list)
        if moment is not None and not clock.within_bounds(moment):
            raise ValidationError(clock.out_of_bounds_message(), code="out_of_bounds")
        return moment
