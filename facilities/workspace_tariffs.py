"""The organizer workspace for the retribusi: a facility's tariffs
(/kelola/fasilitas/<slug>/tarif/...) and the add-ons a community lends
(/kelola/komunitas/<slug>/alat-tambahan/...).

Thin views over facilities.tariffs, whose services decide what is allowed and who may change
it (communities.permissions). As in facilities.workspace: who may not even see the tariffs or
add-ons gets a 404; who may see them but not change them sees the pages without their forms,
and a 403 page for a change. A refusal of the rules is shown on the form, with the input
kept, and nothing is saved."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from bookings.permissions import can_manage_bookings_of
from communities import permissions
from communities.views import refusals_as_403, refuse_unless
from facilities import tariffs
from facilities.models import AddOn, Facility, Tariff
from facilities.tariff_forms import AddOnForm, TariffEndForm, TariffForm
from haidepok import clock
from haidepok.forms import read_only, show_refusal

# --- Tariffs -------------------------------------------------------------------------------


def _tariff_context(request, facility: Facility) -> dict:
    """What every tariff page of the facility shows around its content: the tabs, offering
    only what the user may do."""
    may = permissions.rights(request.user, facility.community_id)
    return {
        "facility": facility,
        "may": may,
        "may_see_bookings": can_manage_bookings_of(request.user, facility),
        # Staff who were given the tariffs alone see no other tab of the facility.
        "tariffs_only": not permissions.can_view_facility(request.user, facility),
    }


def _tariff_of(facility: Facility, tariff_id: int) -> Tariff:
    tariff = get_object_or_404(Tariff, pk=tariff_id, facility=facility)
    tariff.facility = facility  # already fetched, with its community
    return tariff


def _with_state(tariff: Tariff, today) -> Tariff:
    """The tariff with its state on `today` (a local date): upcoming, current or ended."""
    if tariff.valid_from > today:
        tariff.state = "upcoming"
    elif tariff.valid_until is not None and tariff.valid_until < today:
        tariff.state = "ended"
    else:
        tariff.state = "current"
    return tariff


def _tariffs_page(request, facility, *, form=None, ending=None, end_form=None, status=200):
    """The list of the facility's tariffs, each with a form to end it (`end_form` for the one
    being ended, `ending`, when it was refused), and the form to add one."""
    context = _tariff_context(request, facility)
    today = clock.local_now().date()
    tariff_list = [
        _with_state(tariff, today)
        for tariff in facility.tariffs.order_by("tariff_class", "unit", "valid_from", "pk")
    ]
    for tariff in tariff_list:
        if ending is not None and tariff.pk == ending.pk:
            tariff.end_form = end_form
        else:
            tariff.end_form = TariffEndForm(
                auto_id=f"id_end_{tariff.pk}_%s",
                initial={"last_day": tariff.valid_until or max(today, tariff.valid_from)},
            )
    return render(
        request,
        "kelola/facility_tariffs.html",
        {**context, "tariffs": tariff_list, "form": form or TariffForm(), "today": today},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
@refusals_as_403
def facility_tariffs(request, slug):
    facility = permissions.facility_for_tariff_viewer(request.user, slug)
    if request.method == "GET":
        return _tariffs_page(request, facility)
    refuse_unless(permissions.can_edit_tariffs(request.user, facility))
    form = TariffForm(request.POST)
    if form.is_valid():
        try:
            tariffs.tariff_create(facility=facility, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Tariff added."))
            return redirect("manage_facility_tariffs", slug=facility.slug)
    return _tariffs_page(request, facility, form=form)


@login_required
@require_http_methods(["GET", "POST"])
@refusals_as_403
def tariff_edit(request, slug, tariff_id):
    facility = permissions.facility_for_tariff_viewer(request.user, slug)
    tariff = _tariff_of(facility, tariff_id)
    may_edit = permissions.can_edit_tariffs(request.user, facility)
    if request.method == "POST":
        refuse_unless(may_edit)
    form = TariffForm(request.POST or None, initial=tariffs.TariffTerms.of(tariff).fields())
    if request.method == "POST" and form.is_valid():
        try:
            tariffs.tariff_update(tariff=tariff, actor=request.user, **form.cleaned_data)
        except Tariff.DoesNotExist:
            raise Http404 from None  # deleted by another editor since the page was read
        except ValidationError as error:
            show_refusal(form, error)  # the service refused before changing the tariff
        else:
            messages.success(request, _("Tariff saved."))
            return redirect("manage_facility_tariffs", slug=facility.slug)
    if not may_edit:
        read_only(form)
    return render(
        request,
        "kelola/tariff_form.html",
        {**_tariff_context(request, facility), "tariff": tariff, "form": form, "mode": "edit"},
    )


@login_required
@require_POST
@refusals_as_403
def tariff_end(request, slug, tariff_id):
    facility = permissions.facility_for_tariff_viewer(request.user, slug)
    tariff = _tariff_of(facility, tariff_id)
    refuse_unless(permissions.can_edit_tariffs(request.user, facility))
    form = TariffEndForm(request.POST, auto_id=f"id_end_{tariff.pk}_%s")
    if form.is_valid():
        try:
            tariffs.tariff_end(
                tariff=tariff, actor=request.user, last_day=form.cleaned_data["last_day"]
            )
        except Tariff.DoesNotExist:
            raise Http404 from None  # deleted by another editor since the page was read
        except ValidationError as error:
            show_refusal(form, error, rename={"valid_until": "last_day"})
        else:
            messages.success(request, _("Tariff ended."))
            return redirect("manage_facility_tariffs", slug=facility.slug)
    return _tariffs_page(request, facility, ending=tariff, end_form=form)


@login_required
@require_http_methods(["GET", "POST"])
@refusals_as_403
def tariff_delete(request, slug, tariff_id):
    """A confirmation page, then the deletion (POST)."""
    facility = permissions.facility_for_tariff_viewer(request.user, slug)
    tariff = _tariff_of(facility, tariff_id)
    # The page is nothing but the confirmation: who may not delete gets the 403 page for it.
    refuse_unless(permissions.can_edit_tariffs(request.user, facility))
    if request.method == "POST":
        tariffs.tariff_delete(tariff=tariff, actor=request.user)
        messages.success(request, _("Tariff deleted."))
        return redirect("manage_facility_tariffs", slug=facility.slug)
    return render(
        request,
        "kelola/tariff_form.html",
        {
            **_tariff_context(request, facility),
            "tariff": _with_state(tariff, clock.local_now().date()),
            "mode": "delete",
        },
    )


# --- Add-ons -------------------------------------------------------------------------------


def _addon_of(community, addon_id: int) -> AddOn:
    addon = get_object_or_404(AddOn, pk=addon_id, community=community)
    addon.community = community
    return addon


def _addon_context(request, community) -> dict:
    return {
        "community": community,
        "may_edit": permissions.can_edit_addons(request.user, community),
        # Staff who were given the add-ons alone may not open the community's page.
        "may_see_community": permissions.can_view_community(request.user, community),
    }


@login_required
@require_http_methods(["GET", "POST"])
@refusals_as_403
def community_addons(request, slug):
    community = permissions.community_for_addon_viewer(request.user, slug)
    context = _addon_context(request, community)
    if request.method == "POST":
        refuse_unless(context["may_edit"])
    form = AddOnForm(request.POST or None, community=community)
    if request.method == "POST" and form.is_valid():
        try:
            tariffs.addon_create(community=community, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Add-on added."))
            return redirect("manage_community_addons", slug=community.slug)
    addons = community.addons.order_by("-is_active", "name", "pk").prefetch_related(
        Prefetch("facilities", queryset=Facility.objects.order_by("name"))
    )
    return render(
        request, "kelola/community_addons.html", {**context, "addons": addons, "form": form}
    )


@login_required
@require_http_methods(["GET", "POST"])
@refusals_as_403
def addon_edit(request, slug, addon_id):
    community = permissions.community_for_addon_viewer(request.user, slug)
    addon = _addon_of(community, addon_id)
    context = _addon_context(request, community)
    if request.method == "POST":
        refuse_unless(context["may_edit"])
    initial = {
        "name": addon.name,
        "description": addon.description,
        "price": addon.price,
        "stock": addon.stock,
        "facilities": list(addon.facilities.all()),
        "is_active": addon.is_active,
    }
    form = AddOnForm(
        request.POST or None, initial=initial, community=community, offer_is_active=True
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = tariffs.addon_update(addon=addon, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            show_refusal(form, error)  # the service refused before changing the add-on
        else:
            messages.success(request, _("Add-on saved."))
            if saved.over_stock:
                messages.warning(
                    request,
                    _(
                        "Upcoming bookings hold more of %(name)s together than the new stock "
                        "of %(stock)s: %(references)s. They keep their items; please find more "
                        "or talk to the residents."
                    )
                    % {
                        "name": saved.addon.name,
                        "stock": saved.addon.stock,
                        "references": ", ".join(booking.reference for booking in saved.over_stock),
                    },
                )
            return redirect("manage_community_addons", slug=community.slug)
    if not context["may_edit"]:
        read_only(form)
    return render(request, "kelola/addon_form.html", {**context, "addon": addon, "form": form})


@login_required
@require_POST
@refusals_as_403
def addon_withdraw(request, slug, addon_id):
    community = permissions.community_for_addon_viewer(request.user, slug)
    addon = _addon_of(community, addon_id)
    tariffs.addon_deactivate(addon=addon, actor=request.user)
    messages.success(
        request,
        _("%(name)s is no longer offered. Bookings that hold it keep it.") % {"name": addon.name},
    )
    return redirect("manage_community_addons", slug=community.slug)
