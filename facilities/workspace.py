"""The organizer workspace for facilities (/kelola/fasilitas/...): thin views over
facilities.services, which decide who may change what (communities.permissions). Who may not
even view a facility gets a 404, as if it did not exist; who may view it but not change it
sees the pages without their forms and buttons, and a 403 page for a change."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from bookings.permissions import can_manage_bookings_of
from bookings.selectors import bookings_broken_by_policy
from communities import permissions
from communities.views import refusals_as_403, refuse_unless
from facilities import services
from facilities.forms import ClosureForm, FacilityForm, OpeningHoursFormSet, PhotoUploadForm
from facilities.models import Closure, Facility, FacilityPhoto
from haidepok import clock
from haidepok.forms import read_only


def _facility_page(request, template: str, facility: Facility, may: dict, **context):
    """A page of the facility's settings, offering only what the user may do."""
    return render(
        request,
        template,
        {
            "facility": facility,
            "may": may,
            "may_see_bookings": can_manage_bookings_of(request.user, facility),
            **context,
        },
    )


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
@refusals_as_403
def facility_create(request, community_slug):
    community = permissions.community_for_viewer(request.user, community_slug)
    # The page is nothing but the form: who may not add gets the 403 page for it.
    refuse_unless(permissions.can_add_facility(request.user, community))
    form = FacilityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        facility = services.facility_create(
            community=community, actor=request.user, **form.cleaned_data
        )
        messages.success(
            request, _("Facility saved. Add its opening hours and photos, then publish it.")
        )
        return redirect("manage_facility_hours", slug=facility.slug)
    return render(request, "kelola/facility_form.html", {"form": form, "community": community})


@login_required
@require_http_methods(["GET", "POST"])
@refusals_as_403
def facility_edit(request, slug):
    facility = permissions.facility_for_viewer(request.user, slug)
    may = permissions.rights(request.user, facility.community_id)
    if request.method == "POST":
        refuse_unless(may["edit_facility"])
    # The form gets its own copy: validating bad input writes it onto the instance (an empty
    # slug, say), and the page around the form must still show the saved facility.
    form = FacilityForm(request.POST or None, instance=Facility.objects.get(pk=facility.pk))
    if request.method == "POST" and form.is_valid():
        facility = services.facility_update(
            facility=facility, actor=request.user, **form.cleaned_data
        )
        messages.success(request, _("Facility saved."))
        return _after_policy_change(request, facility)
    if not may["edit_facility"]:
        read_only(form)  # shown, without a Save button
    return _facility_page(
        request,
        "kelola/facility_form.html",
        facility,
        may,
        form=form,
        community=facility.community,
    )


@login_required
@require_http_methods(["GET", "POST"])
@refusals_as_403
def facility_hours(request, slug):
    facility = permissions.facility_for_viewer(request.user, slug)
    may = permissions.rights(request.user, facility.community_id)
    if request.method == "POST":
        refuse_unless(may["edit_opening_hours"])
    initial = [
        {"weekday": interval.weekday, "opens": interval.opens, "closes": interval.closes}
        for interval in facility.opening_hours.all()
    ]
    formset = OpeningHoursFormSet(request.POST or None, initial=initial, prefix="jam")
    if request.method == "POST" and formset.is_valid():
        try:
            services.opening_hours_replace(
                facility=facility, intervals=formset.intervals(), actor=request.user
            )
        except ValidationError as error:
            formset._non_form_errors = formset.error_class(error.messages)
        else:
            messages.success(request, _("Opening hours saved."))
            return _after_policy_change(request, facility)
    return _facility_page(
        request,
        "kelola/facility_hours.html",
        facility,
        may,
        formset=formset,
        opening_hours=facility.opening_hours.all(),
    )


@login_required
@require_http_methods(["GET", "POST"])
@refusals_as_403
def facility_closures(request, slug):
    facility = permissions.facility_for_viewer(request.user, slug)
    may = permissions.rights(request.user, facility.community_id)
    if request.method == "POST":
        refuse_unless(may["add_closure"])
    form = ClosureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.closure_add(
                facility=facility,
                start=clock.as_wib(form.cleaned_data["start"]),
                end=clock.as_wib(form.cleaned_data["end"]),
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Closure added."))
            return _after_policy_change(request, facility)
    closures = facility.closures.filter(end__gt=clock.now()).order_by("start")
    return _facility_page(
        request, "kelola/facility_closures.html", facility, may, form=form, closures=closures
    )


@login_required
@require_POST
@refusals_as_403
def closure_delete(request, slug, closure_id):
    facility = permissions.facility_for_viewer(request.user, slug)
    closure = get_object_or_404(Closure, pk=closure_id, facility=facility)
    services.closure_delete(closure=closure, actor=request.user)
    messages.success(request, _("Closure removed."))
    return redirect("manage_facility_closures", slug=facility.slug)


@login_required
@require_http_methods(["GET", "POST"])
@refusals_as_403
def facility_photos(request, slug):
    facility = permissions.facility_for_viewer(request.user, slug)
    may = permissions.rights(request.user, facility.community_id)
    if request.method == "POST":
        refuse_unless(may["add_photo"])
    form = PhotoUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.photo_add(
                facility=facility,
                upload=form.cleaned_data["image"],
                alt_text=form.cleaned_data["alt_text"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error("image", error)
        else:
            messages.success(request, _("Photo added."))
            return redirect("manage_facility_photos", slug=facility.slug)
    photos = facility.photos.order_by("position", "pk")
    return _facility_page(
        request, "kelola/facility_photos.html", facility, may, form=form, photos=photos
    )


@login_required
@require_POST
@refusals_as_403
def photo_action(request, slug, photo_id):
    facility = permissions.facility_for_viewer(request.user, slug)
    photo = get_object_or_404(FacilityPhoto, pk=photo_id, facility=facility)
    photo.facility = facility  # already fetched, with its community
    action = request.POST.get("action")
    if action == "cover":
        services.photo_set_cover(photo=photo, actor=request.user)
    elif action in ("up", "down"):
        services.photo_move(photo=photo, offset=-1 if action == "up" else 1, actor=request.user)
    elif action == "delete":
        services.photo_delete(photo=photo, actor=request.user)
    else:
        messages.error(request, _("Unknown action."))
    return redirect("manage_facility_photos", slug=facility.slug)


@login_required
@require_POST
@refusals_as_403
def facility_publish(request, slug):
    facility = permissions.facility_for_viewer(request.user, slug)
    publish = request.POST.get("publish") == "1"
    try:
        services.facility_publish(facility=facility, published=publish, actor=request.user)
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

    facility = permissions.facility_for_viewer(request.user, slug)
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
    return _facility_page(
        request,
        "kelola/facility_conflicts.html",
        facility,
        permissions.rights(request.user, facility.community_id),
        conflicts=bookings_broken_by_policy(facility),
    )
