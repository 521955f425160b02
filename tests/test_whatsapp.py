"""WhatsApp notifications end to end against the fake Cloud API (tests/whatsapp_fake.py, a
real HTTP server on 127.0.0.1): the rows the outbox writes beside the mails, what reaches the
gateway, the gateway down or refusing, and the resident's opt-in with a verification code.

The outbox runs as in tests/test_notifications.py: the services write the rows, and
delivery.deliver (what a worker runs) and sweeping.sweep (what beat runs) send them.
"""

import datetime as dt
import socket
import time

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from accounts import whatsapp as opt_in
from accounts.models import WhatsAppVerification
from bookings import notifications, services
from bookings.models import Booking, Notification
from bookings.outbox import delivery, sweeping
from facilities.models import Facility
from haidepok import clock
from tests.e2e_support import (
    SmtpSink,
    Worker,
    celery_broker,
    shared_redis_url,
    unique_queue,
    wait_until,
)
from tests.factories import (
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    open_facility,
    request_booking,
    wib,
)
from tests.whatsapp_fake import FakeWhatsApp

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

NOW = wib(2027, 2, 20, 10)
START, END = wib(2027, 3, 1, 10), wib(2027, 3, 1, 12)  # a Monday morning
NUMBER = "+6281234567890"
Kind = Notification.Kind
State = Notification.State


@pytest.fixture
def gateway(settings):
    fake = FakeWhatsApp().start()
    for name, value in fake.settings().items():
        setattr(settings, name, value)
    settings.WHATSAPP_TIMEOUT = 2
    yield fake
    fake.down()


@pytest.fixture
def resident():
    """A resident who opted in: WhatsApp notifications go to a verified number."""
    return UserFactory(
        email="siti@example.test",
        full_name="Siti",
        language="en",
        whatsapp_number=NUMBER,
        whatsapp_verified_at=NOW,
    )


def book(user, approval=Facility.Approval.AUTO, **facility_fields) -> Booking:
    facility = open_facility(approval=approval, name="Balai Rakyat Beji", **facility_fields)
    return request_booking(facility, START, END, user=user, now=NOW)


def channels_of(booking) -> set[tuple[str, str, str]]:
    return set(
        Notification.objects.filter(booking=booking).values_list("kind", "channel", "address")
    )


def send_all():
    for pk in Notification.objects.filter(state=State.PENDING).values_list("pk", flat=True):
        delivery.deliver(pk)


def whatsapp_row(booking, kind=Kind.APPROVED) -> Notification:
    return Notification.objects.get(booking=booking, kind=kind, channel="whatsapp")


# --- Which rows ---------------------------------------------------------------------------------


def test_an_approval_reaches_the_gateway_as_its_template_once(gateway, resident):
    booking = book(resident)

    assert channels_of(booking) == {
        (Kind.APPROVED, "email", "siti@example.test"),
        (Kind.APPROVED, "whatsapp", NUMBER),
    }
    send_all()
    row = whatsapp_row(booking)
    [message] = gateway.received
    assert message.to == "6281234567890"
    assert message.template == "haidepok_approved"
    assert message.language == "en_US"
    assert message.parameters == [
        "Balai Rakyat Beji",
        "Monday, 1 March 2027, 10.00–12.00 WIB",
        booking.reference,
        f"http://127.0.0.1:8000/booking-saya/{booking.reference}/",
    ]
    # The row's stable reference, the same on every attempt.
    assert message.reference == f"notification-{row.pk}"
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == (State.SENT, 1, "")
    # Once: a second delivery of the same row (a duplicate task) sends nothing.
    assert delivery.deliver(row.pk).status == "skipped"
    assert len(gateway.received) == 1
    # Email is unaffected: the mail went too.
    assert [m.to for m in mail.outbox] == [["siti@example.test"]]


def test_the_template_speaks_the_residents_language(gateway, resident):
    resident.language = "id"
    resident.save()
    book(resident)
    send_all()

    [message] = gateway.received
    assert message.language == "id"
    assert message.parameters[1] == "Senin, 1 Maret 2027, 10.00–12.00 WIB"


