"""A resident's whole way through the site, and two residents racing for one slot."""

import re

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from bookings.models import Booking, BookingStatus
from tests.browser.helpers import (
    booking_day,
    check_picked_slot,
    fill_booking_form,
    label,
    open_menu,
    pick_slot,
    sign_in,
    t,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "Depok-Bersih-2026"


def my_bookings_link(page):
    """The header's link to "Booking saya", in the account menu (opened first)."""
    open_menu(page)
    return page.get_by_role("navigation", name=t("Account")).get_by_role(
        "link", name=t("My bookings")
    )


def confirmation_path(message) -> str:
    """The path of allauth's confirmation link (its host is the one the request came from)."""
    match = re.search(r"https?://[^/\s]+(/akun/confirm-email/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def test_sign_up_book_follow_download_and_cancel(
    page, new_context, live_server, mailoutbox, balai_rakyat
):
    # Sign up from the header.
    page.goto("/")
    open_menu(page)
    page.get_by_role("link", name=t("Sign up"), exact=True).click()
    expect(page).to_have_url(re.compile("/akun/signup/$"))
    page.get_by_label(label("E-?mail")).fill("rina@example.test")
    page.get_by_label(label("Sandi|Kata sandi|Password")).fill(NEW_PASSWORD)
    page.get_by_label(label(r"Kata sandi \(lagi\)|Sandi \(lagi\)|Password \(again\)")).fill(
        NEW_PASSWORD
    )
    page.get_by_role("button", name=label("Daftar|Sign up")).click()

    # Confirm the address from the link in the mail (opened from the mail app, in a browser
    # of its own), on this live server.
    expect(page).to_have_url(re.compile("/akun/confirm-email/$"))
    assert [message.to for message in mailoutbox] == [["rina@example.test"]]
    mail_app = new_context().new_page()
    mail_app.goto(live_server.url + confirmation_path(mailoutbox[0]))
    mail_app.get_by_role("button", name=label("Konfirmasi|Confirm")).click()
    expect(mail_app).to_have_url(re.compile("/akun/login/$"))
    mail_app.close()

    sign_in(page, "rina@example.test", NEW_PASSWORD)

    # Find the hall by the catalog search and open it.
    page.goto("/")
    page.get_by_label(t("Search"), exact=True).fill("Balai Rakyat")
    page.get_by_role("button", name=t("Search"), exact=True).click()
    expect(page.get_by_role("link", name="Lapangan Futsal Sukmajaya")).to_have_count(0)
    page.get_by_role("link", name="Balai Rakyat Beji").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Balai Rakyat Beji")

    # Pick a free slot in the week view: the form shows it.
    day = booking_day()
    pick_slot(page, balai_rakyat, day, "10:00")
    check_picked_slot(page, day, "10:00")

    # Fill in the request, check the summary, send it.
    fill_booking_form(page, purpose="Rapat RW 05", attendees="30", phone="0812 3456 7890")
    page.get_by_role("button", name=t("Check and continue")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Check your booking"))
    summary = page.locator("dl.summary")
    expect(summary).to_contain_text("Balai Rakyat Beji")
    expect(summary).to_contain_text("Rapat RW 05")
    expect(summary).to_contain_text("10.00–11.00")
    assert not Booking.objects.exists()
    page.get_by_role("button", name=t("Send booking request")).click()

    # The confirmation carries the reference.
    booking = Booking.objects.get()
    assert booking.status == BookingStatus.REQUESTED
    expect(page).to_have_url(re.compile(f"/booking-saya/{booking.reference}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(booking.reference)
    expect(page.locator(".status")).to_have_text("Menunggu persetujuan")

    # My bookings lists it, waiting for approval.
    my_bookings_link(page).click()
    expect(page).to_have_url(re.compile("/booking-saya/$"))
    row = page.locator(".booking-row", has_text=booking.reference)
    expect(row.locator(".status")).to_have_text("Menunggu persetujuan")

    # Take it to a calendar.
    row.get_by_role("link", name=booking.reference).click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name=t("Add to calendar (.ics)")).click()
    download = download_info.value
    assert download.suggested_filename == f"{booking.reference}.ics"
    calendar = Calendar.from_ical(download.path().read_bytes())
    (event,) = calendar.walk("VEVENT")
    assert booking.reference in str(event["UID"])

    # Withdraw it (nobody has decided yet), after a confirmation step.
    page.get_by_role("link", name=t("Withdraw request")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(booking.reference)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED  # asking is not cancelling
    page.get_by_role("button", name=t("Yes, cancel it")).click()
    expect(page.locator(".status")).to_have_text("Dibatalkan")
    my_bookings_link(page).click()
    expect(
        page.locator(".booking-row", has_text=booking.reference).locator(".status")
    ).to_have_text("Dibatalkan")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_two_residents_ask_for_the_same_slot(new_context, balai_rakyat):
    day = booking_day()
    first, second = UserFactory(), UserFactory()
    pages = []
    for resident in (first, second):
        page = new_context().new_page()
        sign_in(page, resident.email)
        page.goto(f"/fasilitas/{balai_rakyat.slug}/")
        pick_slot(page, balai_rakyat, day, "10:00")
        check_picked_slot(page, day, "10:00")
        pages.append(page)
    first_page, second_page = pages

    # Both fill the form for the same slot; the second types theirs before the first sends.
    fill_booking_form(first_page, purpose="Arisan RT 03", attendees="25")
    fill_booking_form(second_page, purpose="Latihan paduan suara", attendees="40")
    second_page.get_by_label(t("Organisation (optional)")).fill("Paduan Suara Beji")
    second_page.get_by_role("button", name=t("Check and continue")).click()
    expect(second_page.get_by_role("heading", level=1)).to_have_text(t("Check your booking"))

    first_page.get_by_role("button", name=t("Check and continue")).click()
    first_page.get_by_role("button", name=t("Send booking request")).click()
    expect(first_page.locator(".status")).to_have_text("Menunggu persetujuan")

    # The second sends too late: told so next to the start time, with what they typed kept.
    second_page.get_by_role("button", name=t("Send booking request")).click()
    start_field = second_page.locator(".field", has=second_page.get_by_label(t("Start time (WIB)")))
    expect(start_field.locator(".errorlist")).to_be_visible()
    expect(second_page.get_by_label(t("Purpose of the booking"))).to_have_value(
        "Latihan paduan suara"
    )
    expect(second_page.get_by_label(t("Expected attendees"))).to_have_value("40")
    expect(second_page.get_by_label(t("Organisation (optional)"))).to_have_value(
        "Paduan Suara Beji"
    )
    expect(second_page.get_by_label(t("Date"), exact=True)).to_have_value(day.isoformat())
    expect(second_page.get_by_label(t("Start time (WIB)"))).to_have_value("10:00")
    assert list(Booking.objects.values_list("user", flat=True)) == [first.pk]

    expect(start_field.locator(".errorlist")).to_contain_text("sudah dipesan")
