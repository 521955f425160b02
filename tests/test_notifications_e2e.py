"""Notifications end to end, with real parts: Redis as the broker, a `celery worker` process,
and an SMTP server on localhost. And the faults the outbox is there for: Redis down while
residents book, a worker killed in the middle of a batch, an SMTP server refusing mail.

Without Redis (or redis-server) these tests are skipped, except in CI (CI set), where they fail.
"""

import datetime as dt
import re
import time
from collections import Counter

import pytest
from django.db.models import F
from icalendar import Calendar

from bookings import services, tasks
from bookings.models import BookingStatus, Notification
from bookings.outbox import delivery
from communities.models import Community
from facilities.models import Facility
from haidepok import clock
from tests.e2e_support import (
    PrivateRedis,
    SmtpSink,
    Worker,
    celery_broker,
    free_port,
    shared_redis_url,
    unique_queue,
    wait_until,
)
from tests.factories import (
    CommunityFactory,
    MembershipFactory,
    UserFactory,
    open_facility,
    request_booking,
)

pytestmark = [pytest.mark.django_db(transaction=True)]

State = Notification.State


@pytest.fixture
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def workers(tmp_path):
    """Start workers with worker(broker_url, queue, smtp, **env); all are stopped at the end."""
    started = []

    def start(broker_url, queue, smtp, **env):
        worker = Worker(
            broker_url=broker_url,
            queue=queue,
            smtp=smtp,
            log=tmp_path / f"worker{len(started)}.log",
            **env,
        )
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def stack(smtp, workers, fast_hashing):
    """The shared Redis (a queue of this test's own), a worker and the SMTP server."""
    url, queue = shared_redis_url(), unique_queue()
    with celery_broker(url, queue):
        worker = workers(url, queue, smtp)
        yield worker


@pytest.fixture
def one_booking_row(fast_hashing):
    booking = book(open_facility(approval=Facility.Approval.AUTO), 3)  # sent in-process
    Notification.objects.update(state=State.PENDING)
    return Notification.objects.get(booking=booking)


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path).start()
    yield server
    server.stop()


def book(facility, day: int, resident=None):
    """A two-hour booking at 10:00 WIB, `day` days after next week starts, requested now."""
    start = clock.local_datetime(clock.local_now().date() + dt.timedelta(days=7 + day), dt.time(10))
    return request_booking(
        facility, start, start + dt.timedelta(hours=2), now=clock.now(), user=resident
    )


def references(messages) -> Counter:
    """How many mails name each booking reference (HD-XXXXXX) in their subject."""
    return Counter(re.search(r"HD-[0-9A-Z]{6}", message["Subject"])[0] for message in messages)


def rows_by_state() -> Counter:
    return Counter(Notification.objects.values_list("state", flat=True))


def mails_of(messages) -> Counter:
    """(recipient, subject) of each mail, counted: every one must be 1."""
    return Counter((message["To"], message["Subject"]) for message in messages)


def settle(smtp, count: int, quiet: float = 1.5) -> list:
    """Wait for `count` mails, then a little longer, so that a doubled one would show."""
    smtp.wait_for(count)
    time.sleep(quiet)
    return smtp.received()


def test_a_request_and_its_approval_reach_the_resident_and_staff(stack, smtp):
    facility = open_facility(approval=Facility.Approval.CITY, name="Balai Rakyat Beji")
    resident = UserFactory(email="siti@example.test", full_name="Siti", language="en")
    staff = UserFactory(email="staf@example.test", is_staff=True, language="id")

    smtp.delay = 0.5  # a slow SMTP server: the request does not wait for it
    booking = book(facility, 3, resident)
    assert smtp.received() == []

    first = smtp.wait_for(2)
    assert sorted(message["To"] for message in first) == [
        "siti@example.test",
        "staf@example.test",
    ]
    to_staff = next(message for message in first if message["To"] == "staf@example.test")
    assert (
        f"/admin/bookings/booking/{booking.pk}/change/"
        in to_staff.get_body(("plain",)).get_content()
    )

    services.booking_approve(booking=booking, actor=staff)

    approval = smtp.wait_for(3)[2]
    assert approval["To"] == "siti@example.test"
    assert approval["Subject"] == f"Booking {booking.reference} approved: Balai Rakyat Beji"
    assert "Good news" in approval.get_body(("plain",)).get_content()
    assert "<table" in approval.get_body(("html",)).get_content()
    [invitation] = [part for part in approval.iter_attachments()]
    assert invitation.get_content_type() == "text/calendar"
    assert invitation.get_param("method") == "REQUEST"
    assert invitation.get_filename() == "invitation.ics"
    event = Calendar.from_ical(invitation.get_content()).walk("VEVENT")[0]
    assert str(event["uid"]) == f"{booking.reference}@haidepok"
    assert event.decoded("dtstart") == booking.start
    assert "Jl. Margonda Raya" in str(event["location"])

    wait_until(lambda: rows_by_state() == Counter({State.SENT: 3}), 5, "every row sent")
    assert len(settle(smtp, 3)) == 3


