"""The demo's supporting documents (manage.py seed_demo): the city's halls ask for a request
letter, as the paper process did, so that the demo shows the upload on the check page."""

from documents.models import DocumentRequirement
from facilities.models import Facility

REQUEST_LETTER = {
    "name": "Surat permohonan",
    "description": "Surat permohonan pemakaian, ditandatangani ketua RT/RW atau pengurus.",
}


def seed_documents(facilities: dict[str, Facility]) -> None:
    """Idempotent: each hall decided by Pemkot staff asks for the letter once."""
    for facility in facilities.values():
        if facility.approval == Facility.Approval.CITY and facility.kind == Facility.Kind.HALL:
            DocumentRequirement.objects.get_or_create(
                facility=facility, name=REQUEST_LETTER["name"], defaults=REQUEST_LETTER
            )