def test_each_resident_facing_kind_has_its_template(gateway, resident):
    staff = UserFactory(is_staff=True, whatsapp_number="+6281111111111", whatsapp_verified_at=NOW)
    booking = book(resident, approval=Facility.Approval.CITY)
    send_all()
    services.booking_reject(
        category="other", booking=booking, actor=staff, reason="Dipakai\nacara kota", now=NOW
    )
    send_all()

    assert [(m.template, m.to) for m in gateway.received] == [
        ("haidepok_request_received", "6281234567890"),
        ("haidepok_rejected", "6281234567890"),
    ]
    # The decider's reason on one line: the Cloud API refuses a newline in a parameter.
    assert gateway.received[1].parameters[3] == "Dipakai acara kota"
    # Staff are told of the request by email only, verified number or not.
    assert (Kind.NEW_REQUEST, "whatsapp") not in {
        (kind, channel) for kind, channel, _address in channels_of(booking)
    }


def test_the_reminder_goes_to_whatsapp_too(gateway, resident):
    booking = book(resident)
    send_all()
    notifications.create_reminders(now=START - dt.timedelta(hours=20))

    assert {channel for kind, channel, _ in channels_of(booking) if kind == Kind.REMINDER} == {
        "email",
        "whatsapp",
    }
    send_all()
    assert [m.template for m in gateway.received] == ["haidepok_approved", "haidepok_reminder"]


def test_a_resident_without_a_verified_number_gets_no_whatsapp_row(gateway):
    typed_only = UserFactory(whatsapp_number=NUMBER, whatsapp_verified_at=None)
    booking = book(typed_only)

    assert {channel for _kind, channel, _address in channels_of(booking)} == {"email"}


def test_with_the_channel_off_nobody_gets_a_whatsapp_row(gateway, resident, settings):
    settings.WHATSAPP_TOKEN = ""
    booking = book(resident)

    assert {channel for _kind, channel, _address in channels_of(booking)} == {"email"}


# --- The gateway down, failing, refusing ------------------------------------------------------


def test_the_gateway_down_loses_nothing(gateway, resident):
    gateway.down()
    booking = book(resident)
    send_all()

    row = whatsapp_row(booking)
    assert row.state == State.PENDING
    assert row.next_attempt_at is not None
    assert "could not be reached" in row.last_error
    assert len(mail.outbox) == 1  # the mail went all the same

    gateway.up()
    # Beat's sweep, after the back-off: the row is queued (and, with no broker, sent) again.
    result = sweeping.sweep(now=clock.now() + dt.timedelta(hours=1))
    assert result["queued"] == 1

    row.refresh_from_db()
    assert (row.state, row.attempts) == (State.SENT, 2)
    assert [m.template for m in gateway.received] == ["haidepok_approved"]
    assert len(mail.outbox) == 1  # and not again


def test_an_answer_500_is_retried_later(gateway, resident):
    gateway.fail_with(500)
    booking = book(resident)
    send_all()

    row = whatsapp_row(booking)
    assert row.state == State.PENDING
    assert "WhatsApp answered 500" in row.last_error
    assert gateway.received == []

    gateway.heal()
    assert delivery.deliver(row.pk).status == "sent"
    assert len(gateway.received) == 1


def test_a_gateway_that_does_not_answer_times_out_and_is_retried(gateway, resident, settings):
    # A port that takes the connection but never answers: the attempt gives up at the timeout.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    settings.WHATSAPP_API_URL = f"http://127.0.0.1:{silent.getsockname()[1]}"
    settings.WHATSAPP_TIMEOUT = 1
    try:
        booking = book(resident)
        started = time.monotonic()
        send_all()
        took = time.monotonic() - started
    finally:
        silent.close()

    row = whatsapp_row(booking)
    assert row.state == State.PENDING
    assert "timed out" in row.last_error
    assert took < 5
    assert len(mail.outbox) == 1


def test_a_number_not_on_whatsapp_fails_at_once_with_the_reason(gateway, resident):
    gateway.undeliverable.add(NUMBER)
    booking = book(resident)
    send_all()

    row = whatsapp_row(booking)
    assert (row.state, row.attempts) == (State.FAILED, 1)
    assert "(400)" in row.last_error
    assert "#131026 Message undeliverable" in row.last_error
    # Final: the sweep leaves it alone.
    sweeping.sweep(now=clock.now() + dt.timedelta(hours=1))
    assert Notification.objects.get(pk=row.pk).state == State.FAILED
    assert gateway.requests == 1


