from django.contrib import admin

from communities.models import Community, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "kecamatan", "status", "contact_name", "created_at"]
    list_filter = ["status", "kecamatan"]
    search_fields = ["name", "contact_name", "email"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["status_decided_by", "status_decided_at", "created_at", "updated_at"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "community", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "community__name"]
    list_select_related = ["user", "community"]
    autocomplete_fields = ["user", "community"]
