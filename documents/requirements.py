"""A facility's document requirements: added, changed and removed by who may edit the
facility (communities.permissions.can_edit_facility), each in one transaction. A change
shows on the facility page at once (documents/signals.py)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from communities.permissions import can_edit_facility
from documents.models import DocumentRequirement
from facilities.models import Facility

FIELDS = ("name", "description", "tariff_classes", "position")


def _refuse_unless_editor(actor, facility: Facility) -> None:
    if not can_edit_facility(actor, facility):
        raise PermissionDenied(_("You may not change the documents this facility asks for."))


def _validated(requirement: DocumentRequirement) -> DocumentRequirement:
    """The model's checks (the classes, the lengths), and one name once per facility, said at
    the name (the database's constraint holds it under a race)."""
    requirement.full_clean(validate_constraints=False)
    same_name = DocumentRequirement.objects.filter(
        facility_id=requirement.facility_id, name__iexact=requirement.name
    ).exclude(pk=requirement.pk)
    if same_name.exists():
        raise ValidationError(
            {"name": _("This facility already asks for a document of this name.")}
        )
    return requirement


def requirement_create(*, facility: Facility, actor, **fields) -> DocumentRequirement:
    _refuse_unless_editor(actor, facility)
    with transaction.atomic():
        requirement = DocumentRequirement(facility=facility, **_only_fields(fields))
        _validated(requirement).save()
    return requirement


def requirement_update(*, requirement: DocumentRequirement, actor, **fields) -> DocumentRequirement:
    _refuse_unless_editor(actor, requirement.facility)
    with transaction.atomic():
        # Raises DoesNotExist when another editor deleted it meanwhile.
        current = DocumentRequirement.objects.select_for_update().get(pk=requirement.pk)
        for name, value in _only_fields(fields).items():
            setattr(current, name, value)
        _validated(current).save()
    return current


def requirement_delete(*, requirement: DocumentRequirement, actor) -> None:
    """Documents already sent for it stay with their bookings, under its name."""
    _refuse_unless_editor(actor, requirement.facility)
    with transaction.atomic():
        DocumentRequirement.objects.filter(pk=requirement.pk).delete()


def _only_fields(fields: dict) -> dict:
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"Not a requirement's field: {', '.join(sorted(unknown))}")
    return fields
