"""The organizer workspace for facilities (/kelola/fasilitas/...): thin views over
facilities.services. Organizers reach only their own communities' facilities; anyone else
gets a 404, as if the facility did not exist."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from bookings.selectors import bookings_broken_by_policy
from communities.permissions import community_for_manager, managed_communities
from communities.services import unique_slug
from facilities import services
from facilities.forms import ClosureForm, FacilityForm, OpeningHoursFormSet, PhotoUploadForm
from facilities.models import Closure, Facility, FacilityPhoto
from haidepok import clock


def facility_for_manager(user, slug: str) -> Facility:
    facility = (
        Facility.objects.select_related("community")
        .filter(slug=slug, community__in=managed_communities(user))
        .first()
    )
    if facility is None:
        raise Http404
    return facility


def _after_policy_change(request, facility):
    """Send the organizer to the bookings that the change no longer allows, if any."""
    if bookings_broken_by_policy(facility):
        messages.warning(
            request,
            _("Some upcoming bookings no longer fit the new settings. Please decide on each."),
        )
        return redirect("manage_facility_conflicts", slug=facility.slug)
    return redirect("manage_facility", slug=facility.slug)


@login_required
@require_http_methods(["GET", "POST"])
def facility_create(request, community_slug):
    community = community_for_manager(request.user, community_slug)
    form = FacilityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        facility = form.save(commit=False)
        facility.community = community
        facility.slug = facility.slug or unique_slug(Facility, facility.name)
        facility.is_published = False
        facility.save()
        messages.success(
            request, _("Facility saved. Add its opening hours and photos, then publish it.")
        )
        return redirect("manage_facility_hours", slug=facility.slug)
    return render(request, "kelola/facility_form.html", {"form": form, "community": community})


@login_required
@require_http_methods(["GET", "POST"])
def facility_edit(request, slug):
    facility = facility_for_manager(request.user, slug)
    # The form gets its own copy: validating bad input writes it onto the instance (an empty
    # slug, say), and the page around the form must still show the saved facility.
    form = FacilityForm(request.POST or None, instance=Facility.objects.get(pk=facility.pk))
    if request.method == "POST" and form.is_valid():
        facility = form.save()
        messages.success(request, _("Facility saved."))
        return _after_policy_change(request, facility)
    return render(
        request,
        "kelola/facility_form.html",
        {"form": form, "facility": facility, "community": facility.community},
    )


@login_required
@require_http_methods(["GET", "POST"])
def facility_hours(request, slug):
    facility = facility_for_manager(request.user, slug)
    initial = [
        {"weekday": interval.weekday, "opens": interval.opens, "closes": interval.closes}
        for interval in facility.opening_hours.all()
    ]
    formset = OpeningHoursFormSet(request.POST or None, initial=initial, prefix="jam")
    if request.method == "POST" and formset.is_valid():
        try:
            services.opening_hours_replace(facility=facility, intervals=formset.intervals())
        except ValidationError as error:
            formset._non_form_errors = formset.error_class(error.messages)
        else:
            messages.success(request, _("Opening hours saved."))
            return _after_policy_change(request, facility)
    return render(request, "kelola/facility_hours.html", {"facility": facility, "formset": formset})


@login_required
@require_http_methods(["GET", "POST"])
def facility_closures(request, slug):
    facility = facility_for_manager(request.user, slug)
    form = ClosureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.closure_add(
                facility=facility,
                start=clock.as_wib(form.cleaned_data["start"]),
                end=clock.as_wib(form.cleaned_data["end"]),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Closure added."))
            return _after_policy_change(request, facility)
    closures = facility.closures.filter(end__gt=clock.now()).order_by("start")
    return render(
        request,
        "kelola/facility_closures.html",
        {"facility": facility, "form": form, "closures": closures},
    )


@login_required
@require_POST
def closure_delete(request, slug, closure_id):
    facility = facility_for_manager(request.user, slug)
    get_object_or_404(Closure, pk=closure_id, facility=facility).delete()
    messages.success(request, _("Closure removed."))
    return redirect("manage_facility_closures", slug=facility.slug)


@login_required
@require_http_methods(["GET", "POST"])
def facility_photos(request, slug):
    facility = facility_for_manager(request.user, slug)
    form = PhotoUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.photo_add(
                facility=facility,
                upload=form.cleaned_data["image"],
                alt_text=form.cleaned_data["alt_text"],
            )
        except ValidationError as error:
            form.add_error("image", error)
        else:
            messages.success(request, _("Photo added."))
            return redirect("manage_facility_photos", slug=facility.slug)
    photos = facility.photos.order_by("position", "pk")
    return render(
        request,
        "kelola/facility_photos.html",
        {"facility": facility, "form": form, "photos": photos},
    )


@login_required
@require_POST
def photo_action(request, slug, photo_id):
    facility = facility_for_manager(request.user, slug)
    photo = get_object_or_404(FacilityPhoto, pk=photo_id, facility=facility)
    action = request.POST.get("action")
    if action == "cover":
        services.photo_set_cover(photo=photo)
    elif action in ("up", "down"):
        services.photo_move(photo=photo, offset=-1 if action == "up" else 1)
    elif action == "delete":
        services.photo_delete(photo=photo)
    else:
        messages.error(request, _("Unknown action."))
    return redirect("manage_facility_photos", slug=facility.slug)


@login_required
@require_POST
def facility_publish(request, slug):
    facility = facility_for_manager(request.user, slug)
    publish = request.POST.get("publish") == "1"
    try:
        services.facility_publish(facility=facility, published=publish)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request, _("Facility published.") if publish else _("Facility unpublished.")
        )
    return redirect("manage_facility", slug=facility.slug)


@login_required
@require_http_methods(["GET", "POST"])
def facility_conflicts(request, slug):
    """Upcoming bookings the new settings no longer allow: keep each, or cancel it with a
    reason that is mailed to the resident (through the booking service)."""
    from bookings import services as booking_services
    from bookings.errors import BookingError
    from bookings.models import Booking

    facility = facility_for_manager(request.user, slug)
    if request.method == "POST":
        booking = get_object_or_404(
            Booking, reference=request.POST.get("reference"), facility=facility
        )
        reason = request.POST.get("reason", "")
        try:
            if request.POST.get("action") == "keep":
                booking_services.booking_keep_despite_policy(booking=booking, actor=request.user)
                done = _("Booking %(reference)s kept.")
            else:
                with transaction.atomic():
                    booking_services.booking_cancel(
                        booking=booking, actor=request.user, reason=reason
                    )
                done = _("Booking %(reference)s cancelled.")
        except BookingError as error:
            messages.error(request, f"{booking.reference}: {error.message}")
        else:
            messages.success(request, done % {"reference": booking.reference})
        return redirect("manage_facility_conflicts", slug=facility.slug)
    return render(
        request,
        "kelola/facility_conflicts.html",
        {"facility": facility, "conflicts": bookings_broken_by_policy(facility)},
    )
