"""Pemkot staff follow the invoices in the admin: the list (by state, facility, month;
search), read-only pages, the CSV of the list as filtered, and the rekap retribusi (totals
per facility and month) with its CSV, in pinned query counts."""

import csv
import datetime as dt
import io

import pytest
from django.utils import translation

from bookings import services
from payments.models import Invoice, InvoiceState
from payments.services import invoices_release_overdue, payment_record_manual
from tests.admin_support import INVOICES, invoiced_booking, pemkot_staff
from tests.factories import (
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    priced_facility,
    staff_with_permissions,
    wib,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

TOTALS = f"{INVOICES}rekap/"
EXPORT = f"{INVOICES}export/"

MARCH, APRIL = wib(2027, 3, 1, 8), wib(2027, 4, 1, 8)


@pytest.fixture(autouse=True)
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def staff(client):
    user = pemkot_staff(full_name="Dewi Lestari")
    client.force_login(user)
    return user


def paid(invoice, *, at, actor=None, reference="TRF-001"):
    """`invoice` paid by transfer an hour after `at`."""
    return payment_record_manual(
        invoice=invoice,
        actor=actor or pemkot_staff(),
        method="transfer",
        amount=invoice.amount,
        external_reference=reference,
        paid_at=at + dt.timedelta(hours=1),
        now=at + dt.timedelta(hours=1),
    )


@pytest.fixture
def books():
    """Invoices at two facilities in March and April 2027, each state represented.

    Balai Beji (Rp 50.000 per hour): March: 2 h paid, 3 h unpaid, 1 h expired; April: 4 h paid.
    Gedung Sukmajaya (Rp 100.000 per hour): March: 1 h paid; April: 2 h cancelled, 1 h unpaid.
    """
    beji = priced_facility(
        name="Balai Beji", tariffs=[("sosial", "hour", 50_000)], approval="auto", lead_hours=0
    )
    sukmajaya = priced_facility(
        name="Gedung Sukmajaya",
        tariffs=[("sosial", "hour", 100_000)],
        approval="auto",
        lead_hours=0,
    )

    def booked(facility, now, day, hours):
        start = wib(now.year, now.month, day, 9)
        return invoiced_booking(facility, start=start, hours=hours, now=now)

    made = {
        "beji_march_paid": booked(beji, MARCH, 10, 2),
        "beji_march_unpaid": booked(beji, MARCH, 11, 3),
        "beji_march_expired": booked(beji, MARCH, 12, 1),
        "beji_april_paid": booked(beji, APRIL, 10, 4),
        "sukmajaya_march_paid": booked(sukmajaya, MARCH, 10, 1),
        "sukmajaya_april_cancelled": booked(sukmajaya, APRIL, 10, 2),
        "sukmajaya_april_unpaid": booked(sukmajaya, APRIL, 11, 1),
    }
    paid(made["beji_march_paid"].invoice, at=MARCH)
    paid(made["beji_april_paid"].invoice, at=APRIL)
    paid(made["sukmajaya_march_paid"].invoice, at=MARCH)
    services.booking_cancel(
        booking=made["sukmajaya_april_cancelled"],
        actor=pemkot_staff(),
        reason="Acara ditunda",
        now=APRIL + dt.timedelta(hours=1),
    )
    # The expired one: make the others' deadlines later, then run the sweep past its own.
    expiring = made["beji_march_expired"].invoice
    Invoice.objects.filter(state=InvoiceState.UNPAID).exclude(pk=expiring.pk).update(
        due_at=wib(2027, 12, 31, 9)
    )
    assert invoices_release_overdue(now=expiring.due_at) == 1
    return {name: Invoice.objects.get(booking=booking) for name, booking in made.items()}


def numbers(response) -> list[str]:
    return sorted(invoice.number for invoice in response.context["cl"].result_list)


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


# --- the list --------------------------------------------------------------------------------


def test_the_list_shows_each_invoice_with_its_booking_facility_amount_state_and_times(
    client, staff, books
):
    invoice = books["beji_march_paid"]

    response = client.get(INVOICES)

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 7
    html = response.content.decode()
    row = html[html.index(invoice.number) :]
    row = row[: row.index("</tr>")]
    assert f"/admin/bookings/booking/{invoice.booking_id}/change/" in row
    assert invoice.booking.reference in row
    assert "Balai Beji" in row
    assert "Rp 100.000" in row
    assert "Paid" in row
    assert "Wed 03 Mar 2027, 08:00" in row  # due 48 hours after its issue (WIB)
    assert "Mon 01 Mar 2027, 09:00" in row  # paid an hour after 08:00 WIB


def test_the_list_filters_by_state_facility_and_month(client, staff, books):
    unpaid = client.get(f"{INVOICES}?state__exact=unpaid")
    beji = books["beji_march_paid"].booking.facility
    at_beji = client.get(f"{INVOICES}?booking__facility__id__exact={beji.pk}")
    april = client.get(f"{INVOICES}?issued_at__year=2027&issued_at__month=4")

    assert numbers(unpaid) == sorted(
        [books["beji_march_unpaid"].number, books["sukmajaya_april_unpaid"].number]
    )
    assert numbers(at_beji) == sorted(
        books[name].number for name in books if name.startswith("beji")
    )
    assert numbers(april) == sorted(books[name].number for name in books if "april" in name)


@pytest.mark.parametrize(
    "hierarchy",
    [
        {"issued_at__year": "9999", "issued_at__month": "12"},
        {"issued_at__year": "1", "issued_at__month": "1", "issued_at__day": "1"},
        {"issued_at__year": "x"},
    ],
)
def test_a_month_outside_the_bound_is_a_bad_lookup_not_a_500(client, staff, hierarchy):
    invoiced_booking()

    changelist = client.get(INVOICES, hierarchy)
    export = client.get(EXPORT, hierarchy)

    assert changelist.status_code == 302 and changelist.url.endswith("?e=1")
    assert export.status_code == 302 and export.url == INVOICES


@pytest.mark.parametrize("field", ["number", "reference", "email"])
def test_the_list_finds_an_invoice_by_number_booking_reference_or_resident_email(
    client, staff, field
):
    resident = UserFactory(email="siti.aminah@example.test")
    invoice = invoiced_booking(user=resident).invoice
    invoiced_booking()  # another
    term = {
        "number": invoice.number,
        "reference": invoice.booking.reference,
        "email": "siti.aminah@",
    }[field]

    response = client.get(INVOICES, {"q": term})

    assert numbers(response) == [invoice.number]


def test_an_invoice_cannot_be_added_changed_or_deleted_even_by_a_superuser(client, admin_user):
    client.force_login(admin_user)
    invoice = invoiced_booking().invoice

    assert client.get(f"{INVOICES}add/").status_code == 403
    assert client.get(f"{INVOICES}{invoice.pk}/delete/").status_code == 403
    page = client.get(f"{INVOICES}{invoice.pk}/change/")
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False  # every field read-only
    assert 'name="state"' not in page.content.decode()
    post = client.post(f"{INVOICES}{invoice.pk}/change/", {"amount": "1", "state": "paid"})
    assert post.status_code == 403
    invoice.refresh_from_db()
    assert (invoice.amount, invoice.state) == (100_000, InvoiceState.UNPAID)
    changelist = client.get(INVOICES)
    assert "delete_selected" not in changelist.context["action_form"].fields["action"].choices[1]


def test_an_invoice_s_page_shows_its_price_lines_and_its_payments(client, staff, books):
    invoice = books["beji_march_paid"]

    page = client.get(f"{INVOICES}{invoice.pk}/change/").content.decode()

    assert "per hour" in page  # the tariff line
    assert "Rp 50.000" in page  # its unit price
    assert "Rp 100.000" in page
    receipt = invoice.payments.get().receipt_number
    assert receipt in page
    assert "TRF-001" in page


def test_residents_and_organizers_do_not_reach_the_invoices(client, books):
    client.force_login(UserFactory())

    assert client.get(INVOICES).status_code == 302  # to the admin's sign-in
    assert client.get(TOTALS).status_code == 302
    assert client.get(EXPORT).status_code == 302


def test_staff_without_the_invoice_permission_are_refused(client, books):
    client.force_login(staff_with_permissions("bookings.view_booking"))

    assert client.get(INVOICES).status_code == 403
    assert client.get(TOTALS).status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert client.get(f"{TOTALS}csv/").status_code == 403


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_costs_the_same_queries_for_any_number_of_invoices(
    client, staff, django_assert_num_queries, count
):
    facility = priced_facility(approval="auto", lead_hours=0, max_active_per_user=100)
    for number in range(count):
        invoiced_booking(facility, start=wib(2027, 3, 2, 9) + dt.timedelta(days=number), now=MARCH)

    # Session, user, permissions (the user's, the group's), the facility filter's list, the
    # two counts, the page (invoices with their booking, facility and settling payment's
    # time), the date hierarchy (its range, its months): none per invoice.
    with django_assert_num_queries(10):
        response = client.get(INVOICES)

    assert len(response.context["cl"].result_list) == count


# --- the CSV of the list ---------------------------------------------------------------------

HEADER = [
    "Invoice number",
    "Booking",
    "Facility",
    "Resident",
    "Email",
    "Amount (Rp)",
    "State",
    "Issued at (WIB)",
    "Pay by (WIB)",
    "Paid at (WIB)",
    "Receipt number",
    "Method",
    "Reference",
]


def test_the_csv_holds_the_invoices_as_filtered_with_times_in_wib(client, staff, books):
    invoice = books["beji_march_paid"]
    beji = invoice.booking.facility

    response = client.get(f"{EXPORT}?booking__facility__id__exact={beji.pk}&state__exact=paid")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="invoices-')
    rows = csv_rows(response)
    assert rows[0] == HEADER
    by_number = {row[0]: row for row in rows[1:]}
    assert sorted(by_number) == sorted(
        [books["beji_march_paid"].number, books["beji_april_paid"].number]
    )
    payment = invoice.payments.get()
    assert by_number[invoice.number] == [
        invoice.number,
        invoice.booking.reference,
        "Balai Beji",
        invoice.booking.user.full_name,
        invoice.booking.user.email,
        "100000",
        "Paid",
        "2027-03-01 08:00",
        "2027-03-03 08:00",
        "2027-03-01 09:00",
        payment.receipt_number,
        "Bank transfer",
        "TRF-001",
    ]


def test_the_csv_of_an_unpaid_invoice_has_no_payment(client, staff):
    invoice = invoiced_booking(now=MARCH, start=wib(2027, 3, 5, 9)).invoice

    rows = csv_rows(client.get(EXPORT))

    assert rows[1][6:] == ["Unpaid", "2027-03-01 08:00", "2027-03-03 08:00", "", "", "", ""]
    assert rows[1][0] == invoice.number


def test_the_csv_quotes_text_that_a_spreadsheet_would_run_as_a_formula(client, staff):
    facility = priced_facility(name="=Balai", approval="auto", lead_hours=0)
    resident = UserFactory(full_name='=HYPERLINK("http://evil.test")')
    invoice = invoiced_booking(facility, user=resident).invoice
    paid(invoice, at=invoice.issued_at, reference="@SUM(A1:A9)")

    row = csv_rows(client.get(EXPORT))[1]

    assert row[2] == "'=Balai"
    assert row[3] == '\'=HYPERLINK("http://evil.test")'
    assert row[12] == "'@SUM(A1:A9)"


def test_the_export_action_gives_the_selected_invoices(client, staff, books):
    chosen = [books["beji_march_unpaid"], books["sukmajaya_april_unpaid"]]

    response = client.post(
        INVOICES, {"action": "export_csv", "_selected_action": [i.pk for i in chosen]}
    )

    assert sorted(row[0] for row in csv_rows(response)[1:]) == sorted(i.number for i in chosen)


def test_the_export_reads_every_invoice_in_one_query(client, staff, django_assert_num_queries):
    facility = priced_facility(approval="auto", lead_hours=0, max_active_per_user=100)
    for number in range(25):
        invoiced_booking(facility, start=wib(2027, 3, 2, 9) + dt.timedelta(days=number), now=MARCH)

    # Session, user, permissions (the user's, the group's); the change list whose filters it
    # applies (the facility filter's list, its two counts); and the invoices with everything
    # their rows show, in one query read in chunks.
    with django_assert_num_queries(8):
        rows = csv_rows(client.get(EXPORT))

    assert len(rows) == 26


# --- the rekap retribusi ---------------------------------------------------------------------


def test_the_rekap_totals_each_facility_and_month(client, staff, books):
    response = client.get(TOTALS, {"year": "2027"})

    assert response.status_code == 200
    rows = {(month, facility): cells for month, facility, cells in response.context["rows"]}
    #          invoiced          paid             outstanding       expired          cancelled
    assert rows == {
        ("March 2027", "Balai Beji"): [
            (3, "Rp 300.000"),
            (1, "Rp 100.000"),
            (1, "Rp 150.000"),
            (1, "Rp 50.000"),
            (0, "Rp 0"),
        ],
        ("March 2027", "Gedung Sukmajaya"): [
            (1, "Rp 100.000"),
            (1, "Rp 100.000"),
            (0, "Rp 0"),
            (0, "Rp 0"),
            (0, "Rp 0"),
        ],
        ("April 2027", "Balai Beji"): [
            (1, "Rp 200.000"),
            (1, "Rp 200.000"),
            (0, "Rp 0"),
            (0, "Rp 0"),
            (0, "Rp 0"),
        ],
        ("April 2027", "Gedung Sukmajaya"): [
            (2, "Rp 300.000"),
            (0, "Rp 0"),
            (1, "Rp 100.000"),
            (0, "Rp 0"),
            (1, "Rp 200.000"),
        ],
    }
    assert [month for month, _facility, _cells in response.context["rows"]] == [
        "March 2027",
        "March 2027",
        "April 2027",
        "April 2027",
    ]
    assert response.context["total_cells"] == [
        (7, "Rp 900.000"),
        (3, "Rp 400.000"),
        (2, "Rp 250.000"),
        (1, "Rp 50.000"),
        (1, "Rp 200.000"),
    ]
    assert "Rp 900.000" in response.content.decode()


def test_the_rekap_counts_an_invoice_in_the_month_of_wib(client, staff):
    # 31 March 23:30 WIB is 16:30 UTC on the 31st; 1 April 00:30 WIB is 17:30 UTC on 31 March.
    facility = priced_facility(approval="auto", lead_hours=0)
    invoiced_booking(facility, now=wib(2027, 3, 31, 23, 30), start=wib(2027, 4, 2, 9))
    invoiced_booking(facility, now=wib(2027, 4, 1, 0, 30), start=wib(2027, 4, 3, 9))

    response = client.get(TOTALS, {"year": "2027"})

    months = [month for month, _facility, _cells in response.context["rows"]]
    assert months == ["March 2027", "April 2027"]


def test_the_rekap_of_another_year_and_of_a_bad_year(client, staff, books):
    empty = client.get(TOTALS, {"year": "2026"})
    nonsense = client.get(TOTALS, {"year": "9999"})
    letters = client.get(TOTALS, {"year": "abc"})

    assert empty.context["rows"] == []
    assert "No invoice was issued in 2026." in empty.content.decode()
    assert nonsense.status_code == letters.status_code == 200
    assert nonsense.context["totals"].year == letters.context["totals"].year


def test_the_rekap_csv(client, staff, books):
    response = client.get(f"{TOTALS}csv/", {"year": "2027"})

    assert response["Content-Disposition"] == 'attachment; filename="rekap-retribusi-2027.csv"'
    rows = csv_rows(response)
    assert rows[0][:4] == ["Month", "Facility", "Invoices", "Invoiced (Rp)"]
    assert rows[1] == ["2027-03", "Balai Beji", "3", "300000", "1", "100000", "1", "150000"] + [
        "1",
        "50000",
        "0",
        "0",
    ]
    assert rows[-1] == ["2027", "Total", "7", "900000", "3", "400000", "2", "250000"] + [
        "1",
        "50000",
        "1",
        "200000",
    ]
    assert len(rows) == 6


@pytest.mark.parametrize("facilities", [2, 6])
def test_the_rekap_costs_the_same_queries_whatever_the_data(
    client, staff, django_assert_num_queries, facilities
):
    for _number in range(facilities):
        facility = priced_facility(approval="auto", lead_hours=0)
        for month in (MARCH, APRIL):
            invoiced_booking(facility, now=month, start=month + dt.timedelta(days=2, hours=1))

    # Session, user, permissions (the user's, the group's), and the one aggregate query.
    with django_assert_num_queries(5):
        response = client.get(TOTALS, {"year": "2027"})

    assert len(response.context["rows"]) == 2 * facilities


def test_the_rekap_is_linked_from_the_invoice_list_and_the_payments_section(client, staff):
    listing = client.get(INVOICES).content.decode()
    of_2027 = client.get(INVOICES, {"issued_at__year": "2027"}).content.decode()
    section = client.get("/admin/payments/").content.decode()

    assert f'href="{TOTALS}"' in listing
    assert f'href="{TOTALS}?year=2027"' in of_2027
    assert f'href="{TOTALS}"' in section


def test_the_rekap_names_the_months_in_indonesian_by_default(client, staff, books, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"

    response = client.get(TOTALS, {"year": "2027"})

    months = [month for month, _facility, _cells in response.context["rows"]]
    assert months[0] == "Maret 2027"
