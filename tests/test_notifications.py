"""The notification outbox (bookings.notifications), in-process: which rows each change of a
booking writes, what the mails say in each language, the .ics they carry, how a row is
claimed, retried, failed, swept and resent, reminders, the admin, and the channels.

The real worker, broker and SMTP server are in tests/test_notifications_e2e.py.
"""

import datetime as dt
import smtplib
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from icalendar import Calendar
from kombu.exceptions import OperationalError

from bookings import notifications, services, tasks
from bookings.channels import CHANNELS, EmailChannel, Message, get_channel
from bookings.models import BOOKING_KINDS, Booking, BookingStatus, Notification
from bookings.outbox import delivery, rendering, sweeping
from bookings.outbox import rows as outbox_rows
from facilities.models import Facility
from haidepok import clock
from haidepok.celery import app as celery_app
from tests.admin_support import pemkot_staff
from tests.e2e_support import SmtpSink
from tests.factories import (
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    open_facility,
    organizer_of,
    request_booking,
    wib,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

NOW = wib(2027, 2, 20, 10)
START, END = wib(2027, 3, 1, 10), wib(2027, 3, 1, 12)  # a Monday morning
Kind = Notification.Kind
State = Notification.State


@pytest.fixture
def people():
    """A resident, two active Pemkot staff members, one who left, and a staff account that
    may open the admin but decides nothing (not in the Pemkot staff group)."""
    return {
        "resident": UserFactory(email="siti@example.test", full_name="Siti", language="id"),
        "staff": [
            UserFactory(email="staf1@example.test", is_staff=True, language="id"),
            UserFactory(email="staf2@example.test", is_staff=True, language="en"),
        ],
        "former_staff": UserFactory(email="mantan@example.test", is_staff=True, is_active=False),
        "it_staff": UserFactory(email="it@example.test", is_staff=True, pemkot_staff=False),
    }


def request(approval, people, **kwargs) -> Booking:
    facility = kwargs.pop("facility", None) or open_facility(approval=approval)
    return request_booking(facility, START, END, user=people["resident"], now=NOW, **kwargs)


def rows(booking, **filters) -> set[tuple[str, str]]:
    """The notifications of a booking as (kind, address)."""
    return set(
        Notification.objects.filter(booking=booking, **filters).values_list("kind", "address")
    )


def send_all() -> list:
    """Send every pending row in-process, as a worker would; answer the mails."""
    for pk in Notification.objects.filter(state=State.PENDING).values_list("pk", flat=True):
        delivery.deliver(pk)
    return mail.outbox


def mail_to(address: str):
    [message] = [m for m in mail.outbox if m.to == [address]]
    return message


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def calendar_of(message, filename):
    """The .ics attached to a mail, parsed back, and the parameters of its Content-Type."""
    message_mime = message.message()
    [part] = [p for p in message_mime.walk() if p.get_filename() == filename]
    assert part.get_content_type() == "text/calendar"
    return Calendar.from_ical(part.get_payload(decode=True)), dict(part.get_params())


# --- Which rows each change writes ------------------------------------------------------------


def test_a_request_to_the_city_tells_the_resident_and_every_active_staff_member(people):
    superuser = UserFactory(
        email="admin@example.test", is_staff=True, is_superuser=True, pemkot_staff=False
    )
    booking = request(Facility.Approval.CITY, people)

    # Those who may decide for the city (the group, or a superuser); not a staff account
    # without the group's permission, nor one that left.
    assert rows(booking) == {
        (Kind.REQUEST_RECEIVED, "siti@example.test"),
        (Kind.NEW_REQUEST, "staf1@example.test"),
        (Kind.NEW_REQUEST, "staf2@example.test"),
        (Kind.NEW_REQUEST, superuser.email),
    }
    notification = Notification.objects.get(booking=booking, kind=Kind.REQUEST_RECEIVED)
    assert notification.state == State.PENDING
    assert notification.channel == "email"
    assert notification.recipient == people["resident"]
    assert notification.event == booking.events.get()
    # Each in its recipient's language.
    assert dict(
        Notification.objects.filter(booking=booking).values_list("address", "language")
    ) == {
        "siti@example.test": "id",
        "staf1@example.test": "id",
        "staf2@example.test": "en",
        superuser.email: "id",
    }


def test_a_request_to_a_community_tells_its_organizers_only(people):
    facility = open_facility(approval=Facility.Approval.COMMUNITY)
    organizer = organizer_of(facility, user=UserFactory(email="ketua@example.test"))
    organizer_of(facility, user=UserFactory(email="pergi@example.test", is_active=False))
    from communities.models import Membership
    from tests.factories import MembershipFactory

    MembershipFactory(
        community=facility.community,
        role=Membership.Role.MEMBER,
        user=UserFactory(email="anggota@example.test"),
    )
    organizer_of(open_facility(), user=UserFactory(email="lain@example.test"))

    booking = request(Facility.Approval.COMMUNITY, people, facility=facility)

    assert rows(booking) == {
        (Kind.REQUEST_RECEIVED, "siti@example.test"),
        (Kind.NEW_REQUEST, organizer.email),
    }


def test_an_automatic_approval_tells_the_resident_it_is_approved_and_nobody_else(people):
    booking = request(Facility.Approval.AUTO, people)

    assert booking.status == BookingStatus.APPROVED
    assert rows(booking) == {(Kind.APPROVED, "siti@example.test")}


def test_each_decision_writes_one_row_for_the_resident(people):
    staff = people["staff"][0]
    approved = request(Facility.Approval.CITY, people)
    Notification.objects.all().delete()
    services.booking_approve(booking=approved, actor=staff, now=NOW)
    assert rows(approved) == {(Kind.APPROVED, "siti@example.test")}

    rejected = request_booking(approved.facility, wib(2027, 3, 2, 10), wib(2027, 3, 2, 12), now=NOW)
    Notification.objects.all().delete()
    services.booking_reject(
        category="other", booking=rejected, actor=staff, reason="Dipakai pemkot", now=NOW
    )
    assert rows(rejected) == {(Kind.REJECTED, rejected.user.email)}


@pytest.mark.parametrize("who", ["resident", "staff", "organizer"])
@pytest.mark.parametrize("approved", [False, True], ids=["requested", "approved"])
def test_a_cancellation_writes_one_row_for_the_resident_whoever_cancels(people, who, approved):
    booking = request(Facility.Approval.COMMUNITY, people)
    actor = {
        "resident": people["resident"],
        "staff": people["staff"][0],
        "organizer": organizer_of(booking.facility),
    }[who]
    if approved:
        services.booking_approve(booking=booking, actor=people["staff"][0], now=NOW)
    Notification.objects.all().delete()

    services.booking_cancel(booking=booking, actor=actor, reason="Atap bocor", now=NOW)

    assert rows(booking) == {(Kind.CANCELLED, "siti@example.test")}


def test_expiry_tells_the_resident_while_completion_and_no_show_write_nothing(people):
    staff = people["staff"][0]
    facility = open_facility(approval=Facility.Approval.CITY)
    undecided = request(Facility.Approval.CITY, people, facility=facility)
    completed = request_booking(facility, wib(2027, 3, 2, 10), wib(2027, 3, 2, 12), now=NOW)
    no_show = request_booking(facility, wib(2027, 3, 3, 10), wib(2027, 3, 3, 12), now=NOW)
    for booking in (completed, no_show):
        services.booking_approve(booking=booking, actor=staff, now=NOW)
    Notification.objects.all().delete()

    services.booking_mark_no_show(booking=no_show, actor=staff, now=wib(2027, 3, 3, 10, 30))
    assert services.bookings_sweep(now=wib(2027, 3, 2, 13)) == {"completed": 1, "expired": 1}

    assert rows(undecided) == {(Kind.EXPIRED, "siti@example.test")}
    assert rows(completed) == set()
    assert rows(no_show) == set()
    assert undecided.events.last().to_status == BookingStatus.EXPIRED


def test_rows_belong_to_the_change_a_rolled_back_change_leaves_none(people):
    booking = request(Facility.Approval.CITY, people)
    Notification.objects.all().delete()

    with pytest.raises(RuntimeError), transaction.atomic():
        services.booking_approve(booking=booking, actor=people["staff"][0], now=NOW)
        raise RuntimeError("something later in the same transaction failed")

    assert not Notification.objects.exists()


def test_rows_are_queued_only_once_the_change_commits(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        request(Facility.Approval.CITY, people)
        assert mail.outbox == []
    # (The others store new page versions: haidepok/page_cache.py.)
    publishing = [c for c in callbacks if c.__qualname__.startswith("publish_on_commit")]
    assert len(publishing) == 1

    publishing[0]()  # the commit: tasks run in-process here (no broker in tests)

    assert sorted(m.to[0] for m in mail.outbox) == [
        "siti@example.test",
        "staf1@example.test",
        "staf2@example.test",
    ]
    assert set(Notification.objects.values_list("state", flat=True)) == {State.SENT}


# --- What the mails say -----------------------------------------------------------------------


def approved_booking(people, language="en", **facility_fields) -> Booking:
    people["resident"].language = language
    people["resident"].save()
    facility = open_facility(
        approval=Facility.Approval.CITY,
        name="Balai Rakyat Beji",
        address="Jl. Bojong Sari No. 1, Beji",
        **facility_fields,
    )
    booking = request(
        Facility.Approval.CITY, people, facility=facility, purpose="Arisan & syukuran"
    )
    Notification.objects.all().delete()  # the request's own; the approval's follow
    services.booking_approve(booking=booking, actor=people["staff"][0], now=NOW)
    return booking


def test_the_request_received_mail_in_english(people):
    people["resident"].language = "en"
    people["resident"].save()
    booking = request(Facility.Approval.CITY, people)
    send_all()

    message = mail_to("siti@example.test")
    assert (
        message.subject == f"Booking request {booking.reference} received: {booking.facility.name}"
    )
    assert message.from_email == "Hai Depok <noreply@haidepok.local>"
    assert "Hello Siti," in message.body
    assert "Pemkot Depok staff will decide on it" in message.body
    assert "Monday, 1 March 2027, 10.00–12.00 WIB" in message.body
    link = f"http://127.0.0.1:8000/booking-saya/{booking.reference}/"
    assert link in message.body
    assert f'href="{link}"' in html_of(message)
    assert message.attachments == []


def test_the_approval_mail_carries_an_invitation_in_wib(people):
    booking = approved_booking(people, house_rules="Jaga kebersihan.")
    send_all()

    message = mail_to("siti@example.test")
    assert message.subject == f"Booking {booking.reference} approved: Balai Rakyat Beji"
    assert "Good news: your booking of Balai Rakyat Beji is approved." in message.body
    assert "Jaga kebersihan." in message.body
    # Plain text is not HTML: nothing is escaped there; the HTML part escapes.
    assert "Purpose: Arisan & syukuran" in message.body
    assert "Arisan &amp; syukuran" in html_of(message)
    assert "<table" in html_of(message)

    calendar, params = calendar_of(message, "invitation.ics")
    assert params["method"] == "REQUEST"
    assert str(calendar["method"]) == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event["uid"]) == f"{booking.reference}@haidepok"
    assert event.decoded("dtstart") == START
    assert str(event["dtstart"].dt.tzinfo) == "Asia/Jakarta"
    assert event["dtstart"].dt.hour == 10
    assert event.decoded("dtend") == END
    assert str(event["location"]) == "Balai Rakyat Beji, Jl. Bojong Sari No. 1, Beji"
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["organizer"]) == "mailto:noreply@haidepok.local"
    assert str(event["attendee"]) == "mailto:siti@example.test"


