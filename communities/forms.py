from django import forms
from django.utils.translation import gettext_lazy as _

from communities.models import Community

PHONE = forms.RegexField(
    regex=r"^\+?[0-9][0-9 ()-]{6,24}$",
    max_length=32,
    label=_("Phone"),
    error_messages={"invalid": _("Enter a phone number, e.g. 0812 3456 7890.")},
    widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
)


class CommunityRegistrationForm(forms.ModelForm):
    phone = PHONE

    class Meta:
        model = Community
        fields = [
            "name",
            "kecamatan",
            "kelurahan",
            "description",
            "statement",
            "contact_name",
            "phone",
            "email",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "statement": forms.Textarea(attrs={"rows": 3}),
        }


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address of the new organizer"))
