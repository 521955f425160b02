"""The service standard's escalation (bookings/escalation.py, beat's escalate_decisions): at
half the time a reminder to the deciders, once overdue a mail to each supervisor, each once,
even with two sweeps at once; withdrawn when the request was decided before it was sent."""

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection

from bookings import escalation, services, tasks
from bookings.models import Booking, BookingStatus, Notification
from bookings.outbox import delivery
from haidepok import clock
from haidepok.celery import app as celery_app
from tests.factories import (
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    open_facility,
    organizer_of,
    request_booking,
    wib,
)
from tests.race_support import race

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

Kind = Notification.Kind
State = Notification.State

# Requested on Monday 1 March 2027 at 09.00: due at the end of Wednesday 3 March (00.00 on
# Thursday 4), 63 hours later; half time is Tuesday 2 March at 16.30.
REQUESTED_AT = wib(2027, 3, 1, 9)
DUE = wib(2027, 3, 4, 0)
HALF = wib(2027, 3, 2, 16, 30)
START, END = wib(2027, 3, 15, 9), wib(2027, 3, 15, 11)


def supervisors_group() -> Group:
    # Made by migration 0012; a transactional test flushes it away, so it is made again.
    group, _ = Group.objects.get_or_create(name=django_settings.SERVICE_STANDARD_SUPERVISORS_GROUP)
    return group


def supervisor(**kwargs):
    user = UserFactory(is_staff=True, pemkot_staff=False, **kwargs)
    user.groups.add(supervisors_group())
    return user


def waiting_request(approval="community", **kwargs) -> Booking:
    facility = kwargs.pop("facility", None) or open_facility(
        approval=approval, lead_hours=0, horizon_days=365
    )
    booking = request_booking(facility, START, END, now=REQUESTED_AT, **kwargs)
    # created_at is the database's clock; the request is made "at" REQUESTED_AT.
    Booking.objects.filter(pk=booking.pk).update(created_at=REQUESTED_AT)
    booking.refresh_from_db()
    assert booking.decision_due_at == DUE
    return booking


def rows(booking, kind) -> list[tuple[str, str]]:
    return sorted(
        Notification.objects.filter(booking=booking, kind=kind).values_list("address", "state")
    )


def send_all() -> list:
    for pk in Notification.objects.filter(state=State.PENDING).values_list("pk", flat=True):
        delivery.deliver(pk)
    return mail.outbox


@pytest.fixture
def community_request():
    facility = open_facility(approval="community", lead_hours=0, horizon_days=365)
    organizers = [
        organizer_of(facility, user=UserFactory(email="ketua@example.test", language="en")),
        organizer_of(facility, user=UserFactory(email="bendahara@example.test")),
    ]
    organizer_of(facility, user=UserFactory(email="pergi@example.test", is_active=False))
    booking = waiting_request(facility=facility)
    return booking, organizers


# --- Half time: the deciders -------------------------------------------------------------


def test_at_half_time_the_deciders_are_reminded_once(community_request):
    booking, _organizers = community_request

    assert escalation.escalate_decisions(now=HALF - dt.timedelta(minutes=1)) == {
        "reminded": 0,
        "overdue": 0,
    }
    assert rows(booking, Kind.DECISION_REMINDER) == []

    assert escalation.escalate_decisions(now=HALF)["reminded"] == 2
    # The same people that were told of the new request (active organizers).
    assert rows(booking, Kind.DECISION_REMINDER) == [
        ("bendahara@example.test", State.PENDING),
        ("ketua@example.test", State.PENDING),
    ]
    booking.refresh_from_db()
    assert booking.decision_reminded_at == HALF

    # A second sweep, and a later one, send nothing more.
    assert escalation.escalate_decisions(now=HALF) == {"reminded": 0, "overdue": 0}
    assert escalation.escalate_decisions(now=HALF + dt.timedelta(hours=1))["reminded"] == 0
    assert len(rows(booking, Kind.DECISION_REMINDER)) == 2


