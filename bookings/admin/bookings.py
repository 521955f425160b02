"""Bookings in the admin: Pemkot staff find them, weigh them against the rest of the day and
decide them (approve, reject, cancel, no-show) through the booking services."""

import datetime as dt
from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Case, F, Q, When
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import dateformat
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from bookings import service_standard, services
from bookings.actions import Action, allowed_actions, refusal
from bookings.errors import BookingError
from bookings.export import bookings_csv_response
from bookings.models import Booking, BookingEvent, BookingLine, BookingStatus, RejectionCategory
from documents.admin import BookingDocumentInline
from facilities.models import Closure
from facilities.templatetags.rupiah import rupiah
from haidepok import admin_actions, clock
from haidepok.admin_site import BoundedChangeList
from payments.models import Invoice, InvoiceState
from permits.selectors import has_letter


def wib(moment: dt.datetime | None, time_only: bool = False, suffix: str = " WIB") -> str:
    """A moment as staff read it: Depok's wall clock (in the staff member's language), said
    to be WIB unless a column's title says so already."""
    if moment is None:
        return "—"
    local = clock.to_local(moment)
    return dateformat.format(local, "H:i" if time_only else "D d M Y, H:i") + suffix


def status_badge(booking: Booking):
    return format_html(
        '<span class="hd-status hd-status-{}">{}</span>',
        booking.status,
        booking.get_status_display(),
    )


class RejectionForm(admin_actions.ReasonForm):
    """The rejection page: why, as a category the public statistics count, and in words."""

    category = forms.ChoiceField(
        label=_("Category"),
        choices=[("", "---------"), *RejectionCategory.choices],
        error_messages={"required": _("Choose why the request is rejected from the list.")},
        help_text=_("Counted, without names, in the public statistics."),
    )
    field_order = ["category", "reason"]


class StartDateFilter(admin.SimpleListFilter):
    """When the booking takes place, in WIB days (the date hierarchy goes by calendar)."""

    title = _("date")
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [
            ("today", _("Today")),
            ("tomorrow", _("Tomorrow")),
            ("next7", _("The next 7 days")),
            ("upcoming", _("Upcoming")),
            ("past", _("Past")),
        ]

    def queryset(self, request, queryset):
        now = clock.now()
        today = clock.local_datetime(clock.to_local(now).date(), dt.time.min)
        day = dt.timedelta(days=1)
        ranges = {
            "today": Q(start__gte=today, start__lt=today + day),
            "tomorrow": Q(start__gte=today + day, start__lt=today + 2 * day),
            "next7": Q(start__gte=today, start__lt=today + 7 * day),
            "upcoming": Q(start__gte=now),
            "past": Q(start__lt=now),
        }
        if self.value() in ranges:
            return queryset.filter(ranges[self.value()])
        return queryset


class InvoiceFilter(admin.SimpleListFilter):
    """Whether a booking waits for its payment: staff chase an unpaid invoice before its
    deadline releases the booking."""

    title = _("invoice")
    parameter_name = "invoice"

    def lookups(self, request, model_admin):
        return [
            ("unpaid", _("Has an unpaid invoice")),
            ("paid", _("Paid")),
            ("none", _("No invoice")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "unpaid":
            return queryset.filter(invoice__state=InvoiceState.UNPAID)
        if self.value() == "paid":
            return queryset.filter(invoice__state=InvoiceState.PAID)
        if self.value() == "none":
            return queryset.filter(invoice__isnull=True)
        return queryset


class ServiceStandardFilter(admin.SimpleListFilter):
    """Requests waiting for a decision by their deadline (bookings.service_standard): staff
    take the overdue ones first, then those due today."""

    title = _("service standard")
    parameter_name = "standard"

    def lookups(self, request, model_admin):
        return [
            (service_standard.OVERDUE, _("Overdue")),
            (service_standard.DUE_TODAY, _("Due today")),
            (service_standard.ON_TIME, _("On time")),
        ]

    def queryset(self, request, queryset):
        if self.value() in (
            service_standard.OVERDUE,
            service_standard.DUE_TODAY,
            service_standard.ON_TIME,
        ):
            return queryset.filter(service_standard.state_filter(self.value(), clock.now()))
        return queryset


def price_table(booking: Booking):
    """The booking's price as it was quoted and stored (bookings.BookingLine): one row per
    line and the total, in rupiah."""
    lines = list(booking.lines.all())
    if not lines:
        return rupiah(booking.price_total)

    def item(line: BookingLine) -> str:
        if line.kind == BookingLine.Kind.TARIFF:
            return _("Use of the facility, %(unit)s") % {"unit": line.description}
        return line.description

    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (item(line), line.quantity, rupiah(line.unit_price), rupiah(line.amount))
            for line in lines
        ),
    )
    # The total in the body, not a <tfoot>: the admin's style makes a footer small print.
    return format_html(
        '<table class="hd-price"><thead><tr><th scope="col">{}</th><th scope="col">{}</th>'
        '<th scope="col">{}</th><th scope="col">{}</th></tr></thead><tbody>{}'
        '<tr><th scope="row" colspan="3">{}</th><td><strong>{}</strong></td></tr>'
        "</tbody></table>",
        _("item"),
        _("quantity"),
        _("unit price"),
        _("amount"),
        rows,
        _("Total"),
        rupiah(booking.price_total),
    )