def test_a_wrong_token_fails_with_the_reason(gateway, resident, settings):
    settings.WHATSAPP_TOKEN = "not-the-token"
    booking = book(resident)
    send_all()

    row = whatsapp_row(booking)
    assert row.state == State.FAILED
    assert "Invalid OAuth access token" in row.last_error


# --- Opting in and out ------------------------------------------------------------------------


@pytest.fixture
def signed_in(client):
    user = UserFactory(email="budi@example.test", language="en")
    client.force_login(user)
    return client, user


def last_code(gateway) -> str:
    message = gateway.received[-1]
    assert message.template == "haidepok_verification_code"
    [code] = message.parameters
    return code


def test_a_resident_turns_whatsapp_on_with_the_code_sent_there(gateway, signed_in):
    client, user = signed_in
    response = client.post(reverse("whatsapp_request_code"), {"number": "0812-3456-7890"})
    assert response.status_code == 302

    code = last_code(gateway)
    assert gateway.received[-1].to == "6281234567890"
    assert len(code) == 6 and code.isdigit()
    # Kept as a keyed hash, not the code.
    verification = WhatsAppVerification.objects.get(user=user)
    assert code not in verification.code_hash
    assert verification.expires_at - verification.sent_at == dt.timedelta(minutes=10)

    response = client.post(reverse("whatsapp_confirm"), {"code": code})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.whatsapp_address == NUMBER
    assert not WhatsAppVerification.objects.filter(user=user).exists()

    booking = book(user)
    assert (Kind.APPROVED, "whatsapp", NUMBER) in channels_of(booking)


def test_a_wrong_code_says_how_many_tries_are_left_and_changes_nothing(gateway, signed_in):
    client, user = signed_in
    client.post(reverse("whatsapp_request_code"), {"number": NUMBER})
    code = last_code(gateway)
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    response = client.post(reverse("whatsapp_confirm"), {"code": wrong})
    assert response.status_code == 409
    assert "That is not the code. 4 tries left." in response.content.decode()
    user.refresh_from_db()
    assert user.whatsapp_address == ""
    assert WhatsAppVerification.objects.get(user=user).attempts == 1


def test_a_code_that_is_not_six_digits_is_refused_without_a_try(gateway, signed_in):
    client, user = signed_in
    client.post(reverse("whatsapp_request_code"), {"number": NUMBER})

    response = client.post(reverse("whatsapp_confirm"), {"code": "12ab"})
    assert response.status_code == 400
    assert "Enter the 6 digits of the code." in response.content.decode()
    assert WhatsAppVerification.objects.get(user=user).attempts == 0


def test_a_landline_is_not_a_whatsapp_number(gateway, signed_in):
    client, user = signed_in
    response = client.post(reverse("whatsapp_request_code"), {"number": "(021) 777 1234"})

    assert response.status_code == 400
    assert "Enter an Indonesian mobile number" in response.content.decode()
    assert gateway.received == []
    assert not WhatsAppVerification.objects.exists()


@pytest.mark.parametrize(
    "typed", ["0812 3456 7890", "+62 812-3456-7890", "62812 3456 7890", "(0812) 3456-7890"]
)
def test_mobile_numbers_are_written_in_e164(typed):
    assert opt_in.normalise_mobile(typed) == NUMBER


def test_an_expired_code_is_refused(gateway):
    user = UserFactory()
    opt_in.whatsapp_request_code(user=user, number=NUMBER, now=NOW)
    code = last_code(gateway)

    with pytest.raises(opt_in.WhatsAppOptInError) as refusal:
        opt_in.whatsapp_confirm(user=user, code=code, now=NOW + dt.timedelta(minutes=10))
    assert refusal.value.code == "expired"
    # Just in time works.
    opt_in.whatsapp_confirm(user=user, code=code, now=NOW + dt.timedelta(minutes=9, seconds=59))
    assert user.whatsapp_address == NUMBER