def test_a_city_request_reminds_pemkot_staff(monkeypatch):
    staff = UserFactory(email="staf@example.test", is_staff=True, language="en")
    UserFactory(email="it@example.test", is_staff=True, pemkot_staff=False)
    booking = waiting_request(approval="city")

    escalation.escalate_decisions(now=HALF)

    assert rows(booking, Kind.DECISION_REMINDER) == [("staf@example.test", State.PENDING)]
    monkeypatch.setattr(clock, "now", lambda: HALF)
    [message] = [m for m in send_all() if m.subject.startswith("Please decide")]
    assert message.to == [staff.email]
    # Staff decide in the admin.
    assert f"/admin/bookings/booking/{booking.pk}/change/" in message.body


def test_a_request_decided_before_half_time_reminds_nobody(community_request):
    booking, organizers = community_request
    services.booking_approve(booking=booking, actor=organizers[0], now=HALF - dt.timedelta(hours=1))

    assert escalation.escalate_decisions(now=HALF)["reminded"] == 0
    assert escalation.escalate_decisions(now=DUE)["overdue"] == 0
    assert rows(booking, Kind.DECISION_REMINDER) == []


def test_a_reminder_about_a_request_decided_meanwhile_is_withdrawn(community_request):
    booking, organizers = community_request
    escalation.escalate_decisions(now=HALF)
    # Decided before the worker got to the reminders (a broker outage, a retry).
    services.booking_approve(booking=booking, actor=organizers[0], now=HALF)
    mail.outbox.clear()

    send_all()

    assert {state for _address, state in rows(booking, Kind.DECISION_REMINDER)} == {State.WITHDRAWN}
    assert not [m for m in mail.outbox if m.subject.startswith(("Please decide", "Mohon putuskan"))]


def test_the_reminder_mail_links_to_the_workspace_with_the_deadline(community_request, monkeypatch):
    booking, _organizers = community_request
    escalation.escalate_decisions(now=HALF)
    monkeypatch.setattr(clock, "now", lambda: HALF)
    mail.outbox.clear()

    reminders = [m for m in send_all() if "decide" in m.subject or "putuskan" in m.subject]

    [english] = [m for m in reminders if m.to == ["ketua@example.test"]]
    assert english.subject == f"Please decide request {booking.reference} by Wednesday, 3 March"
    assert "Decide by Wednesday, 3 March (1\xa0day, 7\xa0hours left)." in english.body
    assert f"/kelola/booking/{booking.reference}/" in english.body
    [(html, _mimetype)] = english.alternatives
    assert f"/kelola/booking/{booking.reference}/" in html
    # The other organizer reads it in Indonesian, the site's language.
    [indonesian] = [m for m in reminders if m.to == ["bendahara@example.test"]]
    assert indonesian.subject == (
        f"Mohon putuskan permohonan {booking.reference} paling lambat Rabu, 3 Maret"
    )


# --- Overdue: the supervisors ---------------------------------------------------------------


def test_an_overdue_request_is_reported_once_to_each_supervisor(community_request):
    booking, _organizers = community_request
    supervisor(email="pengawas1@example.test")
    supervisor(email="pengawas2@example.test")
    supervisor(email="mantan@example.test", is_active=False)
    UserFactory(email="bukan@example.test", is_staff=True)  # staff, not a supervisor

    assert escalation.escalate_decisions(now=DUE - dt.timedelta(seconds=1)) == {
        "reminded": 2,
        "overdue": 0,
    }
    assert escalation.escalate_decisions(now=DUE) == {"reminded": 0, "overdue": 2}

    assert rows(booking, Kind.DECISION_OVERDUE) == [
        ("pengawas1@example.test", State.PENDING),
        ("pengawas2@example.test", State.PENDING),
    ]
    booking.refresh_from_db()
    assert booking.decision_escalated_at == DUE
    assert escalation.escalate_decisions(now=DUE + dt.timedelta(hours=5)) == {
        "reminded": 0,
        "overdue": 0,
    }
    assert len(rows(booking, Kind.DECISION_OVERDUE)) == 2


