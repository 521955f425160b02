"""What Pemkot staff take out of the admin about money: the invoices as CSV, and the rekap
retribusi (totals per facility and month) on a page and as CSV.

The CSV files follow bookings/export.py: UTF-8 with a byte order mark for spreadsheet
programs, times in WIB, text that residents typed guarded against formula injection, and
streamed from one query read in chunks.
"""

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.http import StreamingHttpResponse
from django.utils import dateformat
from django.utils.translation import gettext_lazy as _

from bookings.export import BOM, FORMULA_START, TIME_FORMAT
from facilities.templatetags.rupiah import rupiah
from haidepok import clock
from payments.models import Invoice, InvoiceState, Payment

INVOICE_COLUMNS = [
    _("Invoice number"),
    _("Booking"),
    _("Facility"),
    _("Resident"),
    _("Email"),
    _("Amount (Rp)"),
    _("State"),
    _("Issued at (WIB)"),
    _("Pay by (WIB)"),
    _("Paid at (WIB)"),
    _("Receipt number"),
    _("Method"),
    _("Reference"),
]

TOTALS_COLUMNS = [
    _("Month"),
    _("Facility"),
    _("Invoices"),
    _("Invoiced (Rp)"),
    _("Paid"),
    _("Paid (Rp)"),
    _("Outstanding"),
    _("Outstanding (Rp)"),
    _("Expired unpaid"),
    _("Expired unpaid (Rp)"),
    _("Cancelled"),
    _("Cancelled (Rp)"),
]


def _text(value: str) -> str:
    """A cell that a spreadsheet would run as a formula is written as text (the same rule as
    bookings.export)."""
    return "'" + value if value.startswith(FORMULA_START) else value


def _time(moment) -> str:
    return clock.to_local(moment).strftime(TIME_FORMAT) if moment else ""


class _Echo:
    """csv.writer writes into this and gets the line back, to stream it."""

    def write(self, value: str) -> str:
        return value


def csv_response(rows: Iterator[list[str]], filename: str) -> StreamingHttpResponse:
    """Stream `rows` (the header first, already translated) as a CSV attachment."""
    writer = csv.writer(_Echo())
    header = next(rows)

    def lines():
        yield BOM + writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- invoices ---------------------------------------------------------------------------------


