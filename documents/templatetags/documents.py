"""What the booking pages and the facility page show of documents (two template tags, so that
pages of other apps include templates/documents/* without their views knowing documents)."""

from dataclasses import dataclass, field

from django import template

from bookings.models import BookingStatus
from documents.access import can_download
from documents.forms import document_field_name
from documents.models import BookingDocument, DocumentRequirement
from documents.services import required_documents
from documents.validation import ACCEPT, limits_text

register = template.Library()


@dataclass
class DocumentSlot:
    """One document of a booking: what is asked (or what was sent for a requirement since
    removed), the file sent for it if any."""

    name: str
    requirement: DocumentRequirement | None
    document: BookingDocument | None
    input_id: str = ""


@dataclass
class BookingDocuments:
    slots: list[DocumentSlot] = field(default_factory=list)
    may_download: bool = False
    may_upload: bool = False
    accept: str = ACCEPT
    limits: str = ""


@register.simple_tag(takes_context=True)
def booking_documents(context, booking) -> BookingDocuments:
    """The booking's documents for the page's user: each required one with its file (or its
    absence), download links for who may download, the upload forms for its resident while
    the request waits. Two queries."""
    user = context["request"].user
    requirements = list(DocumentRequirement.objects.filter(facility_id=booking.facility_id))
    wanted = required_documents(
        facility=booking.facility, tariff_class=booking.tariff_class, requirements=requirements
    )
    documents = list(booking.documents.order_by("pk"))
    by_requirement = {document.requirement_id: document for document in documents}
    slots = [
        DocumentSlot(
            requirement.name,
            requirement,
            by_requirement.pop(requirement.pk, None),
            input_id=f"id_{document_field_name(requirement)}",
        )
        for requirement in wanted
    ]
    # Sent for a requirement removed (or no longer of this class) since: still the booking's.
    slots += [DocumentSlot(document.name, None, document) for document in by_requirement.values()]
    return BookingDocuments(
        slots=slots,
        may_download=can_download(user, booking),
        may_upload=(
            booking.status == BookingStatus.REQUESTED
            and booking.user_id is not None
            and booking.user_id == user.pk
        ),
        limits=limits_text(),
    )


@register.simple_tag
def facility_requirements(facility) -> list[DocumentRequirement]:
    """The documents the facility asks for, in their order."""
    return list(DocumentRequirement.objects.filter(facility_id=facility.pk))