def test_the_overdue_mail_says_who_decides_and_links_to_the_admin(community_request, monkeypatch):
    booking, _organizers = community_request
    supervisor(email="pengawas@example.test", language="en")
    escalation.escalate_decisions(now=DUE)
    monkeypatch.setattr(clock, "now", lambda: DUE + dt.timedelta(hours=2))
    mail.outbox.clear()

    send_all()

    [message] = [m for m in mail.outbox if m.to == ["pengawas@example.test"]]
    assert message.subject.startswith(f"Overdue: request {booking.reference} at ")
    assert "within the service standard of 2 working days" in message.body
    assert "It was due by Wednesday, 3 March (overdue by 2\xa0hours)." in message.body
    assert f"The organizers of {booking.facility.community.name} decide it." in message.body
    assert f"/admin/bookings/booking/{booking.pk}/change/" in message.body


def test_with_no_supervisor_the_request_waits_to_be_reported(community_request):
    booking, _organizers = community_request
    supervisors_group().user_set.clear()

    assert escalation.escalate_decisions(now=DUE)["overdue"] == 0
    booking.refresh_from_db()
    assert booking.decision_escalated_at is None

    # Once someone watches, the next sweep tells them.
    supervisor(email="pengawas@example.test")
    assert escalation.escalate_decisions(now=DUE + dt.timedelta(minutes=10))["overdue"] == 1


def test_an_overdue_report_about_a_request_decided_meanwhile_is_withdrawn(community_request):
    booking, organizers = community_request
    supervisor(email="pengawas@example.test")
    escalation.escalate_decisions(now=DUE)
    services.booking_reject(
        category="other", booking=booking, actor=organizers[0], reason="Penuh", now=DUE
    )
    mail.outbox.clear()

    send_all()

    assert rows(booking, Kind.DECISION_OVERDUE) == [("pengawas@example.test", State.WITHDRAWN)]
    assert not [m for m in mail.outbox if m.to == ["pengawas@example.test"]]


# --- Beat ---------------------------------------------------------------------------------


def test_beat_runs_the_escalation_every_ten_minutes():
    [entry] = [
        entry
        for entry in celery_app.conf.beat_schedule.values()
        if entry["task"] == "bookings.tasks.escalate_decisions"
    ]
    assert entry["schedule"].minute == set(range(0, 60, 10))
    assert entry["options"]["expires"] < 10 * 60
    celery_app.loader.import_default_modules()
    assert "bookings.tasks.escalate_decisions" in celery_app.tasks


def test_the_task_escalates_at_the_present_moment(community_request, monkeypatch):
    booking, _organizers = community_request
    supervisor(email="pengawas@example.test")
    monkeypatch.setattr(clock, "now", lambda: DUE)

    assert tasks.escalate_decisions() == {"reminded": 2, "overdue": 1}


# --- Two sweeps at once ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serialises every write transaction anyway"
)
def test_two_sweeps_at_once_send_each_once():
    facility = open_facility(approval="community", lead_hours=0, horizon_days=365)
    organizer_of(facility)
    organizer_of(facility)
    supervisor()
    supervisor()
    bookings = [
        request_booking(
            facility,
            START + dt.timedelta(hours=3 * i),
            END + dt.timedelta(hours=3 * i),
            now=REQUESTED_AT,
        )
        for i in range(4)
    ]
    Booking.objects.update(created_at=REQUESTED_AT)
    outcomes = race(lambda i: escalation.escalate_decisions(now=DUE), threads=2)

    assert all(isinstance(outcome, dict) for outcome in outcomes), outcomes
    assert sum(outcome["reminded"] for outcome in outcomes) == 4 * 2
    assert sum(outcome["overdue"] for outcome in outcomes) == 4 * 2
    for booking in bookings:
        assert (
            Notification.objects.filter(booking=booking, kind=Kind.DECISION_REMINDER).count() == 2
        )
        assert Notification.objects.filter(booking=booking, kind=Kind.DECISION_OVERDUE).count() == 2
    assert not Booking.objects.filter(status=BookingStatus.REQUESTED, decision_escalated_at=None)
