"""The organizer workspace's page of a facility's document requirements
(/kelola/fasilitas/<slug>/dokumen/...): thin views over documents.requirements.

As the other facility pages (facilities/workspace_tariffs.py): who may not even view the
facility gets a 404; who may view but not edit it sees the list without its forms, and the
403 page for a change. A refusal is shown on the form, with the input kept; nothing is saved.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from bookings.permissions import can_manage_bookings_of
from communities import permissions
from communities.views import refusals_as_403, refuse_unless
from documents import requirements
from documents.forms import RequirementForm
from documents.models import DocumentRequirement
from facilities.models import Facility
from haidepok.forms import read_only, show_refusal


def _context(request, facility: Facility) -> dict:
    """What the facility's tabs (kelola/_facility_nav.html) need, and may_edit."""
    may = permissions.rights(request.user, facility.community_id)
    return {
        "facility": facility,
        "may": may,
        "may_edit": may["edit_facility"],
        "may_see_bookings": can_manage_bookings_of(request.user, facility),
        "tariffs_only": False,  # facility_for_viewer let them see the whole facility
    }


def _requirement_of(facility: Facility, requirement_id: int) -> DocumentRequirement:
    requirement = get_object_or_404(DocumentRequirement, pk=requirement_id, facility=facility)
    requirement.facility = facility  # already fetched, with its community
    return requirement


@login_required
@require_http_methods(["GET", "POST"])
@refusals_as_403
def facility_requirements(request, slug):
    facility = permissions.facility_for_viewer(request.user, slug)
    context = _context(request, facility)
    if request.method == "POST":
        refuse_unless(context["may_edit"])
    form = RequirementForm(
        request.POST or None,
        initial={"position": facility.document_requirements.count() + 1},
    )
    if request.method == "POST" and form.is_valid():
        try:
            requirements.requirement_create(
                facility=facility, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Document requirement added."))
            return redirect("manage_facility_documents", slug=facility.slug)
    return render(
        request,
        "documents/requirements.html",
        {
            **context,
            "requirements": facility.document_requirements.all(),
            "form": form,
            "mode": "list",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@refusals_as_403
def requirement_edit(request, slug, requirement_id):
    facility = permissions.facility_for_viewer(request.user, slug)
    requirement = _requirement_of(facility, requirement_id)
    context = _context(request, facility)
    if request.method == "POST":
        refuse_unless(context["may_edit"])
    form = RequirementForm(request.POST or None, instance=requirement)
    if request.method == "POST" and form.is_valid():
        try:
            requirements.requirement_update(
                requirement=requirement, actor=request.user, **form.cleaned_data
            )
        except DocumentRequirement.DoesNotExist:
            raise Http404 from None  # deleted by another editor since the page was read
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Document requirement saved."))
            return redirect("manage_facility_documents", slug=facility.slug)
    if not context["may_edit"]:
        read_only(form)
    return render(
        request,
        "documents/requirements.html",
        {**context, "requirement": requirement, "form": form, "mode": "edit"},
    )


@login_required
@require_POST
@refusals_as_403
def requirement_delete(request, slug, requirement_id):
    facility = permissions.facility_for_viewer(request.user, slug)
    requirement = _requirement_of(facility, requirement_id)
    refuse_unless(permissions.can_edit_facility(request.user, facility))
    requirements.requirement_delete(requirement=requirement, actor=request.user)
    messages.success(request, _("Document requirement removed."))
    return redirect("manage_facility_documents", slug=facility.slug)
