from django import forms
from django.utils.translation import gettext_lazy as _

from communities.models import Community
from haidepok.fields import PhoneField


class CommunityRegistrationForm(forms.ModelForm):
    phone = PhoneField()

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
