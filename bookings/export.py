"""Bookings as a CSV file for staff: UTF-8 with a byte order mark, so that spreadsheet programs
read the Indonesian names right, and every time in WIB."""

import csv
import re
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy as _

from bookings.models import Booking, BookingStatus
from haidepok import clock
from haidepok.depok import Kecamatan

BOM = "\ufeff"
TIME_FORMAT = "%Y-%m-%d %H:%M"

COLUMNS = [
    _("Reference"),
    _("Facility"),
    _("Kecamatan"),
    _("Community"),
    _("Resident"),
    _("Email"),
    _("Contact phone"),
    _("Start (WIB)"),
    _("End (WIB)"),
    _("Status"),
    _("Purpose"),
    _("Attendees"),
    _("Organisation"),
    _("Requested at (WIB)"),
    _("Decided by"),
    _("Decided at (WIB)"),
    _("Reason"),
]

# A cell that starts like a formula is run by spreadsheet programs; residents type the purpose,
# their name and organisation, so such text is quoted as text (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PHONE = re.compile(r"^\+?[\d\s().-]+$")


def _text(value: str) -> str:
    if value.startswith(FORMULA_START):
        return "'" + value
    return value


def _phone(value: str) -> str:
    return value if PHONE.match(value) else _text(value)


def _time(moment) -> str:
    return clock.to_local(moment).strftime(TIME_FORMAT) if moment else ""


def booking_rows(bookings: Iterable[Booking]) -> Iterator[list[str]]:
    """The header, then one row per booking. Labels are translated here, once, in the
    language of the request: a streamed response is written after the view returns."""
    statuses = {value: str(label) for value, label in BookingStatus.choices}
    kecamatan = {value: str(label) for value, label in Kecamatan.choices}
    yield [str(column) for column in COLUMNS]
    for booking in bookings:
        resident, decider = booking.user, booking.decided_by
        yield [
            booking.reference,
            _text(booking.facility.name),
            kecamatan.get(booking.facility.kecamatan, booking.facility.kecamatan),
            _text(booking.facility.community.name),
            _text(resident.full_name) if resident else "",
            resident.email if resident else "",
            _phone(booking.contact_phone),
            _time(booking.start),
            _time(booking.end),
            statuses.get(booking.status, booking.status),
            _text(booking.purpose),
            str(booking.attendees),
            _text(booking.organisation),
            _time(booking.created_at),
            (decider.full_name or decider.email) if decider else "",
            _time(booking.decided_at),
            _text(booking.decision_reason),
        ]


class _Echo:
    """csv.writer writes into this and gets the line back, to stream it."""

    def write(self, value: str) -> str:
        return value


def bookings_csv_response(bookings: QuerySet[Booking], filename: str) -> StreamingHttpResponse:
    """Stream `bookings` (in their order) as CSV: one query, read in chunks, whatever their
    number."""
    bookings = bookings.select_related("facility__community", "user", "decided_by")
    rows = booking_rows(bookings.iterator(chunk_size=500))
    header = next(rows)  # translated now, while the request's language is active
    writer = csv.writer(_Echo())

    def lines():
        yield BOM + writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
