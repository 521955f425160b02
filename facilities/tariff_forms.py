"""The workspace's forms for the retribusi: a facility's tariffs and a community's add-ons.

They check the shape of the input only (a number, a date, one of the choices); the rules
(the free class costs nothing, no two tariffs of a class and unit on one day, a stock from 1,
the community's own facilities) are facilities/tariffs.py's, which the views call."""

from django import forms
from django.utils.translation import gettext_lazy as _

from facilities.models import CLASS_RULES, MAX_PRICE, Facility, TariffClass, TariffUnit
from facilities.tariffs import MAX_STOCK, MESSAGES, TEXT_LIMITS
from haidepok.fields import BoundedDateField


def _whole_number(**attrs) -> forms.NumberInput:
    return forms.NumberInput(attrs={"step": 1, "inputmode": "numeric", **attrs})


class TariffForm(forms.Form):
    tariff_class = forms.ChoiceField(
        label=_("Class"),
        choices=TariffClass.choices,
        widget=forms.RadioSelect,
        error_messages={
            "invalid_choice": MESSAGES["tariff_class_unknown"],
            "required": MESSAGES["tariff_class_unknown"],
        },
    )
    unit = forms.ChoiceField(
        label=_("Unit"),
        choices=TariffUnit.choices,
        error_messages={
            "invalid_choice": MESSAGES["unit_unknown"],
            "required": MESSAGES["unit_unknown"],
        },
    )
    price = forms.IntegerField(
        label=_("Price (whole rupiah)"),
        min_value=0,
        max_value=MAX_PRICE,
        help_text=_("For example 150000 for Rp 150.000. The free class costs 0."),
        widget=_whole_number(min=0, max=MAX_PRICE),
    )
    valid_from = BoundedDateField(
        label=_("Valid from"),
        help_text=_("The first day in force. A new Perda may be entered ahead of time."),
        error_messages={"required": MESSAGES["valid_from_required"]},
    )
    valid_until = BoundedDateField(
        label=_("Valid until (optional)"),
        required=False,
        help_text=_("The last day in force; leave empty while there is no end yet."),
    )
    legal_basis = forms.CharField(
        label=_("Legal basis"),
        required=False,
        max_length=TEXT_LIMITS["legal_basis"],
        help_text=_("e.g. Perda Kota Depok No. …"),
    )

    def class_options(self):
        """Each class's radio button with who belongs in it (CLASS_RULES, the rules the
        residents read when they choose), so that a tariff is filed where they will look."""
        return [(radio, CLASS_RULES[radio.data["value"]]) for radio in self["tariff_class"]]


class TariffEndForm(forms.Form):
    last_day = BoundedDateField(
        label=_("Last day in force"),
        help_text=_("A new tariff of the same class and unit may start the day after."),
    )


class AddOnForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=TEXT_LIMITS["name"])
    description = forms.CharField(
        label=_("Description (optional)"), required=False, max_length=TEXT_LIMITS["description"]
    )
    price = forms.IntegerField(
        label=_("Price per item per booking (whole rupiah)"),
        min_value=0,
        max_value=MAX_PRICE,
        widget=_whole_number(min=0, max=MAX_PRICE),
    )
    stock = forms.IntegerField(
        label=_("Stock"),
        min_value=1,
        max_value=MAX_STOCK,
        help_text=_("How many can be lent at once, across all the facilities that offer it."),
        widget=_whole_number(min=1, max=MAX_STOCK),
    )
    facilities = forms.ModelMultipleChoiceField(
        label=_("Offered at"),
        queryset=Facility.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _(
                "An add-on is offered only at facilities of its own community: choose among "
                "those listed."
            ),
        },
    )
    is_active = forms.BooleanField(label=_("Offered to new requests"), required=False, initial=True)

    def __init__(self, *args, community, offer_is_active: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the community's own facilities: its organizers are the ones who lend it.
        self.fields["facilities"].queryset = Facility.objects.filter(community=community).order_by(
            "name"
        )
        if not offer_is_active:
            del self.fields["is_active"]  # a new add-on is offered; withdrawing is a button
