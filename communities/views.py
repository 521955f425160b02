"""The organizer workspace's community pages (/kelola/...)."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from communities import services
from communities.forms import CommunityRegistrationForm, InviteForm
from communities.models import Membership
from communities.permissions import community_for_manager, managed_communities


@login_required
def workspace(request):
    communities = managed_communities(request.user).prefetch_related("facilities")
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
def community_detail(request, slug):
    community = community_for_manager(request.user, slug)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.organizer_invite(
                community=community, inviter=request.user, email=form.cleaned_data["email"]
            )
        except services.CommunityError as error:
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
        },
    )


@login_required
@require_POST
def organizer_remove(request, slug, user_id):
    community = community_for_manager(request.user, slug)
    user = get_object_or_404(get_user_model(), pk=user_id)
    try:
        services.organizer_remove(community=community, actor=request.user, user=user)
    except services.CommunityError as error:
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
