"""Form fields the site's forms share."""

from django import forms
from django.utils.translation import gettext_lazy as _


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
