"""Use cases of the organizer workspace that change facilities, their hours, closures, photos."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from communities.models import Community
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


@transaction.atomic
def opening_hours_replace(*, facility: Facility, intervals: list[tuple[int, dt.time, dt.time]]):
    validate_intervals(intervals)
    OpeningHours.objects.filter(facility=facility).delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(facility=facility, weekday=weekday, opens=opens, closes=closes)
        for weekday, opens, closes in sorted(intervals)
    )
    page_cache.catalog_changed()  # bulk_create sends no signal


def closure_add(
    *, facility: Facility | None, start: dt.datetime, end: dt.datetime, reason: str
) -> Closure:
    if end <= start:
        raise ValidationError(_("A closure must end after it starts."), code="end_before_start")
    if not reason.strip():
        raise ValidationError(_("Please give a reason."), code="reason_required")
    return Closure.objects.create(facility=facility, start=start, end=end, reason=reason.strip())


def facility_publish(*, facility: Facility, published: bool) -> Facility:
    """Only a verified community's facility goes public."""
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
def photo_add(*, facility: Facility, upload, alt_text: str = "") -> FacilityPhoto:
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
def photo_set_cover(*, photo: FacilityPhoto) -> None:
    FacilityPhoto.objects.filter(facility_id=photo.facility_id, is_cover=True).update(
        is_cover=False
    )
    FacilityPhoto.objects.filter(pk=photo.pk).update(is_cover=True)
    page_cache.catalog_changed()  # update() sends no signal


@transaction.atomic
def photo_move(*, photo: FacilityPhoto, offset: int) -> None:
    """Move a photo one place earlier (-1) or later (+1) in the gallery."""
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
def photo_delete(*, photo: FacilityPhoto) -> None:
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
