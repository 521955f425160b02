from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiToken, User
from haidepok.fields import PhoneField


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text=_("Where you will use it, e.g. “my RT’s spreadsheet”."),
    )


class ProfileForm(forms.ModelForm):
    phone = PhoneField(required=False)

    language = forms.ChoiceField(
        label=_("Preferred language"),
        required=False,
        choices=[("", _("As my browser")), *settings.LANGUAGES],
        help_text=_("For the site when you are signed in, and for the mails we send you."),
    )

    class Meta:
        model = User
        fields = ["full_name", "phone", "language"]


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password, to confirm"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is not correct."), code="wrong_password")
        return password
