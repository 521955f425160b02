"""Money in the admin: Pemkot staff follow the invoices (tagihan) of priced bookings, record
the transfers and cash paid at the counter (payments.services.payment_record_manual), export
the invoices and the rekap retribusi, and read what the payment gateways said.

Nothing here is edited by hand: an invoice follows from its booking, a payment from money
received, a charge and a gateway notification from the gateway.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminRadioSelect
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from bookings.admin.bookings import price_table, wib
from bookings.admin.records import RecordAdmin
from facilities.templatetags.rupiah import rupiah
from haidepok import clock
from haidepok.admin_site import BoundedChangeList
from haidepok.fields import BoundedDateTimeField
from payments import export
from payments.errors import MESSAGES, PaymentError
from payments.models import (
    MANUAL_METHODS,
    Charge,
    Invoice,
    InvoiceState,
    Payment,
    PaymentMethod,
    WebhookLog,
)
from payments.services import can_record_payments, payment_record_manual


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = [
        "receipt_number",
        "method",
        "amount_rupiah",
        "paid_at_wib",
        "external_reference",
        "gateway",
        "recorded_by",
        "needs_refund",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by")

    @admin.display(description=_("amount"))
    def amount_rupiah(self, payment):
        return rupiah(payment.amount)

    @admin.display(description=_("paid at (WIB)"))
    def paid_at_wib(self, payment):
        return wib(payment.paid_at, suffix="")


# --- recording a manual payment ---------------------------------------------------------------


class ManualPaymentForm(forms.Form):
    """A transfer or cash that reached the city, as staff read it off the bank statement or
    the counter's receipt book. The service decides whether it may be recorded."""

    method = forms.ChoiceField(
        label=_("Method"),
        choices=[(method.value, method.label) for method in MANUAL_METHODS],
        initial=PaymentMethod.TRANSFER,
        widget=AdminRadioSelect(attrs={"class": "radiolist inline"}),
    )
    amount = forms.IntegerField(label=_("Amount (Rp)"), min_value=1)
    external_reference = forms.CharField(
        label=_("Transfer reference or counter receipt number"),
        max_length=100,
        error_messages={"required": MESSAGES["reference_required"]},
    )
    paid_at = BoundedDateTimeField(
        label=_("Paid at (WIB)"), help_text=_("When the money was transferred or paid in.")
    )

    def __init__(self, *args, invoice: Invoice, **kwargs):
        now = clock.local_now().replace(second=0, microsecond=0)
        kwargs.setdefault("initial", {"amount": invoice.amount, "paid_at": now})
        super().__init__(*args, **kwargs)
        self.fields["paid_at"].widget.attrs["max"] = now.strftime("%Y-%m-%dT%H:%M")


# The field next to which each refusal of the service is shown; the others go on top.
ERROR_FIELDS = {
    "wrong_amount": "amount",
    "reference_required": "external_reference",
    "paid_in_future": "paid_at",
    "paid_before_invoice": "paid_at",
    "method_not_manual": "method",
}