def test_with_redis_down_requests_succeed_and_the_sweep_delivers_later(
    private_redis, smtp, workers, fast_hashing, caplog
):
    queue = unique_queue()
    with celery_broker(private_redis.url, queue):
        workers(private_redis.url, queue, smtp)
        facility = open_facility(approval=Facility.Approval.CITY)
        UserFactory(email="staf@example.test", is_staff=True)

        private_redis.stop()
        started = time.monotonic()
        bookings = [book(facility, day) for day in (3, 4, 5)]
        took = time.monotonic() - started

        assert took < 3, f"three requests took {took:.1f} s with the broker down"
        assert all(booking.status == BookingStatus.REQUESTED for booking in bookings)
        assert rows_by_state() == Counter({State.PENDING: 6})
        assert "Broker unreachable" in caplog.text
        time.sleep(0.5)
        assert smtp.received() == []

        private_redis.start()
        # A minute passes: the rows are due for the sweep, which beat runs every minute.
        Notification.objects.update(created_at=F("created_at") - dt.timedelta(minutes=2))
        result = tasks.resend_pending_notifications()

        assert result["queued"] == 6
        messages = settle(smtp, 6)
        assert len(messages) == 6
        assert set(mails_of(messages).values()) == {1}
        assert references(messages) == Counter({booking.reference: 2 for booking in bookings})
        wait_until(lambda: rows_by_state() == Counter({State.SENT: 6}), 5, "every row sent")


def test_publishing_to_an_unreachable_broker_gives_up_at_once(one_booking_row, caplog):
    # Nothing listens on this port. With Celery's default publish retries this takes about
    # 0.7 s per row, and a broker that drops packets would hold each request for seconds.
    with celery_broker(f"redis://127.0.0.1:{free_port()}/0", unique_queue()):
        started = time.monotonic()
        queued = delivery.publish([one_booking_row.pk, one_booking_row.pk])
        took = time.monotonic() - started

    assert queued == []
    assert took < 0.5, f"publishing took {took:.2f} s"
    assert "Broker unreachable" in caplog.text


def test_a_worker_killed_in_the_middle_of_a_batch_loses_and_doubles_nothing(
    private_redis, smtp, workers, fast_hashing
):
    # A private Redis: the killed worker leaves an unacknowledged message behind, which must
    # not stay in a Redis that others use.
    queue = unique_queue()
    with celery_broker(private_redis.url, queue):
        worker = workers(private_redis.url, queue, smtp)
        _kill_a_worker_in_the_middle_of_a_batch(worker, smtp, workers)


def _kill_a_worker_in_the_middle_of_a_batch(worker, smtp, workers):
    facility = open_facility(approval=Facility.Approval.CITY)
    UserFactory(email="staf@example.test", is_staff=True)
    smtp.stall_at = 4  # the SMTP server holds the fourth message without answering
    bookings = [book(facility, day) for day in (3, 4, 5, 6, 7)]  # 10 mails

    # Kill the worker while it waits for the SMTP server to take the fourth message.
    wait_until(lambda: smtp.attempts >= 4, 20, "the fourth mail")
    worker.kill()

    delivered = len(smtp.received())
    assert delivered == 3
    states = rows_by_state()
    assert states[State.SENT] == 3
    assert states[State.SENDING] == 1  # the one the worker died with
    assert states[State.PENDING] == 6

    # A quarter of an hour later, a new worker takes the queue, and the sweep takes back the
    # row that the dead worker was sending.
    long_ago = dt.timedelta(minutes=15)
    Notification.objects.update(
        created_at=F("created_at") - long_ago, claimed_at=F("claimed_at") - long_ago
    )
    smtp.stall_at = None
    workers(worker.env["REDIS_URL"], worker.env["CELERY_QUEUE"], smtp)
    result = tasks.resend_pending_notifications()
    assert result["reclaimed"] == 1

    messages = settle(smtp, 10)
    assert len(messages) == 10
    assert set(mails_of(messages).values()) == {1}
    assert references(messages) == Counter({booking.reference: 2 for booking in bookings})
    wait_until(lambda: rows_by_state() == Counter({State.SENT: 10}), 5, "every row sent")


def test_refused_mails_are_retried_then_failed_and_staff_resend_them(stack, smtp, admin_client):
    facility = open_facility(approval=Facility.Approval.AUTO)
    resident = UserFactory(email="siti@example.test")
    smtp.refuse = True

    booking = book(facility, 3, resident)

    # Three attempts (the worker's NOTIFICATION_MAX_ATTEMPTS), a second and two apart.
    [row] = wait_until(
        lambda: list(Notification.objects.filter(state=State.FAILED)), 15, "the row to fail"
    )
    assert row.attempts == 3
    assert smtp.attempts == 3
    assert "554" in row.last_error
    assert smtp.received() == []

    page = admin_client.get("/admin/bookings/notification/?state__exact=failed")
    assert list(page.context["cl"].result_list) == [row]

    smtp.refuse = False
    admin_client.post(
        "/admin/bookings/notification/", {"action": "resend", "_selected_action": [row.pk]}
    )

    [message] = settle(smtp, 1)
    assert message["To"] == "siti@example.test"
    assert booking.reference in message["Subject"]
    row.refresh_from_db()
    wait_until(lambda: Notification.objects.get(pk=row.pk).state == State.SENT, 5, "the row sent")


