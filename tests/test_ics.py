"""The .ics files of a booking (bookings/ics.py) are valid iCalendar: every TZID that a
property names is defined by a VTIMEZONE component of the same file (RFC 5545, 3.2.19), for
the file a resident downloads (PUBLISH) and for the invitation and cancellation that mails
carry (REQUEST, CANCEL)."""

import re

import pytest
from icalendar import Calendar

from bookings.ics import booking_calendar
from bookings.models import BookingStatus
from facilities.models import Facility
from tests.factories import (
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    open_facility,
    request_booking,
    wib,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

NOW = wib(2027, 2, 20, 10)


@pytest.fixture
def booking():
    resident = UserFactory(email="siti@example.test")
    facility = open_facility(approval=Facility.Approval.AUTO)
    return request_booking(
        facility, wib(2027, 3, 1, 10), wib(2027, 3, 1, 12), user=resident, now=NOW
    )


def content_lines(ics: bytes) -> list[str]:
    """The file's lines, unfolded (a line continues on the next one that starts with a space)."""
    text = ics.decode("utf-8")
    assert "\r\n" in text  # iCalendar lines end in CRLF
    return re.sub(r"\r\n[ \t]", "", text).split("\r\n")


def timezones_used_and_defined(ics: bytes) -> tuple[set[str], dict[str, list[str]]]:
    """The TZIDs that properties refer to, and each VTIMEZONE (by TZID) with its lines."""
    used, defined, current = set(), {}, None
    for line in content_lines(ics):
        if line == "BEGIN:VTIMEZONE":
            current = []
        elif line == "END:VTIMEZONE":
            [tzid] = [entry[len("TZID:") :] for entry in current if entry.startswith("TZID:")]
            defined[tzid] = current
            current = None
        elif current is not None:
            current.append(line)
        else:
            used |= set(re.findall(r";TZID=([^;:]+)", line.split(":", 1)[0] + ":"))
    return used, defined


@pytest.mark.parametrize("method", ["PUBLISH", "REQUEST", "CANCEL"])
def test_every_tzid_has_its_vtimezone(booking, method):
    ics = booking_calendar(booking, method=method)

    used, defined = timezones_used_and_defined(ics)

    assert used == {"Asia/Jakarta"}  # DTSTART and DTEND, in WIB
    assert set(defined) >= used
    lines = content_lines(ics)
    # Defined before the event that uses it, as calendar programs read it.
    assert lines.index("BEGIN:VTIMEZONE") < lines.index("BEGIN:VEVENT")
    assert "DTSTART;TZID=Asia/Jakarta:20270301T100000" in lines
    # WIB: seven hours ahead of UTC all year (no daylight saving).
    jakarta = defined["Asia/Jakarta"]
    assert "BEGIN:STANDARD" in jakarta and "BEGIN:DAYLIGHT" not in jakarta
    assert "TZOFFSETFROM:+0700" in jakarta and "TZOFFSETTO:+0700" in jakarta


def test_the_downloaded_file_defines_its_time_zone(client, booking):
    client.force_login(booking.user)

    response = client.get(f"/booking-saya/{booking.reference}/kalender.ics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    used, defined = timezones_used_and_defined(response.content)
    assert used and used <= set(defined)


@pytest.mark.parametrize("status", [BookingStatus.COMPLETED, BookingStatus.NO_SHOW])
def test_a_booking_that_took_its_time_is_not_cancelled_in_its_file(booking, status):
    """The file a resident downloads after the event said CANCELLED (ICS_STATUS knew only
    requested and approved); found with the calendar feeds, which share the mapping."""
    booking.status = status

    [event] = Calendar.from_ical(booking_calendar(booking)).walk("VEVENT")

    assert event["status"] == "CONFIRMED"
