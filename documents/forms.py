"""The forms of documents: the file inputs of a request (one per required document) and the
organizers' requirement form. They give the inputs their shape; whether a file is accepted is
documents.validation's answer, through documents.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from documents.models import DocumentRequirement
from documents.validation import ACCEPT, limits_text
from facilities.models import TariffClass

FIELD_PREFIX = "document_"


def document_field_name(requirement: DocumentRequirement) -> str:
    return f"{FIELD_PREFIX}{requirement.pk}"


class RequestDocumentsForm(forms.Form):
    """A file input for each document the request needs, marked required for the browser;
    the service says what is missing or refused, and its messages go next to the inputs."""

    def __init__(self, *args, requirements: list[DocumentRequirement], **kwargs):
        super().__init__(*args, **kwargs)
        self.requirements = list(requirements)
        limits = limits_text()
        for requirement in self.requirements:
            help_text = (
                f"{requirement.description} · {limits}" if requirement.description else limits
            )
            self.fields[document_field_name(requirement)] = forms.FileField(
                label=requirement.name,
                required=False,
                help_text=help_text,
                widget=forms.FileInput(attrs={"accept": ACCEPT, "required": True}),
            )

    def uploads(self) -> dict[int, object]:
        """requirement id → the file sent for it (none sent: left out)."""
        return {
            requirement.pk: self.files[document_field_name(requirement)]
            for requirement in self.requirements
            if document_field_name(requirement) in self.files
        }

    def show_refusal(self, refusal) -> None:
        """DocumentsRefused's messages next to their inputs (the rest above them)."""
        by_id = {requirement.pk: requirement for requirement in self.requirements}
        # The form is shown again without its files (a browser never keeps them): its errors
        # are the service's, added to an unbound form.
        if not hasattr(self, "cleaned_data"):
            self.errors  # noqa: B018 (starts the form's empty error list)
            self.cleaned_data = {}
        for requirement_id, message in refusal.errors.items():
            requirement = by_id.get(requirement_id)
            self.add_error(document_field_name(requirement) if requirement else None, message)


class RequirementForm(forms.ModelForm):
    tariff_classes = forms.MultipleChoiceField(
        label=_("For requests of the classes"),
        choices=TariffClass.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: every request needs it."),
    )

    class Meta:
        model = DocumentRequirement
        fields = ["name", "description", "tariff_classes", "position"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"name": _("For example “Surat permohonan” (a letter of request).")}
