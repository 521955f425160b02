from django.contrib import admin
from django.db.models import Case, Count, F, When
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from communities.models import Community, Membership
from communities.services import CommunityError, community_decline, community_verify
from haidepok import admin_actions
from haidepok.admin_history import ReadOnlyHistoryAdmin


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


# Communities waiting for verification first, the oldest on top; then the rest by name.
PENDING_FIRST = Case(When(status=Community.Status.PENDING, then=F("created_at")))


@admin.register(Community)
class CommunityAdmin(ReadOnlyHistoryAdmin):
    """Staff verify or decline communities with the actions, which mail the organizers; the
    status is never edited by hand."""

    list_display = [
        "name",
        "kecamatan",
        "status",
        "contact_name",
        "facility_count",
        "created_at",
    ]
    list_filter = ["status", "kecamatan"]
    search_fields = ["name", "contact_name", "email"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = [PENDING_FIRST.asc(nulls_last=True), "name"]
    readonly_fields = [
        "status",
        "status_reason",
        "status_decided_by",
        "status_decided_at",
        "created_at",
        "updated_at",
    ]
    inlines = [MembershipInline]
    actions = ["verify", "decline"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(facility_count=Count("facilities"))

    @admin.display(description=_("facilities"), ordering="facility_count")
    def facility_count(self, community):
        return community.facility_count

    @admin.action(description=_("Verify the selected communities"), permissions=["change"])
    def verify(self, request, queryset):
        communities = list(queryset.order_by("name", "pk"))
        admin_actions.apply_each(
            self,
            request,
            communities,
            lambda community: community_verify(community=community, actor=request.user),
            errors=CommunityError,
            done=lambda count: ngettext(
                "%(count)d community verified: %(objects)s. Its organizers are told by email.",
                "%(count)d communities verified: %(objects)s. Their organizers are told by email.",
                count,
            ),
            refused=_("%(object)s was not verified: %(message)s"),
        )

    @admin.action(
        description=_("Decline the selected communities (with a reason)…"),
        permissions=["change"],
    )
    def decline(self, request, queryset):
        communities = list(queryset.order_by("name", "pk"))
        form = admin_actions.reason_form(request)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            admin_actions.apply_each(
                self,
                request,
                communities,
                lambda community: community_decline(
                    community=community, actor=request.user, reason=reason
                ),
                errors=CommunityError,
                done=lambda count: ngettext(
                    "%(count)d community declined: %(objects)s. The reason is mailed to its organizers.",
                    "%(count)d communities declined: %(objects)s. The reason is mailed to their organizers.",
                    count,
                ),
                refused=_("%(object)s was not declined: %(message)s"),
            )
            return None
        rows = [
            (
                [community.name, community.get_kecamatan_display(), community.get_status_display()],
                _("Skipped: already declined.")
                if community.status == Community.Status.DECLINED
                else "",
            )
            for community in communities
        ]
        return admin_actions.reason_page(
            self,
            request,
            communities,
            form=form,
            action="decline",
            title=_("Decline communities"),
            intro=_(
                "These communities will be declined: their facilities cannot be booked. "
                "The organizers receive the reason by email."
            ),
            submit_label=_("Decline"),
            columns=[_("name"), _("kecamatan"), _("status")],
            rows=rows,
        )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "community", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "community__name"]
    list_select_related = ["user", "community"]
    autocomplete_fields = ["user", "community"]