def test_a_retried_approval_of_a_booking_cancelled_meanwhile_is_withdrawn(
    smtp, workers, fast_hashing
):
    url, queue = shared_redis_url(), unique_queue()
    with celery_broker(url, queue):
        # Three seconds between attempts: time to cancel while the approval waits to be retried.
        workers(url, queue, smtp, NOTIFICATION_RETRY_DELAY="3")
        facility = open_facility(approval=Facility.Approval.AUTO)
        resident = UserFactory(email="siti@example.test", language="en")
        smtp.refuse = True
        booking = book(facility, 3, resident)
        approval = Notification.objects.get(booking=booking)
        wait_until(lambda: smtp.attempts == 1, 10, "the first attempt")
        smtp.refuse = False

        services.booking_cancel(booking=booking, actor=resident)

        [cancellation] = settle(smtp, 1, quiet=4)  # past the approval's retry
        assert cancellation["Subject"].startswith(f"Booking {booking.reference} cancelled")
        wait_until(
            lambda: Notification.objects.get(pk=approval.pk).state == State.WITHDRAWN,
            10,
            "the approval withdrawn",
        )
        approval.refresh_from_db()
        assert approval.attempts == 2
        assert approval.last_error == "No longer sent: the booking is now cancelled."
        assert [m["Subject"] for m in smtp.received()] == [cancellation["Subject"]]


def test_a_worker_killed_after_smtp_took_the_mail_sends_it_again_with_the_same_message_id(
    private_redis, smtp, workers, fast_hashing
):
    queue = unique_queue()
    with celery_broker(private_redis.url, queue):
        worker = workers(private_redis.url, queue, smtp)
        facility = open_facility(approval=Facility.Approval.AUTO)
        # The server takes the first mail but its answer never reaches the worker, killed.
        smtp.stall_at, smtp.keep_stalled = 1, True
        booking = book(facility, 3, UserFactory(email="siti@example.test"))
        row = Notification.objects.get(booking=booking)
        wait_until(lambda: smtp.attempts >= 1, 20, "the first mail")
        worker.kill()
        assert Notification.objects.get(pk=row.pk).state == State.SENDING

        # The sweep, later, takes the row back; a new worker sends it again.
        Notification.objects.update(
            created_at=F("created_at") - dt.timedelta(minutes=15),
            claimed_at=F("claimed_at") - dt.timedelta(minutes=15),
        )
        smtp.stall_at = None
        workers(private_redis.url, queue, smtp)
        assert tasks.resend_pending_notifications()["reclaimed"] == 1

        first, second = settle(smtp, 2)
        assert (
            first["Message-ID"] == second["Message-ID"] == f"<notification-{row.pk}@haidepok.local>"
        )
        assert first["Subject"] == second["Subject"]
        wait_until(lambda: Notification.objects.get(pk=row.pk).state == State.SENT, 5, "sent")


def test_staff_verify_a_community_while_smtp_is_down_and_the_mail_follows(
    admin_client, workers, fast_hashing
):
    dead_port = free_port()  # nothing listens here: SMTP is down
    smtp = SmtpSink(port=dead_port)  # created, not started
    url, queue = shared_redis_url(), unique_queue()
    with celery_broker(url, queue):
        workers(url, queue, smtp)
        community = CommunityFactory(
            name="Karang Taruna Limo", status=Community.Status.PENDING, email="kt@example.test"
        )
        MembershipFactory(community=community, user=UserFactory(email="ketua@example.test"))

        response = admin_client.post(
            "/admin/communities/community/",
            {"action": "verify", "_selected_action": [community.pk]},
            follow=True,
        )

        assert response.status_code == 200
        community.refresh_from_db()
        assert community.status == Community.Status.VERIFIED
        [row] = wait_until(
            lambda: list(Notification.objects.filter(community=community, state=State.FAILED)),
            20,
            "the verification mail to fail its three attempts",
        )
        assert row.attempts == 3
        assert "Connection refused" in row.last_error or "111" in row.last_error

        smtp.start()  # SMTP is back
        try:
            admin_client.post(
                "/admin/bookings/notification/",
                {"action": "resend", "_selected_action": [row.pk]},
            )
            [message] = settle(smtp, 1)
            assert message["X-Envelope-To"] == "kt@example.test, ketua@example.test"
            assert "Karang Taruna Limo" in message["Subject"]
            wait_until(
                lambda: Notification.objects.get(pk=row.pk).state == State.SENT, 5, "the row sent"
            )
        finally:
            smtp.stop()