# --- invoices ---------------------------------------------------------------------------------


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    """The invoices of priced bookings, by state, facility and month. Read-only: an invoice
    is issued, cancelled and expired by its booking, and paid by a payment (recorded from
    its page by staff who may add payments)."""

    list_display = [
        "number",
        "booking_link",
        "facility",
        "amount_rupiah",
        "state",
        "due_wib",
        "paid_at_wib",
    ]
    list_filter = ["state", "booking__facility"]
    list_select_related = ["booking__facility"]
    search_fields = ["number", "booking__reference", "booking__user__email"]
    search_help_text = _("Invoice number, booking reference or resident's email")
    date_hierarchy = "issued_at"
    actions = ["export_csv"]
    fields = [
        "number",
        "booking_link",
        "resident",
        "facility",
        "amount_rupiah",
        "state",
        "issued_at_wib",
        "due_wib",
        "closed_at_wib",
        "price",
    ]
    readonly_fields = fields
    inlines = [PaymentInline]

    # --- columns ---------------------------------------------------------------------------

    @admin.display(description=_("booking"), ordering="booking__reference")
    def booking_link(self, invoice):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:bookings_booking_change", args=[invoice.booking_id]),
            invoice.booking.reference,
        )

    @admin.display(description=_("facility"), ordering="booking__facility__name")
    def facility(self, invoice):
        return invoice.booking.facility.name

    @admin.display(description=_("resident"))
    def resident(self, invoice):
        user = invoice.booking.user
        if user is None:
            return _("(account deleted)")
        return format_html(
            '{}<br><a href="mailto:{}">{}</a>', user.full_name or "—", user.email, user.email
        )

    @admin.display(description=_("amount"), ordering="amount")
    def amount_rupiah(self, invoice):
        return rupiah(invoice.amount)

    @admin.display(description=_("issued at (WIB)"), ordering="issued_at")
    def issued_at_wib(self, invoice):
        return wib(invoice.issued_at, suffix="")

    @admin.display(description=_("pay by (WIB)"), ordering="due_at")
    def due_wib(self, invoice):
        return wib(invoice.due_at, suffix="")

    @admin.display(description=_("paid at (WIB)"), ordering="settled_paid_at")
    def paid_at_wib(self, invoice):
        return wib(invoice.settled_paid_at, suffix="")

    @admin.display(description=_("closed at (WIB)"))
    def closed_at_wib(self, invoice):
        return wib(invoice.closed_at, suffix="")

    @admin.display(description=_("price"))
    def price(self, invoice):
        return price_table(invoice.booking)

    # --- permissions and pages -------------------------------------------------------------

    def get_queryset(self, request):
        # The settling payment's time comes in the same query (a subquery per row).
        return export.with_settlement(
            super().get_queryset(request).select_related("booking__facility", "booking__user")
        )

    def get_changelist(self, request, **kwargs):
        return BoundedChangeList  # no 500 for a date hierarchy at year 9999

    def has_add_permission(self, request):
        return False  # issued on approval (payments.invoicing)

    def has_change_permission(self, request, obj=None):
        return False  # its amount and state follow its booking and payments

    def has_delete_permission(self, request, obj=None):
        return False  # part of the city's books

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        return [
            path("export/", view(self.export_view), name="{}_{}_export".format(*info)),
            path("rekap/", view(self.totals_view), name="{}_{}_totals".format(*info)),
            path("rekap/csv/", view(self.totals_csv_view), name="{}_{}_totals_csv".format(*info)),
            path(
                "<path:object_id>/payment/",
                view(self.record_payment_view),
                name="{}_{}_record_payment".format(*info),
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        # The rekap of the year the list shows (its date hierarchy), or of this year.
        totals_url = reverse("admin:payments_invoice_totals")
        year = request.GET.get("issued_at__year", "")
        if year.isdigit():
            totals_url += f"?year={year}"
        context = {"totals_url": totals_url, **(extra_context or {})}
        return super().changelist_view(request, extra_context=context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        invoice = self.get_object(request, unquote(object_id))
        context = dict(extra_context or {})
        if invoice is not None and self._may_record(request, invoice):
            context["payment_form"] = ManualPaymentForm(invoice=invoice)
            context["record_payment_url"] = self._record_payment_url(invoice)
        return super().change_view(request, object_id, form_url, extra_context=context)

    def _may_record(self, request, invoice) -> bool:
        return invoice.state == InvoiceState.UNPAID and can_record_payments(request.user)

    def _record_payment_url(self, invoice) -> str:
        return reverse("admin:payments_invoice_record_payment", args=[invoice.pk])

    def _change_url(self, invoice) -> str:
        return reverse("admin:payments_invoice_change", args=[invoice.pk])

    def record_payment_view(self, request, object_id):
        """A transfer or cash payment for one unpaid invoice: the form (GET, which changes
        nothing), then payments.services.payment_record_manual (POST). Its refusals are shown
        next to the form."""
        invoice = self.get_object(request, unquote(object_id))
        if invoice is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not (self.has_view_permission(request, invoice) and can_record_payments(request.user)):
            raise PermissionDenied
        if request.method != "POST" and invoice.state != InvoiceState.UNPAID:
            code = "already_paid" if invoice.state == InvoiceState.PAID else "invoice_closed"
            self.message_user(request, PaymentError(code).message, messages.WARNING)
            return HttpResponseRedirect(self._change_url(invoice))
        form = ManualPaymentForm(
            request.POST if request.method == "POST" else None, invoice=invoice
        )
        if form.is_bound and form.is_valid():
            try:
                payment = payment_record_manual(
                    invoice=invoice, actor=request.user, **form.cleaned_data
                )
            except PaymentError as error:
                form.add_error(ERROR_FIELDS.get(error.code), error.message)
            else:
                # In the invoice's history, stored untranslated as Django stores its own
                # messages (each reader sees it in their language).
                with translation.override(None):
                    name = str(Payment._meta.verbose_name)
                self.log_change(
                    request, invoice, [{"added": {"name": name, "object": str(payment)}}]
                )
                self.message_user(
                    request,
                    _(
                        "Payment recorded: receipt %(receipt)s, %(amount)s. The resident "
                        "receives the receipt by email."
                    )
                    % {"receipt": payment.receipt_number, "amount": rupiah(payment.amount)},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._change_url(invoice))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Record a payment for %(number)s") % {"number": invoice.number},
            "opts": self.opts,
            "invoice": invoice,
            "payment_form": form,
            "record_payment_url": self._record_payment_url(invoice),
            "change_url": self._change_url(invoice),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/payments/invoice/record_payment.html", context)

    # --- exports and the rekap ---------------------------------------------------------------

    def export_view(self, request):
        """The change list as CSV, with its current filters, search and order."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(reverse("admin:payments_invoice_changelist"))
        return export.invoices_csv_response(changelist.queryset, self._filename("invoices"))

    @admin.action(description=_("Export the selected invoices as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        return export.invoices_csv_response(queryset, self._filename("invoices"))

    @staticmethod
    def _filename(name: str) -> str:
        return f"{name}-{clock.local_now():%Y%m%d-%H%M}.csv"

    def _totals_year(self, request) -> int:
        """The year asked for (?year=2027), or this year in WIB: any other value, or one
        outside the project's bound, is this year."""
        this_year = clock.local_now().year
        try:
            year = int(request.GET.get("year", this_year))
        except ValueError:
            return this_year
        return year if clock.EARLIEST_YEAR <= year <= clock.LATEST_YEAR else this_year

    def totals_view(self, request):
        """Rekap retribusi: per month and facility, what was invoiced, paid, is outstanding,
        expired unpaid or was cancelled."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        year = self._totals_year(request)
        totals = export.retribusi_totals(year)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Rekap retribusi %(year)s") % {"year": year},
            "opts": self.opts,
            "totals": totals,
            "groups": list(export.TOTALS_GROUPS.values()),
            "rows": [
                (export.month_label(row.month), row.facility_name, export.totals_cells(row))
                for row in totals.rows
            ],
            "total_cells": export.totals_cells(totals.total),
            "previous_year": year - 1 if year > clock.EARLIEST_YEAR else None,
            "next_year": year + 1 if year < clock.LATEST_YEAR else None,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/payments/invoice/totals.html", context)

    def totals_csv_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        totals = export.retribusi_totals(self._totals_year(request))
        rows = export.totals_rows(totals)
        return export.csv_response(rows, f"rekap-retribusi-{totals.year}.csv")


# --- what came in ------------------------------------------------------------------------------


@admin.register(Payment)
class PaymentAdmin(RecordAdmin):
    """Money received, with its receipt number (the resident's bukti bayar). Recorded on an
    invoice's page by staff or by a gateway's notification; money for an invoice no longer
    unpaid is marked to be refunded."""

    list_display = [
        "receipt_number",
        "invoice",
        "method",
        "amount_rupiah",
        "paid_at_wib",
        "recorded_by",
        "needs_refund",
    ]
    list_filter = ["needs_refund", "method", "gateway"]
    list_select_related = ["invoice", "recorded_by"]
    search_fields = [
        "receipt_number",
        "invoice__number",
        "invoice__booking__reference",
        "external_reference",
    ]
    search_help_text = _("Receipt number, invoice number, booking reference or payment reference")
    date_hierarchy = "paid_at"
    fields = [
        "receipt_number",
        "invoice",
        "method",
        "amount_rupiah",
        "paid_at_wib",
        "external_reference",
        "gateway",
        "recorded_by",
        "created_at_wib",
        "needs_refund",
    ]
    readonly_fields = fields

    def get_changelist(self, request, **kwargs):
        return BoundedChangeList

    @admin.display(description=_("amount"), ordering="amount")
    def amount_rupiah(self, payment):
        return rupiah(payment.amount)

    @admin.display(description=_("paid at (WIB)"), ordering="paid_at")
    def paid_at_wib(self, payment):
        return wib(payment.paid_at, suffix="")

    @admin.display(description=_("recorded at (WIB)"))
    def created_at_wib(self, payment):
        return wib(payment.created_at, suffix="")


@admin.register(Charge)
class ChargeAdmin(RecordAdmin):
    """The QRIS codes and virtual accounts made for paying invoices online."""

    list_display = [
        "order_id",
        "invoice",
        "gateway",
        "method",
        "amount_rupiah",
        "state",
        "expires_wib",
    ]
    list_filter = ["state", "method", "gateway"]
    list_select_related = ["invoice"]
    search_fields = ["order_id", "gateway_reference", "invoice__number", "va_number"]
    fields = [
        "order_id",
        "invoice",
        "gateway",
        "gateway_reference",
        "method",
        "amount_rupiah",
        "qr_string",
        "va_number",
        "va_bank",
        "state",
        "expires_wib",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("amount"), ordering="amount")
    def amount_rupiah(self, charge):
        return rupiah(charge.amount)

    @admin.display(description=_("expires at (WIB)"), ordering="expires_at")
    def expires_wib(self, charge):
        return wib(charge.expires_at, suffix="")


@admin.register(WebhookLog)
class WebhookLogAdmin(RecordAdmin):
    """Every notification a gateway sent, and what became of it: filter by outcome to see
    the forged ones (bad signature) and those refused."""

    list_display = ["received_wib", "gateway", "order_id", "outcome", "detail", "remote_address"]
    list_filter = ["outcome", "gateway"]
    list_select_related = ["payment"]
    search_fields = ["order_id", "detail", "remote_address"]
    fields = [
        "received_wib",
        "gateway",
        "remote_address",
        "order_id",
        "outcome",
        "detail",
        "payment",
        "body_text",
    ]
    readonly_fields = fields

    @admin.display(description=_("received at (WIB)"), ordering="received_at")
    def received_wib(self, log):
        return wib(log.received_at, suffix="")

    @admin.display(description=_("body"))
    def body_text(self, log):
        # As received, escaped: a forged body may hold anything.
        return format_html('<pre class="hd-webhook-body">{}</pre>', log.body or "—")
