"""Use cases of the organizer workspace that change facilities, their hours, closures, photos.

Each takes the person acting and asks communities.permissions whether they may: organizers
of the facility's community, or staff whose model permissions allow the same in the admin.
A refusal raises PermissionDenied, before anything changes."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from communities import permissions
from communities.models import Community
from communities.services import unique_slug
from facilities.models import Closure, Facility, FacilityPhoto, OpeningHours
from facilities.photos import process_photo
from haidepok import page_cache


def validate_intervals(intervals: list[tuple[int, dt.time, dt.time]]) -> None:
    """Opening intervals: each closes after it opens; intervals of one day do not overlap."""
    by_day: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for weekday, opens, closes in intervals:
        if closes <= opens:
            raise ValidationError(
                _("Closing time must be after opening time (%(opens)s–%(closes)s).")
                % {"opens": opens.strftime("%H.%M"), "closes": closes.strftime("%H.%M")},
                code="closes_before_opens",
            )
        by_day.setdefault(weekday, []).append((opens, closes))
    for day_intervals in by_day.values():
        day_intervals.sort()
        for (_opens, closes), (next_opens, _closes) in zip(
            day_intervals, day_intervals[1:], strict=False
        ):
            if next_opens < closes:
                raise ValidationError(
                    _("Opening intervals of one day overlap."), code="overlapping_intervals"
                )


# What an organizer sets on the facility's page, in the order the form shows it. Publishing
# has its own rule (facility_publish), and a facility never moves to another community.
EDITABLE_FIELDS = (
    "name",
    "slug",
    "kind",
    "description",
    "address",
    "kecamatan",
    "kelurahan",
    "latitude",
    "longitude",
    "capacity",
    "amenities",
    "house_rules",
    *Facility.POLICY_FIELDS,
)

MAY_NOT_CHANGE = _("You may not change this facility.")


def _refuse_unless(allowed: bool, message=MAY_NOT_CHANGE) -> None:
    if not allowed:
        raise PermissionDenied(str(message))


def _check_fields(fields: dict) -> None:
    if unknown := set(fields) - set(EDITABLE_FIELDS):
        raise TypeError(f"not editable here: {', '.join(sorted(unknown))}")


@transaction.atomic
def facility_create(*, community: Community, actor, **fields) -> Facility:
    """A new facility of `community`, unpublished until its hours and photos are in."""
    _refuse_unless(
        permissions.can_add_facility(actor, community),
        _("You may not add facilities to this community."),
    )
    _check_fields(fields)
    facility = Facility(community=community, **fields)
    facility.slug = facility.slug or unique_slug(Facility, facility.name)
    facility.is_published = False
    facility.save()
    return facility


@transaction.atomic
def facility_update(*, facility: Facility, actor, **fields) -> Facility:
    """Details and booking policy. A slug left empty keeps the facility's web address."""
    _refuse_unless(permissions.can_edit_facility(actor, facility))
    _check_fields(fields)
    if "slug" in fields and not fields["slug"]:
        del fields["slug"]
    for name, value in fields.items():
        setattr(facility, name, value)
    facility.save()
    return facility


@transaction.atomic
def opening_hours_replace(
    *, facility: Facility, intervals: list[tuple[int, dt.time, dt.time]], actor
) -> None:
    _refuse_unless(permissions.can_edit_opening_hours(actor, facility))
    validate_intervals(intervals)
    OpeningHours.objects.filter(facility=facility).delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(facility=facility, weekday=weekday, opens=opens, closes=closes)
        for weekday, opens, closes in sorted(intervals)
    )
    page_cache.catalog_changed()  # bulk_create sends no signal


def closure_add(
    *, facility: Facility | None, start: dt.datetime, end: dt.datetime, reason: str, actor
) -> Closure:
    """A closure of `facility`, or of every facility in the city (`facility` None)."""
    _refuse_unless(
        permissions.can_add_closure(actor, facility),
        _("You may not change the closures of this facility."),
    )
    if end <= start:
        raise ValidationError(_("A closure must end after it starts."), code="end_before_start")
    if not reason.strip():
        raise ValidationError(_("Please give a reason."), code="reason_required")
    return Closure.objects.create(facility=facility, start=start, end=end, reason=reason.strip())


def closure_delete(*, closure: Closure, actor) -> None:
    _refuse_unless(
        permissions.can_delete_closure(actor, closure.facility),
        _("You may not change the closures of this facility."),
    )
    closure.delete()


def facility_publish(*, facility: Facility, published: bool, actor) -> Facility:
    """Only a verified community's facility goes public."""
    _refuse_unless(permissions.can_edit_facility(actor, facility))
    if published and facility.community.status != Community.Status.VERIFIED:
        raise ValidationError(
            _(
                "Your community must be verified by Pemkot staff before its facilities are published."
            ),
            code="community_not_verified",
        )
    facility.is_published = published
    facility.save(update_fields=["is_published", "updated_at"])
    return facility


@transaction.atomic
def photo_add(*, facility: Facility, upload, alt_text: str = "", actor) -> FacilityPhoto:
    _refuse_unless(permissions.can_add_photo(actor, facility))
    processed = process_photo(upload)  # raises ValidationError with a clear message
    # Lock the facility: two uploads at once get distinct positions and one cover.
    Facility.objects.select_for_update().filter(pk=facility.pk).first()
    last = facility.photos.aggregate(last=Max("position"))["last"]
    photo = FacilityPhoto(
        facility=facility,
        alt_text=alt_text.strip(),
        position=0 if last is None else last + 1,
        is_cover=not facility.photos.filter(is_cover=True).exists(),
    )
    photo.image.save(processed.display.name, processed.display, save=False)
    photo.thumbnail.save(processed.thumbnail.name, processed.thumbnail, save=False)
    photo.save()
    return photo


@transaction.atomic
def photo_set_cover(*, photo: FacilityPhoto, actor) -> None:
    _refuse_unless(permissions.can_change_photos(actor, photo.facility))
    FacilityPhoto.objects.filter(facility_id=photo.facility_id, is_cover=True).update(
        is_cover=False
    )
    FacilityPhoto.objects.filter(pk=photo.pk).update(is_cover=True)
    page_cache.catalog_changed()  # update() sends no signal


@transaction.atomic
def photo_move(*, photo: FacilityPhoto, offset: int, actor) -> None:
    """Move a photo one place earlier (-1) or later (+1) in the gallery."""
    _refuse_unless(permissions.can_change_photos(actor, photo.facility))
    photos = list(FacilityPhoto.objects.select_for_update().filter(facility_id=photo.facility_id))
    photos.sort(key=lambda item: (item.position, item.pk))
    index = next(i for i, item in enumerate(photos) if item.pk == photo.pk)
    target = index + offset
    if 0 <= target < len(photos):
        photos[index], photos[target] = photos[target], photos[index]
    for position, item in enumerate(photos):
        if item.position != position:
            FacilityPhoto.objects.filter(pk=item.pk).update(position=position)
    page_cache.catalog_changed()  # update() sends no signal


@transaction.atomic
def photo_delete(*, photo: FacilityPhoto, actor) -> None:
    _refuse_unless(permissions.can_delete_photo(actor, photo.facility))
    facility_id, was_cover = photo.facility_id, photo.is_cover
    photo.image.delete(save=False)
    photo.thumbnail.delete(save=False)
    photo.delete()
    if was_cover:
        first = (
            FacilityPhoto.objects.filter(facility_id=facility_id).order_by("position", "pk").first()
        )
        if first:
            FacilityPhoto.objects.filter(pk=first.pk).update(is_cover=True)
