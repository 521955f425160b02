"""The organizer workspace's community pages (/kelola/...). Who may do what is decided by
communities.permissions, inside the services; these views only fetch the object for the
user (a 404 for who may not view it) and turn a refusal into the workspace's 403 page."""

import functools

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from communities import permissions, services
from communities.forms import CommunityRegistrationForm, InviteForm
from communities.models import Membership


def refusals_as_403(view):
    """A workspace view whose refusals (PermissionDenied, from a service or for a form that
    the page does not offer) are answered with the workspace's 403 page and the reason."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as refusal:
            return render(request, "kelola/not_allowed.html", {"reason": str(refusal)}, status=403)

    return wrapped


def refuse_unless(allowed: bool) -> None:
    """For a POST of a form the page does not offer to this user: refused before its data is
    validated (the service would refuse it as well)."""
    if not allowed:
        raise PermissionDenied(_("You are not allowed to do this."))


@login_required
def workspace(request):
    communities = list(permissions.managed_communities(request.user).prefetch_related("facilities"))
    may_add_facility = permissions.communities_allowing(request.user, "add_facility", communities)
    for community in communities:
        community.may_add_facility = community.pk in may_add_facility
    return render(request, "kelola/workspace.html", {"communities": communities})


@login_required
@require_http_methods(["GET", "POST"])
def community_register(request):
    form = CommunityRegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        community = services.community_register(user=request.user, **form.cleaned_data)
        messages.success(
            request,
            _("Thank you. Pemkot staff will verify %(name)s; you will be told by email.")
            % {"name": community.name},
        )
        return redirect("manage_community", slug=community.slug)
    return render(request, "kelola/community_register.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
@refusals_as_403
def community_detail(request, slug):
    community = permissions.community_for_viewer(request.user, slug)
    may = permissions.rights(request.user, community.pk)
    if request.method == "POST":
        refuse_unless(may["invite_organizers"])
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.organizer_invite(
                community=community, inviter=request.user, email=form.cleaned_data["email"]
            )
        except services.CommunityError as error:
            if error.code == "not_allowed":
                raise PermissionDenied(error.message) from error
            form.add_error("email", error.message)
        else:
            messages.success(request, _("Invitation sent."))
            return redirect("manage_community", slug=community.slug)
    organizers = (
        Membership.objects.filter(community=community, role=Membership.Role.ORGANIZER)
        .select_related("user")
        .order_by("created_at")
    )
    return render(
        request,
        "kelola/community_detail.html",
        {
            "community": community,
            "organizers": organizers,
            "invitations": community.invitations.filter(accepted_at__isnull=True),
            "facilities": community.facilities.order_by("name"),
            "form": form,
            "may": may,
        },
    )


@login_required
@require_POST
@refusals_as_403
def organizer_remove(request, slug, user_id):
    community = permissions.community_for_viewer(request.user, slug)
    user = get_object_or_404(get_user_model(), pk=user_id)
    try:
        services.organizer_remove(community=community, actor=request.user, user=user)
    except services.CommunityError as error:
        if error.code == "not_allowed":
            raise PermissionDenied(error.message) from error
        messages.error(request, error.message)
    else:
        messages.success(request, _("Organizer removed."))
    return redirect("manage_community", slug=community.slug)


@login_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    if request.method == "POST":
        try:
            membership = services.invitation_accept(token=token, user=request.user)
        except services.CommunityError as error:
            messages.error(request, error.message)
            return redirect("workspace")
        messages.success(
            request,
            _("You are now an organizer of %(name)s.") % {"name": membership.community.name},
        )
        return redirect("manage_community", slug=membership.community.slug)
    return render(request, "kelola/invitation_accept.html", {"token": token})