def test_the_approval_mail_in_indonesian(people):
    booking = approved_booking(people, language="id")
    send_all()

    message = mail_to("siti@example.test")
    assert booking.reference in message.subject
    assert "Balai Rakyat Beji" in message.subject
    # Django's own catalogue names days and months in Indonesian.
    assert "Senin, 1 Maret 2027, 10.00–12.00 WIB" in message.body
    assert "Senin, 1 Maret 2027" in html_of(message)
    assert '<html lang="id">' in html_of(message)
    calendar, _ = calendar_of(message, "invitation.ics")
    assert str(calendar.walk("VEVENT")[0]["uid"]) == f"{booking.reference}@haidepok"


def test_the_rejection_mail_gives_the_reason(people):
    people["resident"].language = "en"
    people["resident"].save()
    booking = request(Facility.Approval.CITY, people)
    services.booking_reject(
        category="other",
        booking=booking,
        actor=people["staff"][0],
        reason="Dipakai <Pemkot> untuk HUT",
        now=NOW,
    )
    send_all()

    [message] = [m for m in mail.outbox if "rejected" in m.subject]
    assert message.to == ["siti@example.test"]
    assert message.subject == f"Booking {booking.reference} rejected: {booking.facility.name}"
    assert "Reason: Dipakai <Pemkot> untuk HUT" in message.body
    assert "Dipakai &lt;Pemkot&gt; untuk HUT" in html_of(message)
    assert f"http://127.0.0.1:8000/fasilitas/{booking.facility.slug}/" in message.body
    assert message.attachments == []


