"""The facility page's day picker: a strip of days from today, the chosen day's start times,
and the booking form's lengths that fit the picked start."""

import datetime as dt

import pytest

from bookings.availability import DayStatus, day_picker, lengths_that_fit
from haidepok import clock
from tests.factories import (
    BookingFactory,
    ClosureFactory,
    FacilityFactory,
    OpeningHoursFactory,
    UserFactory,
    open_facility,
)

pytestmark = pytest.mark.django_db

# A Thursday, 09.00 WIB. With the default lead time of 24 hours, today and tomorrow until
# 09.00 are too soon.
TODAY = dt.date(2027, 2, 25)
NOW = clock.local_datetime(TODAY, dt.time(9))
at = clock.local_datetime


@pytest.fixture(autouse=True)
def _clock(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


def page(client, facility, **query):
    # In English: the texts asserted are the msgids (the Indonesian ones come with the
    # catalogue).
    response = client.get(f"/fasilitas/{facility.slug}/", query, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response


def book_whole_day(facility, day, opens=8, closes=20):
    BookingFactory(facility=facility, start=at(day, dt.time(opens)), end=at(day, dt.time(closes)))


def strip_text(html: str) -> str:
    start = html.index('class="pick-days"')
    return html[start : html.index("</ol>", start)]


def test_the_strip_starts_today_and_never_shows_a_past_day(client):
    facility = open_facility(horizon_days=60)

    picker = page(client, facility).context["picker"]
    assert picker.strip[0].date == TODAY
    assert [day.date for day in picker.strip] == [TODAY + dt.timedelta(days=n) for n in range(7)]
    # Asked for a past day: today's strip, and the page says the day cannot be shown.
    past = page(client, facility, tanggal="2027-02-20")
    assert past.context["picker"].strip[0].date == TODAY
    assert "That day cannot be booked here" in past.content.decode()
    assert "tanggal=2027-02-20" not in strip_text(past.content.decode())
    # The strips follow each other a week at a time and stop at the horizon.
    later = page(client, facility, tanggal=picker.later.isoformat()).context["picker"]
    assert later.strip[0].date == TODAY + dt.timedelta(days=7)
    assert later.earlier is not None and later.earlier >= TODAY


def test_the_strip_stops_at_the_horizon():
    facility = open_facility(horizon_days=9)
    second = day_picker(facility, TODAY + dt.timedelta(days=8))

    assert [day.date for day in second.strip] == [TODAY + dt.timedelta(days=n) for n in (7, 8, 9)]
    assert second.later is None


def test_the_default_day_is_the_first_with_a_free_time(client):
    facility = open_facility(buffer_minutes=0)
    # Today and tomorrow morning are too soon; tomorrow after 09.00 and the day after are full.
    tomorrow, after = TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=2)
    book_whole_day(facility, tomorrow)
    book_whole_day(facility, after)

    response = page(client, facility)
    picker = response.context["picker"]
    assert picker.day.date == picker.first_free_day == TODAY + dt.timedelta(days=3)
    html = response.content.decode()
    assert f"?mulai={(TODAY + dt.timedelta(days=3)).isoformat()}T08:00" in html
    assert f"?mulai={tomorrow.isoformat()}T" not in html


def test_a_full_day_a_closed_day_and_a_free_day_say_so_in_text(client):
    facility = FacilityFactory(buffer_minutes=0, closed_on_public_holidays=False)
    for weekday in range(6):  # closed on Sundays (28 February 2027)
        OpeningHoursFactory(
            facility=facility, weekday=weekday, opens=dt.time(8), closes=dt.time(11)
        )
    saturday = TODAY + dt.timedelta(days=2)
    book_whole_day(facility, saturday, 8, 11)
    monday = TODAY + dt.timedelta(days=4)
    ClosureFactory(
        facility=facility, start=at(monday, dt.time(0)), end=at(monday, dt.time(23)), reason="Cat"
    )

    response = page(client, facility)
    statuses = {day.date: day.status for day in response.context["picker"].strip}
    assert statuses[TODAY] == DayStatus.UNAVAILABLE  # what is left is too soon
    assert statuses[saturday] == DayStatus.FULL
    assert statuses[TODAY + dt.timedelta(days=3)] == DayStatus.CLOSED  # no hours on Sunday
    assert statuses[monday] == DayStatus.CLOSED
    strip = strip_text(response.content.decode())
    assert "3 free times" in strip and "Full" in strip and "Closed" in strip

    sunday = page(client, facility, tanggal="2027-02-28").content.decode()
    assert "Closed on this day." in sunday
    full = page(client, facility, tanggal=saturday.isoformat()).content.decode()
    assert "No time left to book on this day." in full
    assert 'class="pick-time taken"' in full and "?mulai=2027-02-27" not in full


def test_the_legend_comes_before_the_times_and_names_every_state(client):
    facility = open_facility(min_slots=2)

    html = page(client, facility, tanggal=TODAY.isoformat()).content.decode()
    legend, times = html.index('class="pick-legend"'), html.index('class="pick-run')
    assert legend < times
    for label in ("Booked", "Too soon to book", "Too little time to book", "Closed", "Past"):
        assert label in html[legend:times]
    # Today at 09.00: 08.00 and 09.00 have passed, later times are too soon, each run says which in a
    # line of text; none is a link.
    assert "08.00–09.00: Past" in html and "10.00–19.00: Too soon to book" in html
    assert 'class="pick-times"' not in html[times:] and "?mulai=2027-02-25" not in html
    # Tomorrow: too soon until 09.00 (a line), then the times one by one.
    tomorrow = page(client, facility, tanggal="2027-02-26").content.decode()
    assert "08.00: Too soon to book" in tomorrow
    assert 'class="pick-time free" href="/fasilitas/' in tomorrow
    assert "?mulai=2027-02-26T09:00" in tomorrow and "?mulai=2027-02-26T08:00" not in tomorrow


@pytest.mark.parametrize(
    "asked", ["2027-13-01", "besok", "1999-01-01", "2027-02-24", "2027-06-01", "9999-12-31"]
)
def test_a_malformed_or_unbookable_day_shows_the_default_day_not_a_500(client, asked):
    facility = open_facility(horizon_days=30)

    response = page(client, facility, tanggal=asked)
    picker = response.context["picker"]
    assert picker.day.date == picker.first_free_day
    assert "That day cannot be booked here" in response.content.decode()


def test_the_old_week_link_still_opens_its_day(client):
    facility = open_facility()

    picker = page(client, facility, minggu="2027-03-01").context["picker"]
    assert picker.day.date == dt.date(2027, 3, 1)


def test_lengths_offered_fit_the_next_booking_closing_time_and_the_longest(client):
    facility = open_facility(hours=((dt.time(8), dt.time(14)),), buffer_minutes=30, max_slots=4)
    facility.min_slots = 1
    facility.save()
    day = TODAY + dt.timedelta(days=3)
    BookingFactory(facility=facility, start=at(day, dt.time(12)), end=at(day, dt.time(13)))

    # From 08.00: until 11.00, so that its own buffer ends when the next booking starts ...
    assert lengths_that_fit(facility, at(day, dt.time(8))) == [1, 2, 3]
    # ... from 13.00 the booking's buffer runs to 13.30: nothing may start.
    assert lengths_that_fit(facility, at(day, dt.time(13))) == []
    # ... and from 10.00, one hour.
    assert lengths_that_fit(facility, at(day, dt.time(10))) == [1]
    # Another day, closing time and max_slots bound it.
    assert lengths_that_fit(facility, at(day + dt.timedelta(days=1), dt.time(8))) == [1, 2, 3, 4]
    assert lengths_that_fit(facility, at(day + dt.timedelta(days=1), dt.time(12))) == [1, 2]


def test_the_booking_form_offers_only_the_lengths_that_fit_with_the_minimum_first(client):
    facility = open_facility(min_slots=2, max_slots=6, buffer_minutes=0)
    day = TODAY + dt.timedelta(days=3)
    BookingFactory(facility=facility, start=at(day, dt.time(14)), end=at(day, dt.time(15)))
    client.force_login(UserFactory())

    form = client.get(
        f"/fasilitas/{facility.slug}/pesan/", {"mulai": f"{day.isoformat()}T10:00"}
    ).context["form"]
    assert [value for value, _label in form.fields["slots"].choices] == [2, 3, 4]
    assert form["slots"].value() == 2
    # A time no booking may start at keeps every length: the check says what is wrong.
    taken = client.get(
        f"/fasilitas/{facility.slug}/pesan/", {"mulai": f"{day.isoformat()}T14:00"}
    ).context["form"]
    assert [value for value, _label in taken.fields["slots"].choices] == [2, 3, 4, 5, 6]


def test_a_sent_form_accepts_every_length_the_rules_accept(client):
    """The lengths offered follow the picked start; a resident who changes the start in the
    form is answered by the rules, not by an "invalid choice"."""
    facility = open_facility(max_slots=4, buffer_minutes=0)
    day = TODAY + dt.timedelta(days=3)
    client.force_login(UserFactory())
    data = {
        "date": day.isoformat(),
        "start_time": "08:00",
        "slots": "4",
        "purpose": "Rapat RW 05",
        "attendees": "30",
        "phone": "0812 3456 7890",
        "agree": "on",
    }
    response = client.post(f"/fasilitas/{facility.slug}/pesan/", data)
    assert response.status_code == 200
    assert not response.context["form"].errors.get("slots")


def test_the_picker_queries_do_not_grow_with_bookings_or_the_horizon(
    client, django_assert_max_num_queries
):
    facility = open_facility(horizon_days=7, buffer_minutes=0)
    with django_assert_max_num_queries(11) as few:
        page(client, facility)
    facility.horizon_days = 365
    facility.save()
    # Every day of the next three months full: the search for the first free day reads them
    # all in the picker's one query of bookings.
    for offset in range(1, 90):
        book_whole_day(facility, TODAY + dt.timedelta(days=offset))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = page(client, facility)
    assert response.context["picker"].first_free_day == TODAY + dt.timedelta(days=90)


def test_each_day_is_its_own_cached_page_and_a_booking_shows_at_once(
    client, django_assert_max_num_queries
):
    facility = open_facility(buffer_minutes=0)
    first, second = TODAY + dt.timedelta(days=3), TODAY + dt.timedelta(days=4)
    one = page(client, facility, tanggal=first.isoformat()).content.decode()
    other = page(client, facility, tanggal=second.isoformat()).content.decode()
    assert f"?mulai={first.isoformat()}T10:00" in one
    assert f"?mulai={second.isoformat()}T10:00" in other
    assert f"?mulai={first.isoformat()}T10:00" not in other

    # From the cache: the facility's name (the page's title) and nothing of the picker.
    with django_assert_max_num_queries(2):
        page(client, facility, tanggal=first.isoformat())
    BookingFactory(facility=facility, start=at(first, dt.time(10)), end=at(first, dt.time(11)))
    html = page(client, facility, tanggal=first.isoformat()).content.decode()
    assert f"?mulai={first.isoformat()}T10:00" not in html


def test_the_clock_alone_moves_the_default_day_of_a_cached_page(client, monkeypatch):
    facility = open_facility(hours=((dt.time(19), dt.time(20)),), lead_hours=24)
    friday, saturday = TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=2)
    assert page(client, facility).context["picker"].day.date == friday

    # From Thursday 19.00 on, Friday's only time is within the lead time.
    later = at(TODAY, dt.time(19)) + dt.timedelta(minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    html = page(client, facility).content.decode()
    assert f"?mulai={saturday.isoformat()}T19:00" in html
    assert f"?mulai={friday.isoformat()}T19:00" not in html
