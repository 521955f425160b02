from django.contrib import admin

from bookings.models import Booking, BookingEvent


class BookingEventInline(admin.TabularInline):
    model = BookingEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "actor", "from_status", "to_status", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["reference", "facility", "user", "start", "end", "status", "created_at"]
    list_filter = ["status", "facility__kecamatan", "facility__approval"]
    list_select_related = ["facility", "user"]
    search_fields = ["reference", "user__email", "user__full_name", "purpose"]
    date_hierarchy = "start"
    autocomplete_fields = ["facility", "user"]
    # Status changes go through the booking services (a later admin action), never a raw edit.
    readonly_fields = [
        "reference",
        "status",
        "blocked_until",
        "decided_by",
        "decided_at",
        "decision_reason",
        "created_at",
        "updated_at",
    ]
    inlines = [BookingEventInline]


@admin.register(BookingEvent)
class BookingEventAdmin(admin.ModelAdmin):
    list_display = ["booking", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["to_status"]
    list_select_related = ["booking", "actor"]
    search_fields = ["booking__reference", "reason"]
    readonly_fields = ["booking", "actor", "from_status", "to_status", "reason", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
