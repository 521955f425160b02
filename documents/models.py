"""The documents a facility asks for with a request, and the files residents sent for them.

The files live in storages["private"], which no URL serves: the only way to one is the
download view (documents/views.py), which asks documents/access.py who may have it. A file is
named by the project (documents/<random>.<ext>), never by the resident, so no name a resident
chose reaches the disk; the row keeps the original name only to offer it on download.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from bookings.models import Booking
from facilities.models import Facility, TariffClass
from haidepok import clock


def validate_tariff_classes(value) -> None:
    """A list of tariff class values, each once ([] is every request)."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(_("Choose tariff classes from the list."), code="invalid")
    unknown = [item for item in value if item not in TariffClass.values]
    if unknown or len(set(value)) != len(value):
        raise ValidationError(_("Choose tariff classes from the list."), code="invalid")


class DocumentRequirement(models.Model):
    """A document that a request of `facility` must come with (e.g. "Surat permohonan"), for
    the requests of `tariff_classes` (the booking's purpose class), or every request when
    empty. documents.services.required_documents is the one rule that says which apply."""

    facility = models.ForeignKey(
        Facility,
        verbose_name=_("facility"),
        on_delete=models.CASCADE,
        related_name="document_requirements",
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(
        _("description"),
        max_length=500,
        blank=True,
        help_text=_("What the document must say or show, or where to get it."),
    )
    tariff_classes = models.JSONField(
        _("tariff classes"),
        default=list,
        blank=True,
        validators=[validate_tariff_classes],
        help_text=_("The classes of request that need it; none chosen: every request."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("document requirement")
        verbose_name_plural = _("document requirements")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "name"], name="document_requirement_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def applies_to(self, tariff_class: str) -> bool:
        return not self.tariff_classes or tariff_class in self.tariff_classes

    @property
    def tariff_class_labels(self) -> list[str]:
        return [str(TariffClass(value).label) for value in self.tariff_classes]


class BookingDocument(models.Model):
    """A file a resident sent with (or later for) a booking. One per requirement: a new one
    replaces the old. Deleting the row removes its file once the transaction commits
    (documents/signals.py)."""

    # In URLs: the row's id would let anyone count documents and try the next one.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    booking = models.ForeignKey(
        Booking, verbose_name=_("booking"), on_delete=models.CASCADE, related_name="documents"
    )
    # SET_NULL: an organizer who drops a requirement leaves the documents sent for it.
    requirement = models.ForeignKey(
        DocumentRequirement,
        verbose_name=_("requirement"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documents",
    )
    # The requirement's name when the file was sent, kept if the requirement goes.
    name = models.CharField(_("document"), max_length=120)
    # The name in storages["private"]: a plain string, not a FileField, so that nothing ever
    # builds a URL for it and every use goes through the storage the settings name now.
    file_name = models.CharField(_("stored as"), max_length=200, unique=True, editable=False)
    original_name = models.CharField(_("original file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    pages = models.PositiveSmallIntegerField(_("pages"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=clock.now)

    class Meta:
        verbose_name = _("booking document")
        verbose_name_plural = _("booking documents")
        ordering = ["booking", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "requirement"],
                condition=models.Q(requirement__isnull=False),
                name="booking_document_one_per_requirement",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.original_name})"

    @property
    def type_label(self) -> str:
        """PDF, JPEG or PNG: what the file was found to be."""
        return {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}.get(
            self.content_type, self.content_type
        )

    @property
    def download_name(self) -> str:
        """The resident's name for it, with the extension of what it really is."""
        stem = self.original_name.rsplit(".", 1)[0] or "dokumen"
        return f"{stem}.{self.file_name.rsplit('.', 1)[-1]}"