def test_after_five_wrong_codes_only_a_new_code_helps(gateway):
    user = UserFactory()
    opt_in.whatsapp_request_code(user=user, number=NUMBER, now=NOW)
    code = last_code(gateway)
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    answers = []
    for _ in range(5):
        with pytest.raises(opt_in.WhatsAppOptInError) as refusal:
            opt_in.whatsapp_confirm(user=user, code=wrong, now=NOW)
        answers.append(refusal.value.code)
    assert answers == ["wrong"] * 4 + ["too_many"]
    with pytest.raises(opt_in.WhatsAppOptInError) as refusal:
        opt_in.whatsapp_confirm(user=user, code=code, now=NOW)  # even the right one
    assert refusal.value.code == "too_many"
    user.refresh_from_db()
    assert user.whatsapp_address == ""

    opt_in.whatsapp_request_code(user=user, number=NUMBER, now=NOW + dt.timedelta(minutes=1))
    opt_in.whatsapp_confirm(user=user, code=last_code(gateway), now=NOW + dt.timedelta(minutes=2))
    assert user.whatsapp_address == NUMBER


def test_a_new_code_at_most_once_a_minute_and_it_replaces_the_old(gateway):
    user = UserFactory()
    opt_in.whatsapp_request_code(user=user, number=NUMBER, now=NOW)
    first = last_code(gateway)

    with pytest.raises(opt_in.WhatsAppOptInError) as refusal, translation.override("en"):
        opt_in.whatsapp_request_code(user=user, number=NUMBER, now=NOW + dt.timedelta(seconds=59))
    assert refusal.value.code == "too_soon"
    assert "Ask again in 1 second." in refusal.value.message
    assert len(gateway.received) == 1

    opt_in.whatsapp_request_code(user=user, number=NUMBER, now=NOW + dt.timedelta(seconds=60))
    second = last_code(gateway)
    if first != second:  # one chance in a million that they are the same
        with pytest.raises(opt_in.WhatsAppOptInError):
            opt_in.whatsapp_confirm(user=user, code=first, now=NOW + dt.timedelta(minutes=2))
    opt_in.whatsapp_confirm(user=user, code=second, now=NOW + dt.timedelta(minutes=2))
    assert user.whatsapp_address == NUMBER


def test_the_resend_limit_through_the_page(gateway, signed_in):
    client, user = signed_in
    client.post(reverse("whatsapp_request_code"), {"number": NUMBER})

    response = client.post(reverse("whatsapp_request_code"), {"number": NUMBER})
    assert response.status_code == 409
    assert "A code was sent less than a minute ago." in response.content.decode()
    assert len(gateway.received) == 1


def test_a_code_whatsapp_cannot_deliver_is_void_and_may_be_asked_again(gateway, signed_in):
    client, user = signed_in
    gateway.down()
    response = client.post(reverse("whatsapp_request_code"), {"number": NUMBER})
    assert response.status_code == 409
    assert "WhatsApp could not be reached." in response.content.decode()
    assert not WhatsAppVerification.objects.exists()

    gateway.up()
    assert client.post(reverse("whatsapp_request_code"), {"number": NUMBER}).status_code == 302
    assert len(gateway.received) == 1


def test_without_the_channel_nobody_can_opt_in(gateway, signed_in, settings):
    client, user = signed_in
    settings.WHATSAPP_TOKEN = ""

    page = client.get(reverse("profile")).content.decode()
    assert "WhatsApp notifications are not available now." in page
    response = client.post(reverse("whatsapp_request_code"), {"number": NUMBER})
    assert response.status_code == 409
    assert gateway.received == []


def test_opting_out_stops_new_rows_and_withdraws_waiting_ones(gateway, resident, client):
    gateway.down()
    booking = book(resident)
    send_all()  # the WhatsApp row waits for the gateway
    client.force_login(resident)

    assert client.post(reverse("whatsapp_opt_out")).status_code == 302
    resident.refresh_from_db()
    assert resident.whatsapp_address == ""

    gateway.up()
    row = whatsapp_row(booking)
    assert delivery.deliver(row.pk).status == "withdrawn"
    assert gateway.received == []
    later = book(resident)
    assert {channel for _kind, channel, _address in channels_of(later)} == {"email"}


