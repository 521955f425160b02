from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiToken


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text=_("Where you will use it, e.g. “my RT’s spreadsheet”."),
    )