@pytest.mark.parametrize(
    "who, says",
    [
        ("resident", "As you asked, your booking of Balai Rakyat Beji is cancelled."),
        ("staff", "Pemkot Depok staff have cancelled your booking of Balai Rakyat Beji."),
        ("organizer", "The organizers of {community} have cancelled your booking of"),
    ],
)
def test_the_cancellation_mail_says_by_whom_and_why_and_cancels_the_invitation(people, who, says):
    booking = approved_booking(people)
    send_all()
    invitation, _ = calendar_of(mail_to("siti@example.test"), "invitation.ics")
    mail.outbox.clear()
    actor = {
        "resident": people["resident"],
        "staff": people["staff"][1],
        "organizer": organizer_of(booking.facility),
    }[who]

    services.booking_cancel(booking=booking, actor=actor, reason="Atap bocor", now=NOW)
    send_all()

    message = mail_to("siti@example.test")
    assert message.subject == f"Booking {booking.reference} cancelled: Balai Rakyat Beji"
    assert says.format(community=booking.facility.community.name) in message.body
    assert "Reason: Atap bocor" in message.body
    assert "The attached file takes it out of your calendar." in message.body
    cancellation, params = calendar_of(message, "cancellation.ics")
    assert params["method"] == "CANCEL"
    assert str(cancellation["method"]) == "CANCEL"
    [event] = cancellation.walk("VEVENT")
    [invited] = invitation.walk("VEVENT")
    assert str(event["uid"]) == str(invited["uid"]) == f"{booking.reference}@haidepok"
    assert str(event["status"]) == "CANCELLED"
    assert event.decoded("dtstart") == START
    assert event["sequence"] > invited["sequence"]


def test_a_cancelled_request_had_no_invitation_and_gets_no_cancellation(people):
    people["resident"].language = "en"
    people["resident"].save()
    booking = request(Facility.Approval.CITY, people)
    services.booking_cancel(booking=booking, actor=people["resident"], now=NOW)
    Notification.objects.exclude(kind=Kind.CANCELLED).delete()
    send_all()

    message = mail_to("siti@example.test")
    assert "As you asked" in message.body
    assert "Reason" not in message.body
    assert message.attachments == []


def test_the_expiry_mail(people):
    people["resident"].language = "en"
    people["resident"].save()
    booking = request(Facility.Approval.CITY, people)
    Notification.objects.all().delete()
    services.bookings_sweep(now=START)
    send_all()

    message = mail_to("siti@example.test")
    assert (
        message.subject == f"Booking request {booking.reference} expired: {booking.facility.name}"
    )
    assert "was not decided before its start, so it has expired" in message.body