def test_the_profile_shows_each_step(gateway, signed_in):
    client, user = signed_in
    page = client.get(reverse("profile")).content.decode()
    assert "Notifications by WhatsApp" in page
    assert "Turn on WhatsApp notifications" in page

    client.post(reverse("whatsapp_request_code"), {"number": NUMBER})
    page = client.get(reverse("profile")).content.decode()
    assert "Type the code we sent to <strong>+6281234567890</strong> by WhatsApp." in page
    assert "Send a new code" in page

    client.post(reverse("whatsapp_confirm"), {"code": last_code(gateway)})
    page = client.get(reverse("profile")).content.decode()
    assert "WhatsApp notifications are on, to <strong>+6281234567890</strong>." in page
    assert "Stop WhatsApp notifications" in page


def test_the_profile_reads_the_pending_code_in_one_query(
    gateway, signed_in, django_assert_num_queries
):
    client, user = signed_in
    client.post(reverse("whatsapp_request_code"), {"number": NUMBER})
    client.get(reverse("profile"))  # the session's first read of the messages
    # The session, the user, the pending code, the header's "manages something?", the tokens,
    # and the calendar feed token (its links are on the profile since issue 16).
    with django_assert_num_queries(6):
        assert client.get(reverse("profile")).status_code == 200


def test_the_whatsapp_views_need_a_signed_in_resident_and_a_post(client, gateway):
    for name in ("whatsapp_request_code", "whatsapp_confirm", "whatsapp_opt_out"):
        response = client.post(reverse(name), {"number": NUMBER, "code": "123456"})
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]
    client.force_login(UserFactory())
    assert client.get(reverse("whatsapp_opt_out")).status_code == 405
    assert gateway.received == []


# --- With a real worker -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_waits_out_the_gateway_down_and_delivers_once(gateway, tmp_path):
    """Redis as the broker and a `celery worker` process: the request commits while the
    gateway is down, the worker's attempts fail and back off (Celery retries), and once the
    gateway is back the message arrives, once; the mail went at the first attempt."""
    url, queue = shared_redis_url(), unique_queue()
    smtp = SmtpSink().start()
    gateway.down()
    worker = None
    try:
        with celery_broker(url, queue):
            worker = Worker(
                broker_url=url,
                queue=queue,
                smtp=smtp,
                log=tmp_path / "worker.log",
                NOTIFICATION_MAX_ATTEMPTS="5",
                WHATSAPP_TIMEOUT="2",
                **gateway.settings(),
            ).start()
            resident = UserFactory(
                email="siti@example.test", whatsapp_number=NUMBER, whatsapp_verified_at=NOW
            )
            booking = book_now(resident)
            row = whatsapp_row(booking)

            smtp.wait_for(1)
            wait_until(
                lambda: "could not be reached" in Notification.objects.get(pk=row.pk).last_error,
                20,
                "a failed attempt",
            )
            assert Notification.objects.get(pk=row.pk).state in (State.PENDING, State.SENDING)
            gateway.up()
            wait_until(
                lambda: Notification.objects.get(pk=row.pk).state == State.SENT,
                30,
                "the WhatsApp row sent",
            )
            time.sleep(1)  # a doubled message would show by now
            assert [m.template for m in gateway.received] == ["haidepok_approved"]
            assert gateway.received[0].reference == f"notification-{row.pk}"
            assert len(smtp.received()) == 1
    finally:
        if worker is not None:
            worker.stop()
        smtp.stop()


def book_now(user) -> Booking:
    """An automatic approval a week ahead, requested now (the worker's clock is real)."""
    facility = open_facility(approval=Facility.Approval.AUTO, name="Balai Rakyat Beji")
    start = clock.local_datetime(clock.local_now().date() + dt.timedelta(days=7), dt.time(10))
    return request_booking(
        facility, start, start + dt.timedelta(hours=2), now=clock.now(), user=user
    )


def test_a_token_without_a_phone_number_id_stops_the_start(django_process):
    result = django_process(["check"], env={"WHATSAPP_TOKEN": "secret"})

    assert result.returncode != 0
    assert "WHATSAPP_PHONE_NUMBER_ID must be set with WHATSAPP_TOKEN" in result.stderr