class BookingEventInline(admin.TabularInline):
    """The audit trail, read-only: nobody edits or deletes it, not even a superuser here."""

    model = BookingEvent
    extra = 0
    can_delete = False
    classes = ["hd-events"]
    fields = ["created_at", "kind", "actor", "from_status", "to_status", "reason"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# Pending requests first, the one due soonest on top (the service standard's deadline; among
# any without one, the oldest); then the rest, the latest start first.
PENDING_FIRST = Case(When(status=BookingStatus.REQUESTED, then=F("created_at")))

# The admin action behind each decision a booking's page offers (bookings.actions decides
# which ones it offers), and the button's label.
ADMIN_ACTIONS = {
    Action.APPROVE: "approve",
    Action.REJECT: "reject",
    Action.CANCEL: "cancel",
    Action.NO_SHOW: "mark_no_show",
}
DECISION_LABELS = {
    "approve": _("Approve"),
    "reject": _("Reject…"),
    "cancel": _("Cancel…"),
    "mark_no_show": _("Mark as a no-show"),
}


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    """Staff decide bookings here. Every change of status goes through the booking services
    (the same rules as everywhere else, and an audit event); no field is edited by hand."""

    list_display = [
        "reference",
        "facility",
        "kecamatan",
        "resident",
        "start_wib",
        "end_wib",
        "status_display",
        "waiting",
        "decide_by",
    ]
    list_filter = [
        "status",
        "facility",
        "facility__kecamatan",
        "facility__community",
        "facility__approval",
        "rejection_category",
        StartDateFilter,
        ServiceStandardFilter,
        InvoiceFilter,
    ]
    list_select_related = ["facility", "user"]
    search_fields = ["reference", "user__full_name", "user__email", "purpose"]
    search_help_text = _("Reference, resident's name or email, or purpose")
    date_hierarchy = "start"
    ordering = [
        service_standard.PENDING_BY_DEADLINE.asc(nulls_last=True),
        PENDING_FIRST.asc(nulls_last=True),
        "-start",
    ]
    actions = ["approve", "reject", "cancel", "mark_no_show", "export_csv"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "reference",
                    "status_display",
                    "facility",
                    "resident_details",
                    "start_wib",
                    "end_wib",
                ]
            },
        ),
        (
            _("Request"),
            {
                "fields": [
                    "purpose",
                    "attendees",
                    "organisation",
                    "contact_phone",
                    "requested_at",
                ]
            },
        ),
        (
            _("Decision"),
            {
                "fields": [
                    "decided_by",
                    "decided_at_wib",
                    "rejection_category",
                    "decision_reason",
                    "decision_working_days",
                ]
            },
        ),
        (_("Retribusi"), {"fields": ["tariff_class", "price_lines", "invoice_details"]}),
        (_("Permit and check-in"), {"fields": ["permit_links", "check_in_details"]}),
        (_("Same day at this facility"), {"fields": ["neighbours"]}),
    ]
    readonly_fields = [field for _name, options in fieldsets for field in options["fields"]]
    inlines = [BookingEventInline, BookingDocumentInline]

    # --- columns -------------------------------------------------------------------------

    @admin.display(description=_("kecamatan"), ordering="facility__kecamatan")
    def kecamatan(self, booking):
        return booking.facility.get_kecamatan_display()

    @admin.display(description=_("resident"), ordering="user__full_name")
    def resident(self, booking):
        if booking.user is None:  # the account was deleted
            return "—"
        return format_html(
            '<span title="{}">{}</span>', booking.user.email, booking.user.full_name or "—"
        )

    @admin.display(description=_("resident"))
    def resident_details(self, booking):
        if booking.user is None:
            return _("(account deleted)")
        return format_html(
            '{}<br><a href="mailto:{}">{}</a>',
            booking.user.full_name or "—",
            booking.user.email,
            booking.user.email,
        )

    @admin.display(description=_("start (WIB)"), ordering="start")
    def start_wib(self, booking):
        return wib(booking.start, suffix="")

    @admin.display(description=_("end (WIB)"), ordering="end")
    def end_wib(self, booking):
        same_day = clock.to_local(booking.start).date() == clock.to_local(booking.end).date()
        return wib(booking.end, time_only=same_day, suffix="")

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, booking):
        return status_badge(booking)

    @admin.display(description=_("waiting for"), ordering="created_at")
    def waiting(self, booking):
        """How long a pending request has waited for an answer (decided ones wait no more).
        Whether that is too long is the service standard's to say (decide_by)."""
        if booking.status != BookingStatus.REQUESTED:
            return "—"
        return timesince(booking.created_at, clock.now(), depth=1)

    @admin.display(
        description=_("decide by"),
        ordering=service_standard.PENDING_BY_DEADLINE.asc(nulls_last=True),
    )
    def decide_by(self, booking):
        """The deadline of a pending request and the time left; overdue in red and in words."""
        deadline = service_standard.deadline_of(booking)
        if deadline is None:
            return "—"
        if deadline.overdue:
            return format_html(
                '{}<br><strong class="hd-overdue">{}</strong>',
                deadline.when_text(),
                deadline.left_text(),
            )
        return format_html(
            '{}<br><span class="hd-deadline-{}">{}</span>',
            deadline.when_text(),
            deadline.state,
            deadline.left_text(),
        )

    @admin.display(description=_("requested at"))
    def requested_at(self, booking):
        return wib(booking.created_at)

    @admin.display(description=_("decided at"))
    def decided_at_wib(self, booking):
        return wib(booking.decided_at)

    @admin.display(description=_("price"))
    def price_lines(self, booking):
        return price_table(booking)

    @admin.display(description=_("invoice"))
    def invoice_details(self, booking):
        """The invoice issued on approval (a priced booking has one), linked to its page."""
        try:
            invoice = booking.invoice
        except Invoice.DoesNotExist:
            return _("No invoice (free, or not approved yet).")
        state = invoice.get_state_display()
        if invoice.state == InvoiceState.UNPAID:
            state = _("%(state)s, pay by %(moment)s") % {
                "state": state,
                "moment": wib(invoice.due_at),
            }
        return format_html(
            '<a href="{}">{}</a> · {} · {}',
            reverse("admin:payments_invoice_change", args=[invoice.pk]),
            invoice.number,
            rupiah(invoice.amount),
            state,
        )

    @admin.display(description=_("permit letter"))
    def permit_links(self, booking):
        """The letter (while it is a permit) and the public page its QR code opens."""
        verify = reverse("permit_verify", args=[booking.permit_code])
        if not has_letter(booking):
            return format_html('<a href="{}">{}</a>', verify, _("verification page"))
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("manage_permit_letter", args=[booking.reference]),
            _("permit letter (PDF)"),
            verify,
            _("verification page"),
        )

    @admin.display(description=_("checked in"))
    def check_in_details(self, booking):
        if booking.checked_in_at is None:
            return _("Not checked in.")
        return _("%(moment)s by %(who)s") % {
            "moment": wib(booking.checked_in_at),
            "who": booking.checked_in_by or "—",
        }

    @admin.display(description=_("bookings and closures"))
    def neighbours(self, booking):
        """The other bookings of the facility on the booking's day (those that overlap it,
        buffers included, marked) and the closures then: what staff weigh before deciding."""
        day_start = clock.local_datetime(clock.to_local(booking.start).date(), dt.time.min)
        day_end = max(day_start + dt.timedelta(days=1), booking.blocked_until)
        others = (
            Booking.objects.filter(facility_id=booking.facility_id, start__lt=day_end)
            .filter(blocked_until__gt=day_start)
            .exclude(pk=booking.pk)
            .select_related("user")
            .order_by("start", "pk")
        )
        closures = (
            Closure.objects.affecting(booking.facility_id)
            .filter(start__lt=day_end, end__gt=day_start)
            .order_by("start", "pk")
        )
        rows = []
        for closure in closures:
            conflict = closure.start < booking.end and closure.end > booking.start
            rows.append(
                (
                    "hd-conflict" if conflict else "",
                    self._span(closure.start, closure.end, booking),
                    _("Closed (city-wide)") if closure.facility_id is None else _("Closed"),
                    closure.reason,
                    _("overlaps this booking") if conflict else "",
                )
            )
        for other in others:
            overlaps = (
                other.holds_slot
                and booking.holds_slot
                and other.start < booking.blocked_until
                and other.blocked_until > booking.start
            )
            link = format_html(
                '<a href="{}">{}</a>',
                reverse("admin:bookings_booking_change", args=[other.pk]),
                other.reference,
            )
            rows.append(
                (
                    "hd-conflict" if overlaps else "",
                    self._span(other.start, other.end, booking),
                    format_html("{} {}", link, status_badge(other)),
                    f"{other.purpose} ({other.user.full_name if other.user else '—'})",
                    _("overlaps this booking") if overlaps else "",
                )
            )
        calendar = "{}?{}".format(
            reverse("admin:facilities_facility_calendar", args=[booking.facility_id]),
            urlencode({"day": clock.to_local(booking.start).date().isoformat()}),
        )
        calendar_link = format_html('<p><a href="{}">{}</a></p>', calendar, _("Open the calendar"))
        if not rows:
            return format_html("<p>{}</p>{}", _("Nothing else on this day."), calendar_link)
        return format_html(
            '<table class="hd-neighbours"><tbody>{}</tbody></table>{}',
            format_html_join(
                "",
                '<tr class="{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
                rows,
            ),
            calendar_link,
        )

    @staticmethod
    def _span(start, end, booking) -> str:
        """From-to on the booking's day in hours only; with dates when it reaches further."""
        day = clock.to_local(booking.start).date()
        same_day = clock.to_local(start).date() == day == clock.to_local(end).date()
        return f"{wib(start, time_only=same_day, suffix='')}–{wib(end, time_only=same_day)}"

    # --- permissions and pages -------------------------------------------------------------

    def get_changelist(self, request, **kwargs):
        return BoundedChangeList  # no 500 for a date hierarchy at year 9999

    def has_add_permission(self, request):
        # A booking is requested by a resident and checked by every rule
        # (bookings.services.booking_request), never typed in here.
        return False

    def has_delete_permission(self, request, obj=None):
        # A booking is part of the audit trail, for everyone (superusers included): it ends
        # by a decision of the services (cancel, reject...), which is written down, never by
        # vanishing. This also takes the delete action off the change list.
        return False

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="{}_{}_export".format(*info),
            ),
            *super().get_urls(),
        ]

    def get_queryset(self, request):
        # A booking's page asks bookings.actions which decisions to offer: that needs who runs
        # the facility. (The change list's own joins come from list_select_related.)
        # Its page also shows the invoice (a reverse one-to-one: the same query).
        return (
            super()
            .get_queryset(request)
            .select_related("facility__community", "user", "invoice", "checked_in_by")
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            # Nothing on this page is edited; decisions are posted to the actions.
            return HttpResponseRedirect(request.path)
        booking = self.get_object(request, object_id)
        decisions = []
        if booking is not None and self.has_change_permission(request, booking):
            # What the services would accept from this staff member now, and only that.
            available = self.get_actions(request)
            decisions = [
                (ADMIN_ACTIONS[action], DECISION_LABELS[ADMIN_ACTIONS[action]])
                for action in allowed_actions(request.user, booking, clock.now())
                if ADMIN_ACTIONS[action] in available
            ]
        context = {
            "decisions": decisions,
            "from_object_name": admin_actions.FROM_OBJECT,
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra_context=context)

    def export_view(self, request):
        """The change list as CSV, with its current filters, search and order."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(reverse("admin:bookings_booking_changelist"))
        return bookings_csv_response(changelist.queryset, self._export_filename())

    def _export_filename(self) -> str:
        return f"bookings-{clock.local_now():%Y%m%d-%H%M}.csv"

    # --- actions ---------------------------------------------------------------------------

    @admin.action(description=_("Approve the selected requests"), permissions=["change"])
    def approve(self, request, queryset):
        bookings = list(queryset.select_related("facility", "user").order_by("start", "pk"))
        admin_actions.apply_each(
            self,
            request,
            bookings,
            lambda booking: services.booking_approve(booking=booking, actor=request.user),
            errors=BookingError,
            done=lambda count: ngettext(
                "%(count)d booking approved: %(objects)s.",
                "%(count)d bookings approved: %(objects)s.",
                count,
            ),
            refused=_("%(object)s was not approved: %(message)s"),
        )
        return admin_actions.back_to_object(self, request, bookings)

    @admin.action(
        description=_("Reject the selected requests (with a reason)…"), permissions=["change"]
    )
    def reject(self, request, queryset):
        return self._decide_with_reason(
            request,
            queryset,
            service=services.booking_reject,
            form_class=RejectionForm,
            done=lambda count: ngettext(
                "%(count)d booking rejected: %(objects)s. The reason is mailed to each resident.",
                "%(count)d bookings rejected: %(objects)s. The reason is mailed to each resident.",
                count,
            ),
            refused=_("%(object)s was not rejected: %(message)s"),
            action="reject",
            decision=Action.REJECT,
            title=_("Reject bookings"),
            intro=_(
                "These requests will be rejected. Each resident receives the reason by email, "
                "and sees it with the booking."
            ),
            submit_label=_("Reject"),
        )

    @admin.action(
        description=_("Cancel the selected bookings (with a reason)…"), permissions=["change"]
    )
    def cancel(self, request, queryset):
        return self._decide_with_reason(
            request,
            queryset,
            service=services.booking_cancel,
            done=lambda count: ngettext(
                "%(count)d booking cancelled: %(objects)s. The reason is mailed to each resident.",
                "%(count)d bookings cancelled: %(objects)s. The reason is mailed to each resident.",
                count,
            ),
            refused=_("%(object)s was not cancelled: %(message)s"),
            action="cancel",
            decision=Action.CANCEL,
            title=_("Cancel bookings"),
            intro=_(
                "These bookings will be cancelled and their time set free. Each resident "
                "receives the reason by email."
            ),
            submit_label=_("Cancel the bookings"),
        )

    def _decide_with_reason(
        self,
        request,
        queryset,
        *,
        service,
        done,
        refused,
        form_class=admin_actions.ReasonForm,
        **page,
    ):
        """An action that needs a reason: first the reason page, then `service` for each
        booking, with a report per booking that was refused. The form's fields (the reason,
        and the category of a rejection) are the service's arguments."""
        bookings = list(queryset.select_related("facility", "user").order_by("start", "pk"))
        form = admin_actions.reason_form(request, form_class)
        if not (form.is_bound and form.is_valid()):
            return self._reason_page(request, bookings, form=form, **page)
        given = form.cleaned_data
        admin_actions.apply_each(
            self,
            request,
            bookings,
            lambda booking: service(booking=booking, actor=request.user, **given),
            errors=BookingError,
            done=done,
            refused=refused,
        )
        return admin_actions.back_to_object(self, request, bookings)

    @admin.action(description=_("Mark the selected bookings as no-shows"), permissions=["change"])
    def mark_no_show(self, request, queryset):
        bookings = list(queryset.select_related("facility", "user").order_by("start", "pk"))
        admin_actions.apply_each(
            self,
            request,
            bookings,
            lambda booking: services.booking_mark_no_show(booking=booking, actor=request.user),
            errors=BookingError,
            done=lambda count: ngettext(
                "%(count)d booking marked as a no-show: %(objects)s.",
                "%(count)d bookings marked as no-shows: %(objects)s.",
                count,
            ),
            refused=_("%(object)s was not marked as a no-show: %(message)s"),
        )
        return admin_actions.back_to_object(self, request, bookings)

    @admin.action(description=_("Export the selected bookings as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        return bookings_csv_response(queryset, self._export_filename())

    def _reason_page(self, request, bookings, *, decision: Action, **page):
        """Which bookings the action applies to, and why not to the others: in the words of
        bookings.actions, which the service will ask again."""
        now = clock.now()

        def note(booking) -> str:
            refused = refusal(request.user, booking, decision, now)
            return _("Skipped: %(reason)s") % {"reason": refused.message} if refused else ""

        rows = [
            (
                [
                    booking.reference,
                    booking.facility.name,
                    booking.user.full_name if booking.user else "—",
                    wib(booking.start),
                    booking.get_status_display(),
                ],
                note(booking),
            )
            for booking in bookings
        ]
        columns = [_("reference"), _("facility"), _("resident"), _("start (WIB)"), _("status")]
        return admin_actions.reason_page(
            self, request, bookings, columns=columns, rows=rows, **page
        )
