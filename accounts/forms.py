from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiToken, User
from accounts.whatsapp import NOT_MOBILE, WhatsAppOptInError, normalise_mobile
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


class WhatsAppNumberForm(forms.Form):
    number = PhoneField(
        label=_("WhatsApp number"),
        help_text=_("An Indonesian mobile number. We send a 6-digit code there by WhatsApp."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Whatever is wrong with it (a letter, a landline), the same answer: what we need.
        self.fields["number"].error_messages["invalid"] = NOT_MOBILE

    def clean_number(self):
        # The one rule of what a WhatsApp number is, shared with the service.
        try:
            return normalise_mobile(self.cleaned_data["number"])
        except WhatsAppOptInError as error:
            raise forms.ValidationError(error.message, code=error.code) from None


class WhatsAppCodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Code from WhatsApp"),
        regex=r"^\s*[0-9]{6}\s*$",
        max_length=12,
        error_messages={"invalid": _("Enter the 6 digits of the code.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