def test_approvers_get_a_link_to_decide_staff_in_the_admin_organizers_in_their_workspace(
    people,
):
    city = request(Facility.Approval.CITY, people, organisation="Karang Taruna RW 03")
    facility = open_facility(approval=Facility.Approval.COMMUNITY)
    organizer = organizer_of(facility, user=UserFactory(email="ketua@example.test", language="en"))
    community = request_booking(facility, START, END, now=NOW)
    send_all()

    staff_mail = mail_to("staf2@example.test")  # English
    assert staff_mail.subject == (
        f"New booking request {city.reference}: {city.facility.name}, 1 March 2027"
    )
    admin_link = f"http://127.0.0.1:8000/admin/bookings/booking/{city.pk}/change/"
    assert admin_link in staff_mail.body
    assert f'href="{admin_link}"' in html_of(staff_mail)
    assert "Requested by: Siti (Karang Taruna RW 03)" in staff_mail.body
    assert "Expected attendees: 10" in staff_mail.body

    organizer_mail = mail_to(organizer.email)
    workspace_link = f"http://127.0.0.1:8000/kelola/booking/{community.reference}/"
    assert workspace_link in organizer_mail.body
    assert f'href="{workspace_link}"' in html_of(organizer_mail)
    # And one in Indonesian, for staf1.
    assert "1 Maret 2027" in mail_to("staf1@example.test").subject


def test_an_organizer_with_an_admin_login_but_not_pemkot_staff_decides_in_the_workspace(
    people,
):
    # is_staff opens the admin; deciding there takes the Pemkot staff group's permission.
    facility = open_facility(approval=Facility.Approval.COMMUNITY)
    organizer = organizer_of(
        facility, user=UserFactory(email="ketua@example.test", is_staff=True, pemkot_staff=False)
    )
    booking = request_booking(facility, START, END, now=NOW)
    send_all()

    workspace_link = f"http://127.0.0.1:8000/kelola/booking/{booking.reference}/"
    assert workspace_link in mail_to(organizer.email).body
    assert "/admin/" not in mail_to(organizer.email).body

    mail.outbox.clear()
    services.booking_cancel(booking=booking, actor=organizer, reason="Atap bocor", now=NOW)
    send_all()
    cancelled = mail_to(booking.user.email).body
    assert f"Pengelola {facility.community.name} telah membatalkan" in cancelled
    assert "Pemkot" not in cancelled


def test_the_reminder_mail(people):
    booking = approved_booking(people)
    notifications.create_reminders(now=START - dt.timedelta(hours=20))
    Notification.objects.exclude(kind=Kind.REMINDER).delete()
    send_all()

    message = mail_to("siti@example.test")
    assert message.subject == "Reminder: Balai Rakyat Beji, Monday, 1 March at 10.00 WIB"
    assert "your booking of Balai Rakyat Beji starts on Monday, 1 March 2027 at 10.00 WIB" in (
        message.body
    )
    assert booking.reference in message.body


def test_every_booking_kind_renders_in_both_languages(people):
    booking = approved_booking(people)
    for kind in BOOKING_KINDS:
        for language in ("id", "en"):
            notification = Notification(
                booking=booking,
                event=booking.events.last(),
                kind=kind,
                recipient=people["resident"],
                address="siti@example.test",
                language=language,
            )
            message = rendering.render(notification)
            assert booking.reference in message.text or kind == Kind.REMINDER
            assert message.subject and "\n" not in message.subject
            assert "{%" not in message.text + message.html
            assert "Balai Rakyat Beji" in message.html


# --- Claiming, retrying, failing --------------------------------------------------------------


@pytest.fixture
def one_row(people):
    booking = request(Facility.Approval.AUTO, people)
    return Notification.objects.get(booking=booking)


@pytest.fixture
def smtp_refuses(monkeypatch):
    def refuse(self, *, to, message):
        raise smtplib.SMTPDataError(554, b"5.7.1 Refused")

    monkeypatch.setattr(EmailChannel, "send", refuse)


def test_a_row_is_sent_once_however_often_it_is_delivered(one_row):
    assert delivery.deliver(one_row.pk) == delivery.Outcome("sent")
    assert delivery.deliver(one_row.pk) == delivery.Outcome("skipped")

    assert len(mail.outbox) == 1
    one_row.refresh_from_db()
    assert (one_row.state, one_row.attempts, one_row.last_error) == (State.SENT, 1, "")
    assert one_row.sent_at is not None


def test_a_row_being_sent_elsewhere_is_left_alone(one_row):
    Notification.objects.filter(pk=one_row.pk).update(state=State.SENDING)

    assert delivery.deliver(one_row.pk).status == "skipped"
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_workers_racing_for_one_row_send_it_once(one_row):
    # Sent in-process at commit already (no broker in tests): make it pending again.
    Notification.objects.filter(pk=one_row.pk).update(state=State.PENDING)
    mail.outbox.clear()

    def deliver(_):
        try:
            return delivery.deliver(one_row.pk).status
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(deliver, range(6)))

    assert sorted(outcomes) == ["sent"] + ["skipped"] * 5
    assert len(mail.outbox) == 1


