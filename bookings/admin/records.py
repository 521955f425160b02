"""The records the booking services write, read in the admin and never changed there: the
audit trail (BookingEvent), the bookings kept despite new settings (KeptConflict) and the
price lines of bookings (BookingLine)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from bookings.models import BookingEvent, BookingLine, KeptConflict


class RecordAdmin(admin.ModelAdmin):
    """Records written by the services (the audit trail, kept conflicts): read here, never
    added, edited or deleted by hand, by anyone (superusers included)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BookingEvent)
class BookingEventAdmin(RecordAdmin):
    list_display = ["booking", "kind", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["kind", "to_status"]
    list_select_related = ["booking", "actor"]
    search_fields = ["booking__reference", "reason"]
    readonly_fields = [
        "booking",
        "kind",
        "actor",
        "from_status",
        "to_status",
        "reason",
        "created_at",
    ]


@admin.register(KeptConflict)
class KeptConflictAdmin(RecordAdmin):
    """Decisions made on the organizers' "bookings to review" page (facilities/workspace.py)."""

    list_display = ["booking", "rules", "decided_by", "decided_at"]
    list_select_related = ["booking", "decided_by"]
    search_fields = ["booking__reference"]
    readonly_fields = ["booking", "rules", "decided_by", "decided_at"]


@admin.register(BookingLine)
class BookingLineAdmin(RecordAdmin):
    """The price as quoted when each booking was requested (bookings.pricing), line by line:
    a booking's page shows its own; this list answers which bookings took an add-on."""

    list_display = ["booking", "kind", "item", "quantity", "unit_price", "amount"]
    list_filter = ["kind", "unit", "addon"]
    list_select_related = ["booking"]
    search_fields = ["booking__reference", "label"]
    readonly_fields = [
        "booking",
        "kind",
        "unit",
        "addon",
        "label",
        "quantity",
        "unit_price",
        "amount",
    ]

    @admin.display(description=_("item"))
    def item(self, line):
        return line.description
