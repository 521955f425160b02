"""The CSV export of the booking list: UTF-8 with a BOM, a header, times in WIB, and the
change list's filters."""

import csv
import datetime as dt
import io

import pytest

from bookings.models import Booking, BookingStatus
from haidepok import clock
from tests.admin_support import BOOKINGS, pemkot_staff, run_action
from tests.factories import (
    BookingFactory,
    CommunityFactory,
    FacilityFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

EXPORT = f"{BOOKINGS}export/"

HEADER = [
    "Reference",
    "Facility",
    "Kecamatan",
    "Community",
    "Resident",
    "Email",
    "Contact phone",
    "Start (WIB)",
    "End (WIB)",
    "Status",
    "Purpose",
    "Attendees",
    "Organisation",
    "Requested at (WIB)",
    "Decided by",
    "Decided at (WIB)",
    "Reason",
]


@pytest.fixture
def staff(client, settings):
    user = pemkot_staff(full_name="Dewi Lestari")
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return user


@pytest.fixture
def known_bookings(staff):
    """Two bookings at a hall in Beji, one of them rejected by staff; their times are known."""
    facility = FacilityFactory(
        name="Balai Rakyat Beji",
        kecamatan="beji",
        community=CommunityFactory(name="Forum Balai Rakyat"),
    )
    resident = UserFactory(full_name="Siti Aminah", email="siti@example.test")
    start = clock.local_datetime(dt.date(2031, 3, 3), dt.time(9))  # 02:00 UTC
    approved = BookingFactory(
        facility=facility,
        user=resident,
        start=start,
        end=start + dt.timedelta(hours=2),
        purpose="Posyandu balita",
        attendees=30,
        organisation="PKK RW 05",
        contact_phone="+62 812 1111 2222",
        status=BookingStatus.APPROVED,
    )
    rejected = BookingFactory(
        facility=facility,
        user=resident,
        start=start + dt.timedelta(days=1, hours=10),  # 19:00 WIB, 12:00 UTC
        end=start + dt.timedelta(days=1, hours=12),
        purpose='=HYPERLINK("http://example.test")',
        status=BookingStatus.REJECTED,
        decided_by=staff,
        decided_at=clock.local_datetime(dt.date(2031, 2, 1), dt.time(8, 30)),
        decision_reason="Dipakai kelurahan",
    )
    Booking.objects.filter(pk=approved.pk).update(
        reference="HD-EXPRT1", created_at=clock.local_datetime(dt.date(2031, 1, 20), dt.time(23))
    )
    Booking.objects.filter(pk=rejected.pk).update(
        reference="HD-EXPRT2", created_at=clock.local_datetime(dt.date(2031, 1, 21), dt.time(7))
    )
    return approved, rejected


def read_csv(response) -> tuple[bytes, list[list[str]]]:
    content = b"".join(response.streaming_content)
    return content, list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_the_export_is_utf8_with_a_bom_a_header_and_times_in_wib(client, known_bookings):
    response = client.get(EXPORT)  # in the change list's order: the later start first

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="bookings-')
    content, rows = read_csv(response)
    assert content.startswith(b"\xef\xbb\xbf")
    assert rows == [
        HEADER,
        [
            "HD-EXPRT2",
            "Balai Rakyat Beji",
            "Beji",
            "Forum Balai Rakyat",
            "Siti Aminah",
            "siti@example.test",
            "+62 812 3333 4444",
            "2031-03-04 19:00",
            "2031-03-04 21:00",
            "Rejected",
            # What a resident typed never runs as a formula in a spreadsheet.
            '\'=HYPERLINK("http://example.test")',
            "20",
            "",
            "2031-01-21 07:00",
            "Dewi Lestari",
            "2031-02-01 08:30",
            "Dipakai kelurahan",
        ],
        [
            "HD-EXPRT1",
            "Balai Rakyat Beji",
            "Beji",
            "Forum Balai Rakyat",
            "Siti Aminah",
            "siti@example.test",
            "+62 812 1111 2222",
            "2031-03-03 09:00",
            "2031-03-03 11:00",
            "Approved",
            "Posyandu balita",
            "30",
            "PKK RW 05",
            "2031-01-20 23:00",
            "",
            "",
            "",
        ],
    ]


def test_the_export_follows_the_change_list_filters_and_search(client, known_bookings):
    BookingFactory(purpose="Lain")

    _content, by_status = read_csv(client.get(f"{EXPORT}?status__exact=rejected"))
    _content, by_search = read_csv(client.get(f"{EXPORT}?q=posyandu"))
    _content, everything = read_csv(client.get(EXPORT))

    assert [row[0] for row in by_status[1:]] == ["HD-EXPRT2"]
    assert [row[0] for row in by_search[1:]] == ["HD-EXPRT1"]
    assert len(everything) == 1 + 3


def test_the_change_list_links_to_the_export_with_its_filters(client, known_bookings):
    html = client.get(f"{BOOKINGS}?status__exact=rejected").content.decode()

    assert f'href="{EXPORT}?status__exact=rejected"' in html


def test_the_export_action_exports_the_selected_bookings(client, known_bookings):
    approved, _rejected = known_bookings

    response = run_action(client, "export_csv", [approved], follow=False)

    _content, rows = read_csv(response)
    assert [row[0] for row in rows] == ["Reference", "HD-EXPRT1"]


def test_the_export_reads_every_booking_in_one_query(client, staff, django_assert_max_num_queries):
    for number in range(30):
        BookingFactory(
            start=clock.now().replace(microsecond=0) + dt.timedelta(days=2, hours=number)
        )

    with django_assert_max_num_queries(12):
        _content, rows = read_csv(client.get(EXPORT))

    assert len(rows) == 31


def test_the_export_is_in_the_staff_member_s_language(client, known_bookings, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"

    _content, rows = read_csv(client.get(f"{EXPORT}?status__exact=approved"))

    assert rows[1][9] == "Disetujui"  # BookingStatus.APPROVED, translated already


def test_the_export_is_refused_to_residents_and_visitors(client, known_bookings):
    client.logout()
    assert client.get(EXPORT).status_code == 302
    client.force_login(UserFactory())
    response = client.get(EXPORT)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