def test_a_failed_attempt_waits_longer_each_time_then_fails(one_row, smtp_refuses, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 4
    settings.NOTIFICATION_RETRY_DELAY = 30

    outcomes = [delivery.deliver(one_row.pk) for _ in range(5)]

    assert outcomes == [
        delivery.Outcome("retry", 30),
        delivery.Outcome("retry", 60),
        delivery.Outcome("retry", 120),
        delivery.Outcome("failed"),
        delivery.Outcome("skipped"),
    ]
    one_row.refresh_from_db()
    assert (one_row.state, one_row.attempts) == (State.FAILED, 4)
    assert one_row.last_error == "SMTPDataError: (554, b'5.7.1 Refused')"
    assert one_row.next_attempt_at is None


def test_a_failed_attempt_is_retried_later(one_row, smtp_refuses, settings):
    settings.NOTIFICATION_RETRY_DELAY = 60
    before = clock.now()

    delivery.deliver(one_row.pk)

    one_row.refresh_from_db()
    assert one_row.state == State.PENDING
    assert one_row.attempts == 1
    assert "Refused" in one_row.last_error
    assert before + dt.timedelta(seconds=59) < one_row.next_attempt_at
    assert one_row.next_attempt_at < clock.now() + dt.timedelta(seconds=61)


def test_the_task_asks_celery_to_retry_with_the_back_off(one_row, smtp_refuses, monkeypatch):
    retried = {}

    def retry(**kwargs):
        retried.update(kwargs)
        return RuntimeError("retry")

    monkeypatch.setattr(tasks.send_notification, "retry", retry)

    with pytest.raises(RuntimeError, match="retry"):
        tasks.send_notification(one_row.pk)

    assert retried == {"countdown": 60}


def test_run_in_process_a_failed_attempt_is_final_at_once(one_row, smtp_refuses):
    # Eager (no broker): nothing would retry later, and a request must not wait for back-offs.
    tasks.send_notification.delay(one_row.pk)

    one_row.refresh_from_db()
    assert (one_row.state, one_row.attempts) == (State.FAILED, 1)


# --- The broker down at commit, and the sweep -------------------------------------------------


@pytest.fixture
def broker_down(monkeypatch):
    calls = []

    def unreachable(*args, **kwargs):
        calls.append(args)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.send_notification, "delay", unreachable)
    return calls


