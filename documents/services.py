"""The use cases of supporting documents: which a request needs, sending them with it, adding
or replacing one while the request waits, and forgetting them with a resident.

Every file is checked (documents/validation.py) before anything is written. Files are written
to storages["private"] just before the transaction that writes their rows; if anything fails
from there, the files written for it are removed again, and a deleted row's file goes once
the deletion commits (documents/signals.py).
"""

import secrets
from collections.abc import Iterable, Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.utils.translation import gettext as _

from bookings import services as booking_services
from bookings.models import Booking, BookingStatus
from documents.models import BookingDocument, DocumentRequirement
from documents.signals import remove_file
from documents.validation import CheckedDocument, check_document
from facilities.models import Facility


class DocumentsRefused(Exception):
    """One or more documents were missing or refused; nothing was written. `errors` maps a
    requirement's id (None: not one of this request's) to its message."""

    def __init__(self, errors: Mapping[int | None, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(str(message) for message in self.errors.values()))

    @property
    def message(self) -> str:
        return next(iter(self.errors.values()))


def required_documents(
    *, facility: Facility, tariff_class: str, requirements: Iterable | None = None
) -> list[DocumentRequirement]:
    """The documents a request of `facility` in `tariff_class` (the booking's purpose class;
    "" where the facility has no tariffs) must come with: those of its classes, and those
    asked of every request. `requirements`: the facility's, when already loaded."""
    if requirements is None:
        requirements = facility.document_requirements.all()
    return [
        requirement for requirement in requirements if requirement.applies_to(tariff_class or "")
    ]


def missing_message(requirement: DocumentRequirement) -> str:
    return _("Please attach the document “%(name)s”.") % {"name": requirement.name}


def not_asked_message() -> str:
    return _("That document is not asked for this request.")


def check_documents(
    requirements: list[DocumentRequirement], uploads: Mapping[int, object]
) -> dict[int, CheckedDocument]:
    """Every upload checked, and every requirement met; DocumentsRefused (naming each missing
    or refused document) otherwise."""
    errors = _coverage_errors(requirements, uploads.keys())
    asked = {requirement.pk for requirement in requirements}
    checked: dict[int, CheckedDocument] = {}
    for requirement_id, upload in uploads.items():
        if requirement_id not in asked:
            continue  # refused as not asked, unread
        try:
            checked[requirement_id] = check_document(upload)
        except ValidationError as error:
            errors[requirement_id] = error.messages[0]
    _refuse_if_any(requirements, errors)
    return checked


def _coverage_errors(
    requirements: list[DocumentRequirement], sent: Iterable[int]
) -> dict[int | None, str]:
    """What is missing, and whether anything was sent that is not asked."""
    sent = set(sent)
    errors: dict[int | None, str] = {
        requirement.pk: missing_message(requirement)
        for requirement in requirements
        if requirement.pk not in sent
    }
    if sent - {requirement.pk for requirement in requirements}:
        errors[None] = not_asked_message()
    return errors


def _refuse_if_any(requirements: list[DocumentRequirement], errors: dict) -> None:
    if errors:
        # In the requirements' order, as the page shows them.
        order = [*(requirement.pk for requirement in requirements), None]
        raise DocumentsRefused({key: errors[key] for key in order if key in errors})


def booking_request_with_documents(*, documents: Mapping[int, object], **request_fields) -> Booking:
    """bookings.services.booking_request (same arguments), with the documents its facility
    asks of the request's class: `documents` maps a requirement's id to its upload. Every file
    is checked first: a missing or refused one raises DocumentsRefused and nothing is written;
    a rule the request breaks raises BookingError, as booking_request does."""
    facility = request_fields["facility"]
    requested_class = request_fields.get("tariff_class") or ""
    requirements = list(facility.document_requirements.all())
    wanted = required_documents(
        facility=facility, tariff_class=requested_class, requirements=requirements
    )
    checked = check_documents(wanted, documents)
    with _removing_files_on_failure() as written:
        # The files first, outside the transaction: its locks (the resident, the add-ons)
        # are not held while a storage (S3, say) takes its time.
        file_names = {
            requirement_id: _write(document, written)
            for requirement_id, document in checked.items()
        }
        with transaction.atomic():
            booking = booking_services.booking_request(**request_fields)
            # The class the booking was priced in decides (a facility without tariffs that
            # day prices in none): its requirements are those the files must meet.
            if booking.tariff_class != requested_class:
                wanted = required_documents(
                    facility=facility, tariff_class=booking.tariff_class, requirements=requirements
                )
                _refuse_if_any(wanted, _coverage_errors(wanted, file_names))
            for requirement in wanted:
                _record(
                    booking=booking,
                    requirement=requirement,
                    document=checked[requirement.pk],
                    file_name=file_names[requirement.pk],
                    actor=request_fields["user"],
                )
    return booking


def document_attach(*, booking: Booking, requirement_id: int, upload, actor) -> BookingDocument:
    """Add the document for `requirement_id` to `booking`, or replace the one sent before:
    its resident may, while the booking waits for a decision. PermissionDenied for anyone
    else or once it is decided; DocumentsRefused for a bad file or a requirement the
    booking does not have."""
    if booking.user_id is None or booking.user_id != actor.pk:
        raise PermissionDenied(_("Only the resident who made the booking may send documents."))
    requirements = required_documents(facility=booking.facility, tariff_class=booking.tariff_class)
    requirement = next((r for r in requirements if r.pk == requirement_id), None)
    if requirement is None:
        raise DocumentsRefused({None: not_asked_message()})
    try:
        document = check_document(upload)
    except ValidationError as error:
        raise DocumentsRefused({requirement.pk: error.messages[0]}) from None
    with _removing_files_on_failure() as written:
        file_name = _write(document, written)  # before the lock, as for a request
        with transaction.atomic():
            # A decision takes the same lock: a document arrives before it or not at all.
            status = (
                Booking.objects.select_for_update()
                .filter(pk=booking.pk)
                .values_list("status", flat=True)
                .first()
            )
            if status != BookingStatus.REQUESTED:
                raise PermissionDenied(
                    _("Documents can be added only while the request waits for a decision.")
                )
            # The old file goes when this commits (documents/signals.py).
            BookingDocument.objects.filter(booking=booking, requirement=requirement).delete()
            stored = _record(
                booking=booking,
                requirement=requirement,
                document=document,
                file_name=file_name,
                actor=actor,
            )
    return stored


def documents_delete_of_resident(*, user) -> int:
    """Delete the documents of every booking `user` made, rows now and files once this
    commits: with an account, its bookings' personal data goes (accounts.services)."""
    deleted, _by_model = BookingDocument.objects.filter(booking__user=user).delete()
    return deleted


def documents_delete_of_booking(*, booking: Booking) -> int:
    """Delete the documents of one booking (its personal data), files once this commits."""
    deleted, _by_model = BookingDocument.objects.filter(booking=booking).delete()
    return deleted


def _write(document: CheckedDocument, written: list[str]) -> str:
    # A name of ours: nothing the resident chose reaches the disk.
    name = f"documents/{secrets.token_hex(16)}.{document.extension}"
    file_name = storages["private"].save(name, ContentFile(document.content))
    written.append(file_name)
    return file_name


def _record(
    *,
    booking: Booking,
    requirement: DocumentRequirement,
    document: CheckedDocument,
    file_name,
    actor,
) -> BookingDocument:
    return BookingDocument.objects.create(
        booking=booking,
        requirement=requirement,
        name=requirement.name,
        file_name=file_name,
        original_name=document.original_name,
        content_type=document.content_type,
        size=document.size,
        pages=document.pages,
        uploaded_by=actor,
    )


class _removing_files_on_failure:
    """Around a transaction that writes files: if it fails, they are removed again (their rows
    were rolled back). A transaction around the caller's that rolls back later is not seen
    here; its files stay unreferenced, and no URL leads to them."""

    def __enter__(self) -> list[str]:
        self.written: list[str] = []
        return self.written

    def __exit__(self, exc_type, exc, traceback):
        if exc_type is not None:
            for file_name in self.written:
                remove_file(file_name)
        return False