def with_settlement(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """Invoices with the payment that settled them (none for an unpaid or closed one) as
    annotations, in the same query: settled_paid_at, settled_receipt, settled_method,
    settled_reference."""
    settling = Payment.objects.filter(invoice=OuterRef("pk"), needs_refund=False)
    return invoices.annotate(
        settled_paid_at=Subquery(settling.values("paid_at")[:1]),
        settled_receipt=Subquery(settling.values("receipt_number")[:1]),
        settled_method=Subquery(settling.values("method")[:1]),
        settled_reference=Subquery(settling.values("external_reference")[:1]),
    )


def invoice_rows(invoices: Iterable[Invoice]) -> Iterator[list[str]]:
    """The header, then one row per invoice (annotated by with_settlement). Labels are
    translated here, in the language of the request: a streamed response is written after
    the view returns."""
    states = {value: str(label) for value, label in InvoiceState.choices}
    methods = {value: str(label) for value, label in Payment.Method.choices}
    yield [str(column) for column in INVOICE_COLUMNS]
    for invoice in invoices:
        booking, resident = invoice.booking, invoice.booking.user
        yield [
            invoice.number,
            booking.reference,
            _text(booking.facility.name),
            _text(resident.full_name) if resident else "",
            resident.email if resident else "",
            str(invoice.amount),
            states.get(invoice.state, invoice.state),
            _time(invoice.issued_at),
            _time(invoice.due_at),
            _time(invoice.settled_paid_at),
            invoice.settled_receipt or "",
            methods.get(invoice.settled_method, invoice.settled_method or ""),
            # Typed by staff (a transfer reference, a counter receipt number): guarded too.
            _text(invoice.settled_reference or ""),
        ]


def invoices_csv_response(invoices: QuerySet[Invoice], filename: str) -> StreamingHttpResponse:
    """Stream `invoices` (in their order) as CSV: one query, read in chunks."""
    invoices = with_settlement(invoices.select_related("booking__facility", "booking__user"))
    rows = invoice_rows(invoices.iterator(chunk_size=500))
    return csv_response(rows, filename)


# --- rekap retribusi ----------------------------------------------------------------------------


@dataclass
class Amounts:
    """A number of invoices and their sum in rupiah."""

    count: int = 0
    total: int = 0

    def add(self, other: "Amounts") -> None:
        self.count += other.count
        self.total += other.total


# The columns of the rekap after "invoiced": every invoice is in exactly one of these states,
# so the invoiced amount is their sum.
TOTALS_GROUPS = {
    "invoiced": _("Invoiced"),
    "paid": _("Paid"),
    "outstanding": _("Outstanding"),
    "expired": _("Expired unpaid"),
    "cancelled": _("Cancelled"),
}
TOTALS_STATES = [
    ("paid", InvoiceState.PAID),
    ("outstanding", InvoiceState.UNPAID),
    ("expired", InvoiceState.EXPIRED),
    ("cancelled", InvoiceState.CANCELLED),
]


@dataclass
class TotalsRow:
    month: dt.date | None  # the first day of the month (WIB); None on the year's total
    facility_id: int | None
    facility_name: str
    invoiced: Amounts = field(default_factory=Amounts)
    paid: Amounts = field(default_factory=Amounts)
    outstanding: Amounts = field(default_factory=Amounts)
    expired: Amounts = field(default_factory=Amounts)
    cancelled: Amounts = field(default_factory=Amounts)

    def add(self, other: "TotalsRow") -> None:
        for name in TOTALS_GROUPS:
            getattr(self, name).add(getattr(other, name))

    def groups(self) -> list[Amounts]:
        """Its amounts in the order of TOTALS_GROUPS (the columns)."""
        return [getattr(self, name) for name in TOTALS_GROUPS]


@dataclass
class Totals:
    year: int
    rows: list[TotalsRow]
    total: TotalsRow


def retribusi_totals(year: int) -> Totals:
    """The invoices issued in `year` (by the WIB calendar) per month and facility: how many
    and how much were invoiced, paid, are still outstanding, expired unpaid or were
    cancelled. One aggregate query whatever the number of invoices; the year's total is
    added up from its rows."""
    start = clock.local_datetime(dt.date(year, 1, 1), dt.time.min)
    end = clock.local_datetime(dt.date(year + 1, 1, 1), dt.time.min)

    def amounts(prefix: str, state=None) -> dict:
        only = Q(state=state) if state else Q()
        return {
            f"{prefix}_count": Count("pk", filter=only),
            f"{prefix}_total": Coalesce(Sum("amount", filter=only), 0),
        }

    aggregates = amounts("invoiced")
    for name, state in TOTALS_STATES:
        aggregates.update(amounts(name, state))
    grouped = (
        Invoice.objects.filter(issued_at__gte=start, issued_at__lt=end)
        .annotate(month=TruncMonth("issued_at", tzinfo=clock.WIB))
        .values("month", "booking__facility_id", "booking__facility__name")
        .annotate(**aggregates)
        .order_by("month", "booking__facility__name", "booking__facility_id")
    )
    rows = []
    for group in grouped:
        row = TotalsRow(
            month=_month_of(group["month"]),
            facility_id=group["booking__facility_id"],
            facility_name=group["booking__facility__name"],
        )
        for name in TOTALS_GROUPS:
            setattr(row, name, Amounts(group[f"{name}_count"], group[f"{name}_total"]))
        rows.append(row)
    total = TotalsRow(month=None, facility_id=None, facility_name="")
    for row in rows:
        total.add(row)
    return Totals(year=year, rows=rows, total=total)


def _month_of(value) -> dt.date:
    """TruncMonth answers an aware datetime (a date on some backends): its WIB month."""
    if isinstance(value, dt.datetime):
        return clock.to_local(value).date().replace(day=1)
    return value.replace(day=1)


def month_label(month: dt.date) -> str:
    """ "Maret 2027" in the active language."""
    return dateformat.format(month, "F Y")


def money(amount: int) -> str:
    """A sum in rupiah, Rp 0 included (the rupiah filter calls 0 "free", which a price is)."""
    return rupiah(amount) if amount else "Rp 0"


def totals_cells(row: TotalsRow) -> list[tuple[int, str]]:
    """A row's (count, sum) per column group, for the page."""
    return [(amounts.count, money(amounts.total)) for amounts in row.groups()]


def totals_rows(totals: Totals) -> Iterator[list[str]]:
    """The rekap as CSV rows: the header, one row per month and facility, the year's total."""
    yield [str(column) for column in TOTALS_COLUMNS]

    def cells(row: TotalsRow) -> list[str]:
        return [str(value) for amounts in row.groups() for value in (amounts.count, amounts.total)]

    for row in totals.rows:
        yield [row.month.strftime("%Y-%m"), _text(row.facility_name), *cells(row)]
    yield [str(totals.year), str(_("Total")), *cells(totals.total)]