def test_a_request_succeeds_when_the_broker_is_down(
    people, broker_down, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = request(Facility.Approval.CITY, people)

    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.REQUESTED
    assert len(broker_down) == 1  # gave up at the first failure, not once per row
    assert set(Notification.objects.values_list("state", flat=True)) == {State.PENDING}
    assert "Broker unreachable" in caplog.text
    assert "wait for the sweep" in caplog.text


def test_the_sweep_sends_rows_pending_for_over_a_minute(people):
    booking = request(Facility.Approval.CITY, people)
    later = clock.now() + dt.timedelta(seconds=61)

    assert sweeping.sweep(now=clock.now()) == {"reclaimed": 0, "failed": 0, "queued": 0}
    assert sweeping.sweep(now=later) == {"reclaimed": 0, "failed": 0, "queued": 3}

    assert len(mail.outbox) == 3
    assert rows(booking, state=State.SENT) == rows(booking)


def test_the_sweep_leaves_a_retry_to_its_time(one_row):
    Notification.objects.filter(pk=one_row.pk).update(
        attempts=1, next_attempt_at=clock.now() + dt.timedelta(minutes=5)
    )

    sweeping.sweep(now=clock.now() + dt.timedelta(minutes=2))
    assert mail.outbox == []
    sweeping.sweep(now=clock.now() + dt.timedelta(minutes=6))
    assert len(mail.outbox) == 1


def test_the_sweep_takes_back_rows_whose_worker_died_while_sending(one_row, people, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    other = Notification.objects.create(
        booking=one_row.booking, kind=Kind.REMINDER, address="x@example.test", language="en"
    )
    long_ago = clock.now() - dt.timedelta(minutes=11)
    Notification.objects.filter(pk=one_row.pk).update(
        state=State.SENDING, attempts=1, claimed_at=long_ago
    )
    Notification.objects.filter(pk=other.pk).update(
        state=State.SENDING, attempts=3, claimed_at=long_ago
    )

    result = sweeping.sweep(now=clock.now() + dt.timedelta(minutes=1, seconds=1))

    assert result == {"reclaimed": 1, "failed": 1, "queued": 1}
    one_row.refresh_from_db()
    other.refresh_from_db()
    assert (one_row.state, one_row.attempts) == (State.SENT, 2)
    assert other.state == State.FAILED
    assert [m.to for m in mail.outbox] == [["siti@example.test"]]


def test_a_row_being_sent_right_now_is_not_taken_back(one_row):
    Notification.objects.filter(pk=one_row.pk).update(
        state=State.SENDING, attempts=1, claimed_at=clock.now()
    )

    sweeping.sweep(now=clock.now() + dt.timedelta(minutes=2))

    one_row.refresh_from_db()
    assert one_row.state == State.SENDING


def test_a_sweep_with_the_broker_down_leaves_the_rows_for_the_next_one(one_row, broker_down):
    later = clock.now() + dt.timedelta(minutes=2)

    assert sweeping.sweep(now=later)["queued"] == 0

    one_row.refresh_from_db()
    assert one_row.state == State.PENDING
    assert one_row.next_attempt_at is None  # due again at the next sweep


def test_a_queued_row_is_not_queued_again_by_every_sweep(one_row, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.send_notification, "delay", queued.append)
    later = clock.now() + dt.timedelta(minutes=2)

    sweeping.sweep(now=later)
    sweeping.sweep(now=later + dt.timedelta(minutes=1))
    assert queued == [one_row.pk]
    sweeping.sweep(now=later + dt.timedelta(minutes=11))
    assert queued == [one_row.pk, one_row.pk]


# --- Reminders --------------------------------------------------------------------------------


def test_a_reminder_is_written_once_the_day_before(people):
    booking = approved_booking(people)  # approved on NOW, days ahead
    Notification.objects.all().delete()

    assert notifications.create_reminders(now=START - dt.timedelta(hours=25)) == 0
    assert notifications.create_reminders(now=START - dt.timedelta(hours=23)) == 1
    assert notifications.create_reminders(now=START - dt.timedelta(hours=22)) == 0

    assert rows(booking) == {(Kind.REMINDER, "siti@example.test")}


def test_no_reminder_for_a_late_approval_or_an_undecided_request(people):
    staff = people["staff"][0]
    facility = open_facility(approval=Facility.Approval.CITY, lead_hours=1)
    late = request_booking(facility, START, END, now=NOW)
    services.booking_approve(booking=late, actor=staff, now=START - dt.timedelta(hours=10))
    undecided = request_booking(facility, wib(2027, 3, 1, 14), wib(2027, 3, 1, 16), now=NOW)
    Notification.objects.all().delete()

    assert notifications.create_reminders(now=START - dt.timedelta(hours=2)) == 0
    assert not Notification.objects.filter(booking__in=[late, undecided]).exists()


def test_the_database_refuses_a_second_reminder_of_a_booking(one_row):
    Notification.objects.create(
        booking=one_row.booking, kind=Kind.REMINDER, address="a@example.test", language="id"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(
            booking=one_row.booking, kind=Kind.REMINDER, address="a@example.test", language="id"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.filter(pk=one_row.pk).update(state="lost")


# --- Beat ---------------------------------------------------------------------------------------


def test_beat_runs_the_sweep_every_minute_reminders_and_the_bookings_sweep():
    schedule = celery_app.conf.beat_schedule
    jobs = {entry["task"]: entry["schedule"] for entry in schedule.values()}
    assert set(jobs) == {
        "bookings.tasks.resend_pending_notifications",
        "bookings.tasks.send_reminders",
        "bookings.tasks.sweep_bookings",
        "payments.tasks.release_overdue_invoices",
        "bookings.tasks.escalate_decisions",
    }
    assert jobs["bookings.tasks.resend_pending_notifications"] == 60.0
    # As a worker starts: the apps' tasks modules imported (autodiscovery), each beat job is
    # a task it knows, whichever modules this test process happened to import before.
    celery_app.loader.import_default_modules()
    assert set(jobs) <= set(celery_app.tasks)


def test_the_bookings_sweep_task_expires_and_completes(people, monkeypatch):
    booking = request(Facility.Approval.CITY, people)
    monkeypatch.setattr(clock, "now", lambda: START + dt.timedelta(minutes=1))

    assert tasks.sweep_bookings() == {"completed": 0, "expired": 1}

    booking.refresh_from_db()
    assert booking.status == BookingStatus.EXPIRED
    assert (Kind.EXPIRED, "siti@example.test") in rows(booking)


def test_the_reminder_task(people, monkeypatch):
    booking = approved_booking(people)
    monkeypatch.setattr(clock, "now", lambda: START - dt.timedelta(hours=12))

    assert tasks.send_reminders() == 1
    assert rows(booking, kind=Kind.REMINDER) == {(Kind.REMINDER, "siti@example.test")}


# --- In-process, end to end (the embedded default: no broker) ---------------------------------


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_the_mails_go_out_in_process_after_commit(people):
    assert celery_app.conf.task_always_eager

    booking = request(Facility.Approval.CITY, people)
    assert sorted(m.to[0] for m in mail.outbox) == [
        "siti@example.test",
        "staf1@example.test",
        "staf2@example.test",
    ]
    services.booking_approve(booking=booking, actor=people["staff"][0], now=NOW)

    approval = mail.outbox[-1]
    assert len(mail.outbox) == 4
    assert approval.to == ["siti@example.test"]
    assert booking.reference in approval.subject
    calendar, _ = calendar_of(approval, "invitation.ics")
    assert str(calendar["method"]) == "REQUEST"
    assert set(Notification.objects.values_list("state", flat=True)) == {State.SENT}


# --- The admin ----------------------------------------------------------------------------------


def test_staff_see_failed_rows_and_resend_them(
    admin_client, one_row, people, django_capture_on_commit_callbacks
):
    sent = Notification.objects.create(
        booking=one_row.booking, kind=Kind.REMINDER, address="ok@example.test", language="id"
    )
    Notification.objects.filter(pk=sent.pk).update(state=State.SENT)
    Notification.objects.filter(pk=one_row.pk).update(
        state=State.FAILED, attempts=5, last_error="SMTPDataError: refused"
    )

    page = admin_client.get("/admin/bookings/notification/?state__exact=failed")
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [one_row]
    assert admin_client.get(f"/admin/bookings/notification/{one_row.pk}/change/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/bookings/notification/",
            {"action": "resend", "_selected_action": [one_row.pk, sent.pk]},
            follow=True,
            HTTP_ACCEPT_LANGUAGE="en",
        )

    assert response.status_code == 200
    assert [str(message) for message in response.context["messages"]] == [
        "1 notification will be sent again.",
        "1 selected notification had not failed and was left alone.",
    ]
    one_row.refresh_from_db()
    sent.refresh_from_db()
    # Resent (in-process here: no broker in tests) with a fresh set of attempts.
    assert (one_row.state, one_row.attempts) == (State.SENT, 1)
    assert sent.state == State.SENT
    assert [m.to for m in mail.outbox] == [["siti@example.test"]]


def test_pemkot_staff_find_failed_rows_and_resend_them(client, one_row):
    client.force_login(pemkot_staff())
    Notification.objects.filter(pk=one_row.pk).update(state=State.FAILED, attempts=5)

    page = client.get("/admin/bookings/notification/?state__exact=failed")
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [one_row]
    assert "resend" in page.context["action_form"].fields["action"].choices[1]
    assert client.get(f"/admin/bookings/notification/{one_row.pk}/change/").status_code == 200

    client.post(
        "/admin/bookings/notification/", {"action": "resend", "_selected_action": [one_row.pk]}
    )
    one_row.refresh_from_db()
    assert (one_row.state, one_row.attempts) == (State.PENDING, 0)


def test_nobody_adds_or_deletes_outbox_rows_in_the_admin(admin_client, one_row):
    assert admin_client.get("/admin/bookings/notification/add/").status_code == 403
    assert admin_client.get(f"/admin/bookings/notification/{one_row.pk}/delete/").status_code == 403


# --- Channels -----------------------------------------------------------------------------------


def test_channels_are_found_by_name():
    assert get_channel("email") is CHANNELS["email"]
    with pytest.raises(LookupError):
        get_channel("pigeon")


def test_another_channel_plugs_in_next_to_email(people, monkeypatch):
    class WhatsAppChannel:
        name = "whatsapp"
        sent: list = []

        def address_of(self, user):
            return user.phone

        def send(self, *, to, message: Message):
            self.sent.append((to, message.subject))

    whatsapp = WhatsAppChannel()
    monkeypatch.setitem(CHANNELS, "whatsapp", whatsapp)
    monkeypatch.setattr(outbox_rows, "ENABLED_CHANNELS", ["email", "whatsapp"])

    booking = request(Facility.Approval.AUTO, people)
    send_all()

    assert set(Notification.objects.values_list("channel", "address")) == {
        ("email", "siti@example.test"),
        ("whatsapp", people["resident"].phone),
    }
    assert whatsapp.sent == [(people["resident"].phone, mail.outbox[0].subject)]
    assert booking.reference in mail.outbox[0].subject


# --- Still true when its turn comes (bookings.outbox.relevance) ---------------------------------


def test_a_reminder_of_a_booking_cancelled_meanwhile_is_withdrawn_not_sent(people):
    booking = approved_booking(people)
    send_all()
    mail.outbox.clear()
    notifications.create_reminders(now=START - dt.timedelta(hours=20))
    reminder = Notification.objects.get(booking=booking, kind=Kind.REMINDER)
    services.booking_cancel(booking=booking, actor=people["resident"], now=NOW)

    assert delivery.deliver(reminder.pk) == delivery.Outcome("withdrawn")
    send_all()

    reminder.refresh_from_db()
    assert reminder.state == State.WITHDRAWN
    assert reminder.last_error == "No longer sent: the booking is now cancelled."
    assert reminder.sent_at is None
    assert [m.subject for m in mail.outbox] == [
        f"Booking {booking.reference} cancelled: Balai Rakyat Beji"
    ]
    # Final: neither the sweep nor a resend brings it back.
    sweeping.sweep(now=clock.now() + dt.timedelta(hours=1))
    assert notifications.resend(Notification.objects.filter(pk=reminder.pk)) == 0
    assert Notification.objects.get(pk=reminder.pk).state == State.WITHDRAWN


def test_a_retry_of_an_approval_whose_booking_was_cancelled_meanwhile_is_withdrawn(
    people, monkeypatch
):
    booking = approved_booking(people)
    approval = Notification.objects.get(booking=booking, kind=Kind.APPROVED)

    def refuse(self, *, to, message):
        raise smtplib.SMTPDataError(554, b"5.7.1 Refused")

    with monkeypatch.context() as patch:
        patch.setattr(EmailChannel, "send", refuse)
        assert delivery.deliver(approval.pk).status == "retry"
    services.booking_cancel(booking=booking, actor=people["staff"][0], reason="Banjir", now=NOW)
    Notification.objects.filter(pk=approval.pk).update(next_attempt_at=None)

    assert delivery.deliver(approval.pk).status == "withdrawn"
    approval.refresh_from_db()
    assert (approval.state, approval.attempts) == (State.WITHDRAWN, 2)
    assert mail.outbox == []


def test_a_failed_row_resent_by_staff_after_its_booking_changed_is_withdrawn(people):
    booking = request(Facility.Approval.CITY, people)
    new_request = Notification.objects.filter(booking=booking, kind=Kind.NEW_REQUEST).first()
    Notification.objects.filter(pk=new_request.pk).update(state=State.FAILED, attempts=5)
    services.booking_approve(booking=booking, actor=people["staff"][0], now=NOW)

    assert notifications.resend(Notification.objects.filter(pk=new_request.pk)) == 1
    delivery.deliver(new_request.pk)

    new_request.refresh_from_db()
    assert new_request.state == State.WITHDRAWN
    assert new_request.last_error == "No longer sent: the booking is now approved."


@pytest.mark.parametrize(
    "kind, change, sent",
    [
        # The receipt and the deciders' mail only while the request waits for a decision.
        (Kind.REQUEST_RECEIVED, None, True),
        (Kind.REQUEST_RECEIVED, "approve", False),
        (Kind.REQUEST_RECEIVED, "reject", False),
        (Kind.REQUEST_RECEIVED, "cancel", False),
        (Kind.NEW_REQUEST, None, True),
        (Kind.NEW_REQUEST, "approve", False),
        (Kind.NEW_REQUEST, "cancel", False),
        (Kind.NEW_REQUEST, "expire", False),
        # An approval (and its invitation) while the booking is approved.
        (Kind.APPROVED, "approve", True),
        (Kind.APPROVED, "approve+cancel", False),
        # A reminder while approved and not started.
        (Kind.REMINDER, "approve", True),
        (Kind.REMINDER, "approve+cancel", False),
        (Kind.REMINDER, "approve+start", False),
        # Final news stays true.
        (Kind.REJECTED, "reject", True),
        (Kind.CANCELLED, "cancel", True),
        (Kind.CANCELLED, "approve+cancel", True),
        (Kind.EXPIRED, "expire", True),
    ],
)
def test_what_is_still_sent_after_the_booking_changed(people, monkeypatch, kind, change, sent):
    booking = request(Facility.Approval.CITY, people)
    staff = people["staff"][0]
    for step in (change or "").split("+"):
        if step == "approve":
            services.booking_approve(booking=booking, actor=staff, now=NOW)
        elif step == "reject":
            services.booking_reject(
                category="other", booking=booking, actor=staff, reason="Dipakai", now=NOW
            )
        elif step == "cancel":
            services.booking_cancel(booking=booking, actor=staff, reason="Banjir", now=NOW)
        elif step == "expire":
            services.bookings_sweep(now=START)
        elif step == "start":
            monkeypatch.setattr(clock, "now", lambda: START + dt.timedelta(minutes=5))
    row = Notification.objects.create(
        booking=booking, kind=kind, recipient=booking.user, address="x@example.test", language="en"
    )

    outcome = delivery.deliver(row.pk)

    assert outcome.status == ("sent" if sent else "withdrawn")
    assert [m.to for m in mail.outbox] == ([["x@example.test"]] if sent else [])


def test_staff_see_withdrawn_rows_and_why(admin_client, people):
    booking = approved_booking(people)
    notifications.create_reminders(now=START - dt.timedelta(hours=20))
    services.booking_cancel(booking=booking, actor=people["resident"], now=NOW)
    reminder = Notification.objects.get(booking=booking, kind=Kind.REMINDER)
    delivery.deliver(reminder.pk)

    page = admin_client.get(
        "/admin/bookings/notification/?state__exact=withdrawn", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert list(page.context["cl"].result_list) == [reminder]
    content = page.content.decode()
    assert "No longer sent: the booking is now cancelled." in content
    assert "No longer sent" in content  # the state, as staff read it


# --- At least once, and recognisably so: the Message-ID ----------------------------------------


@pytest.fixture
def smtp(settings):
    """The local SMTP server of the end-to-end tests, and the site sending to it."""
    sink = SmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", sink.port, 5
    yield sink
    sink.stop()


def test_every_attempt_of_a_row_carries_the_same_message_id(one_row, people, smtp):
    Notification.objects.filter(pk=one_row.pk).update(state=State.PENDING, attempts=0)
    other = Notification.objects.create(
        booking=one_row.booking, kind=Kind.REMINDER, address="y@example.test", language="id"
    )

    smtp.refuse = True
    assert delivery.deliver(one_row.pk).status == "retry"
    smtp.refuse = False
    Notification.objects.filter(pk=one_row.pk).update(next_attempt_at=None)
    assert delivery.deliver(one_row.pk).status == "sent"
    # The worker died after the server took it, before it recorded "sent": sent once more.
    Notification.objects.filter(pk=one_row.pk).update(
        state=State.SENDING, claimed_at=clock.now() - dt.timedelta(minutes=11)
    )
    assert sweeping.sweep(now=clock.now())["reclaimed"] == 1
    assert delivery.deliver(one_row.pk).status == "sent"
    delivery.deliver(other.pk)

    smtp.wait_for(3)
    first, second, third, to_other = smtp.attempted  # refused, accepted, accepted again
    expected = f"<notification-{one_row.pk}@haidepok.local>"
    assert first["Message-ID"] == second["Message-ID"] == third["Message-ID"] == expected
    assert to_other["Message-ID"] == f"<notification-{other.pk}@haidepok.local>"
    assert [m["To"] for m in smtp.received()] == ["siti@example.test"] * 2 + ["y@example.test"]


def test_the_message_id_follows_the_site_s_mail_domain(one_row, settings):
    settings.DEFAULT_FROM_EMAIL = "Hai Depok <layanan@depok.go.id>"

    message = rendering.render(one_row)

    assert message.message_id == f"<notification-{one_row.pk}@depok.go.id>"
