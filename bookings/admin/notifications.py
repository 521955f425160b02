"""The notification outbox (bookings.notifications) in the admin."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from bookings import notifications
from bookings.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """What was sent to whom about which booking, community or invitation, and what could
    not be: failed rows are resent from here; withdrawn rows (no longer true when their turn
    came) say why. Rows are written and updated by the outbox only, never by hand."""

    list_display = [
        "created_at",
        "about",
        "kind",
        "channel",
        "address",
        "language",
        "state",
        "attempts",
        "sent_at",
        "note",
    ]
    list_filter = ["state", "kind", "channel"]
    list_select_related = ["booking", "community", "invitation__community"]
    search_fields = ["booking__reference", "community__name", "invitation__email", "address"]
    fields = [
        "booking",
        "community",
        "invitation",
        "event",
        "kind",
        "channel",
        "recipient",
        "address",
        "language",
        "state",
        "attempts",
        "last_error",
        "created_at",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
    ]
    readonly_fields = fields
    actions = ["resend"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("about"))
    def about(self, notification):
        return notification.about

    @admin.display(description=_("last error"))
    def note(self, notification):
        """Why it failed or was withdrawn, in short."""
        text = notification.last_error
        return text if len(text) <= 80 else text[:79] + "…"

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Resend the selected failed notifications"), permissions=["change"])
    def resend(self, request, queryset):
        selected = queryset.count()
        resent = notifications.resend(queryset)
        if resent:
            self.message_user(
                request,
                ngettext(
                    "%(count)d notification will be sent again.",
                    "%(count)d notifications will be sent again.",
                    resent,
                )
                % {"count": resent},
                messages.SUCCESS,
            )
        if selected > resent:
            self.message_user(
                request,
                ngettext(
                    "%(count)d selected notification had not failed and was left alone.",
                    "%(count)d selected notifications had not failed and were left alone.",
                    selected - resent,
                )
                % {"count": selected - resent},
                messages.WARNING,
            )
