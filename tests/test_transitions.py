"""The booking state machine (bookings.services): every transition, legal and illegal, who may
make it, and the BookingEvent each one writes.

    requested ──approve──▶ approved ──(end passes)──▶ completed
        │                     │  └──mark no-show──▶ no_show
        ├──reject (reason)──▶ rejected
        ├──cancel──────────▶ cancelled ◀──cancel
        └──(start passes undecided)──▶ expired
"""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser

from bookings import services
from bookings.errors import BookingError
from bookings.models import Booking, BookingEvent, BookingStatus
from communities.models import Membership
from facilities.models import Facility
from tests.factories import (
    BookingFactory,
    ClosureFactory,
    FacilityFactory,
    MembershipFactory,
    UserFactory,
    assert_refused,
    fast_password_hashing,  # noqa: F401 (a fixture)
    open_facility,
    organizer_of,
    request_booking,
    wib,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

NOW = wib(2027, 2, 20, 10)
START, END = wib(2027, 3, 1, 10), wib(2027, 3, 1, 12)  # a Monday morning
S = BookingStatus


@dataclass
class Cast:
    facility: Facility
    resident: object  # who made the booking
    neighbour: object  # another resident
    staff: object  # Pemkot
    organizer: object  # of the facility's community
    stranger: object  # an organizer of another community
    member: object  # a plain member of the facility's community


def cast_for(approval: str = Facility.Approval.COMMUNITY, **policy) -> Cast:
    facility = open_facility(approval=approval, **policy)
    return Cast(
        facility=facility,
        resident=UserFactory(),
        neighbour=UserFactory(),
        staff=UserFactory(is_staff=True),
        organizer=organizer_of(facility),
        stranger=organizer_of(FacilityFactory()),
        member=MembershipFactory(community=facility.community, role=Membership.Role.MEMBER).user,
    )


@pytest.fixture
def cast() -> Cast:
    return cast_for()


def request(cast: Cast, start=START, end=END, user=None, now=NOW) -> Booking:
    return request_booking(cast.facility, start, end, user=user or cast.resident, now=now)


def events(booking) -> list[tuple]:
    return list(
        BookingEvent.objects.filter(booking=booking).values_list(
            "actor", "from_status", "to_status", "reason"
        )
    )


def refuses(code, change, booking, **kwargs) -> BookingError:
    """`change(booking=..., **kwargs)` raises `code` and changes nothing at all."""
    booking.refresh_from_db()
    status, history = booking.status, events(booking)
    decided = (booking.decided_by_id, booking.decided_at, booking.decision_reason)
    with pytest.raises(BookingError) as info:
        change(booking=booking, **kwargs)
    assert_refused(info.value, code)
    booking.refresh_from_db()
    assert booking.status == status
    assert (booking.decided_by_id, booking.decided_at, booking.decision_reason) == decided
    assert events(booking) == history
    return info.value


# --- request ----------------------------------------------------------------------------------


def test_a_request_waits_for_a_decision(cast):
    booking = request(cast)

    booking.refresh_from_db()
    assert booking.status == S.REQUESTED
    assert booking.decided_by is None and booking.decided_at is None
    assert events(booking) == [(cast.resident.pk, "", S.REQUESTED, "")]


def test_a_facility_with_automatic_approval_approves_at_once():
    cast = cast_for(approval=Facility.Approval.AUTO)

    booking = request(cast)

    booking.refresh_from_db()
    assert booking.status == S.APPROVED
    assert booking.decided_at == NOW
    assert events(booking) == [(cast.resident.pk, "", S.APPROVED, "")]


# --- approve ----------------------------------------------------------------------------------


@pytest.mark.parametrize("approval", [Facility.Approval.CITY, Facility.Approval.COMMUNITY])
def test_staff_approve_a_request_wherever_approval_lies(approval):
    cast = cast_for(approval=approval)
    booking = request(cast)

    services.booking_approve(booking=booking, actor=cast.staff, now=NOW)

    booking.refresh_from_db()
    assert booking.status == S.APPROVED
    assert (booking.decided_by, booking.decided_at) == (cast.staff, NOW)
    assert events(booking)[-1] == (cast.staff.pk, S.REQUESTED, S.APPROVED, "")
    assert len(events(booking)) == 2


def test_organizers_approve_where_the_facility_delegates_to_their_community(cast):
    booking = request(cast)

    services.booking_approve(booking=booking, actor=cast.organizer, now=NOW)

    booking.refresh_from_db()
    assert (booking.status, booking.decided_by) == (S.APPROVED, cast.organizer)
    assert events(booking)[-1] == (cast.organizer.pk, S.REQUESTED, S.APPROVED, "")


def test_organizers_do_not_approve_where_pemkot_decides():
    cast = cast_for(approval=Facility.Approval.CITY)
    booking = request(cast)

    refuses("not_allowed", services.booking_approve, booking, actor=cast.organizer, now=NOW)


@pytest.mark.parametrize("who", ["stranger", "member", "resident", "neighbour"])
def test_nobody_else_approves_or_rejects(cast, who):
    booking = request(cast)
    actor = getattr(cast, who)

    refuses("not_allowed", services.booking_approve, booking, actor=actor, now=NOW)
    refuses(
        "not_allowed",
        services.booking_reject,
        booking,
        actor=actor,
        reason="Tidak",
        category="other",
        now=NOW,
    )


def test_a_request_is_not_approved_once_its_start_has_come(cast):
    booking = request(cast)

    refuses("in_past", services.booking_approve, booking, actor=cast.staff, now=START)


def test_a_request_is_not_approved_into_a_closure_made_since(cast):
    booking = request(cast)
    ClosureFactory(facility=cast.facility, start=START, end=END, reason="Banjir")

    error = refuses("closed", services.booking_approve, booking, actor=cast.staff, now=NOW)
    assert "Banjir" in error.message


# --- reject -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["staff", "organizer"])
def test_a_rejection_records_who_and_why(cast, who):
    booking = request(cast)
    actor = getattr(cast, who)

    services.booking_reject(
        category="other",
        booking=booking,
        actor=actor,
        reason="  Dipakai acara kelurahan  ",
        now=NOW,
    )

    booking.refresh_from_db()
    assert booking.status == S.REJECTED
    assert (booking.decided_by, booking.decided_at) == (actor, NOW)
    assert booking.decision_reason == "Dipakai acara kelurahan"
    assert events(booking)[-1] == (actor.pk, S.REQUESTED, S.REJECTED, "Dipakai acara kelurahan")


@pytest.mark.parametrize("reason", ["", "   ", "\n\t "])
def test_a_rejection_needs_a_reason(cast, reason):
    booking = request(cast)

    error = refuses(
        "reason_required",
        services.booking_reject,
        booking,
        actor=cast.staff,
        reason=reason,
        category="other",
    )
    assert error.by_field() == {"reason": [error.message]}


# --- cancel -----------------------------------------------------------------------------------


def test_a_resident_cancels_until_cancel_hours_before_the_start():
    cast = cast_for(approval=Facility.Approval.AUTO, cancel_hours=24, max_active_per_user=2)
    deadline = START - dt.timedelta(hours=24)
    late, in_time = request(cast), request(cast, start=wib(2027, 3, 1, 14), end=wib(2027, 3, 1, 16))

    error = refuses(
        "cancel_too_late",
        services.booking_cancel,
        late,
        actor=cast.resident,
        now=deadline + dt.timedelta(minutes=1),
    )
    assert "24" in error.message
    services.booking_cancel(
        booking=in_time, actor=cast.resident, now=deadline + dt.timedelta(hours=4)
    )
    services.booking_cancel(booking=late, actor=cast.resident, now=deadline)  # exactly on time

    for booking in (late, in_time):
        booking.refresh_from_db()
        assert booking.status == S.CANCELLED
        assert events(booking)[-1] == (cast.resident.pk, S.APPROVED, S.CANCELLED, "")


def test_a_resident_withdraws_an_undecided_request_after_the_cancel_deadline_until_it_starts():
    cast = cast_for(cancel_hours=24, max_active_per_user=2)
    withdrawn = request(cast)
    started = request(cast, start=wib(2027, 3, 1, 14), end=wib(2027, 3, 1, 16))

    services.booking_cancel(
        booking=withdrawn, actor=cast.resident, now=START - dt.timedelta(minutes=1)
    )
    refuses(
        "in_past",
        services.booking_cancel,
        started,
        actor=cast.resident,
        now=wib(2027, 3, 1, 14),
    )

    withdrawn.refresh_from_db()
    assert withdrawn.status == S.CANCELLED
    assert events(withdrawn)[-1] == (cast.resident.pk, S.REQUESTED, S.CANCELLED, "")


def test_a_resident_cancels_an_approved_booking_and_may_say_why():
    cast = cast_for(approval=Facility.Approval.AUTO)
    booking = request(cast)

    services.booking_cancel(booking=booking, actor=cast.resident, reason=" Acara batal ", now=NOW)

    booking.refresh_from_db()
    assert booking.status == S.CANCELLED
    assert events(booking)[-1] == (cast.resident.pk, S.APPROVED, S.CANCELLED, "Acara batal")


@pytest.mark.parametrize("who", ["staff", "organizer"])
def test_staff_and_organizers_cancel_any_time_with_a_reason(cast, who):
    booking = request(cast)
    services.booking_approve(booking=booking, actor=cast.staff, now=NOW)
    actor = getattr(cast, who)
    after_the_start = START + dt.timedelta(minutes=30)

    refuses(
        "reason_required",
        services.booking_cancel,
        booking,
        actor=actor,
        reason=" ",
        now=after_the_start,
    )
    services.booking_cancel(
        booking=booking, actor=actor, reason="Gedung dipakai posko banjir", now=after_the_start
    )

    booking.refresh_from_db()
    assert booking.status == S.CANCELLED
    assert events(booking)[-1] == (
        actor.pk,
        S.APPROVED,
        S.CANCELLED,
        "Gedung dipakai posko banjir",
    )


@pytest.mark.parametrize("who", ["neighbour", "stranger", "member"])
def test_nobody_else_cancels(cast, who):
    booking = request(cast)

    refuses(
        "not_allowed",
        services.booking_cancel,
        booking,
        actor=getattr(cast, who),
        reason="Iseng",
        now=NOW,
    )


# --- no-show ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["staff", "organizer"])
def test_a_no_show_is_recorded_once_an_approved_booking_has_started(cast, who):
    booking = request(cast)
    services.booking_approve(booking=booking, actor=cast.staff, now=NOW)
    actor = getattr(cast, who)

    refuses(
        "not_started",
        services.booking_mark_no_show,
        booking,
        actor=actor,
        now=START - dt.timedelta(minutes=1),
    )
    # The group may still check in during the grace after the start.
    refuses(
        "no_show_in_grace",
        services.booking_mark_no_show,
        booking,
        actor=actor,
        now=START + dt.timedelta(minutes=29),
    )
    services.booking_mark_no_show(
        booking=booking, actor=actor, now=START + dt.timedelta(minutes=30)
    )

    booking.refresh_from_db()
    assert booking.status == S.NO_SHOW
    assert events(booking)[-1] == (actor.pk, S.APPROVED, S.NO_SHOW, "")


def test_a_no_show_is_recorded_within_48_hours_of_the_end_also_once_completed(cast):
    on_time, too_late = (
        request(cast),
        request(cast, start=wib(2027, 3, 1, 14), end=wib(2027, 3, 1, 16), user=cast.neighbour),
    )
    for booking in (on_time, too_late):
        services.booking_approve(booking=booking, actor=cast.staff, now=NOW)
    # The sweep completes both the evening they end.
    assert services.bookings_sweep(now=wib(2027, 3, 1, 17))["completed"] == 2

    services.booking_mark_no_show(
        booking=on_time, actor=cast.organizer, now=END + dt.timedelta(hours=48)
    )
    error = refuses(
        "no_show_too_late",
        services.booking_mark_no_show,
        too_late,
        actor=cast.organizer,
        now=wib(2027, 3, 1, 16) + dt.timedelta(hours=48, seconds=1),
    )

    assert "48" in error.message
    on_time.refresh_from_db()
    assert on_time.status == S.NO_SHOW
    assert events(on_time)[-1] == (cast.organizer.pk, S.COMPLETED, S.NO_SHOW, "")


@pytest.mark.parametrize("who", ["resident", "neighbour", "stranger", "member"])
def test_only_staff_and_organizers_record_a_no_show(cast, who):
    booking = request(cast)
    services.booking_approve(booking=booking, actor=cast.staff, now=NOW)

    refuses(
        "not_allowed",
        services.booking_mark_no_show,
        booking,
        actor=getattr(cast, who),
        now=START + dt.timedelta(hours=1),
    )


# --- the sweep --------------------------------------------------------------------------------


def test_the_sweep_completes_ended_bookings_and_expires_undecided_ones():
    auto = cast_for(approval=Facility.Approval.AUTO, lead_hours=0)
    other_auto = cast_for(approval=Facility.Approval.AUTO, lead_hours=0)
    city = cast_for(approval=Facility.Approval.CITY, lead_hours=0)
    sweep_at = wib(2027, 3, 1, 12)

    def book(cast, start_hour, end_hour):
        return request(cast, wib(2027, 3, 1, start_hour), wib(2027, 3, 1, end_hour))

    ended = book(auto, 10, 12)  # ends as the sweep runs
    running = book(other_auto, 11, 13)  # started, not ended
    undecided = book(city, 12, 13)  # starts as the sweep runs
    upcoming = book(city, 13, 14)
    cancelled = book(city, 8, 9)
    services.booking_cancel(booking=cancelled, actor=city.resident, now=NOW)
    untouched = {running.pk: S.APPROVED, upcoming.pk: S.REQUESTED, cancelled.pk: S.CANCELLED}
    history = {pk: events(pk) for pk in untouched}

    assert services.bookings_sweep(now=sweep_at) == {"completed": 1, "expired": 1}

    ended.refresh_from_db()
    undecided.refresh_from_db()
    assert ended.status == S.COMPLETED
    assert undecided.status == S.EXPIRED
    assert events(ended)[-1] == (None, S.APPROVED, S.COMPLETED, "")
    assert events(undecided)[-1] == (None, S.REQUESTED, S.EXPIRED, "")
    for pk, status in untouched.items():
        assert Booking.objects.get(pk=pk).status == status
        assert events(pk) == history[pk]

    # Running it again finds nothing more to do.
    event_count = BookingEvent.objects.count()
    assert services.bookings_sweep(now=sweep_at) == {"completed": 0, "expired": 0}
    assert BookingEvent.objects.count() == event_count


# --- illegal transitions ----------------------------------------------------------------------

# The state machine of the design, written out independently of actions.ALLOWED_FROM (a
# no-show may be recorded after the sweep has completed the booking).
LEGAL_FROM = {
    "approve": {S.REQUESTED},
    "reject": {S.REQUESTED},
    "cancel": {S.REQUESTED, S.APPROVED},
    "no_show": {S.APPROVED, S.COMPLETED},
}


def act(action, booking, actor, now):
    if action == "approve":
        return services.booking_approve(booking=booking, actor=actor, now=now)
    if action == "reject":
        return services.booking_reject(
            category="other", booking=booking, actor=actor, reason="Alasan", now=now
        )
    if action == "cancel":
        return services.booking_cancel(booking=booking, actor=actor, reason="Alasan", now=now)
    return services.booking_mark_no_show(booking=booking, actor=actor, now=now)


@pytest.mark.parametrize(
    ("action", "status"),
    [
        (action, status)
        for action, legal in LEGAL_FROM.items()
        for status in S.values
        if status not in legal
    ],
)
def test_an_illegal_transition_is_refused_and_changes_nothing(cast, action, status):
    booking = BookingFactory(
        facility=cast.facility, user=cast.resident, start=START, end=END, status=status
    )
    # A moment when the action would otherwise be allowed (a no-show needs a started booking).
    now = START + dt.timedelta(minutes=30) if action == "no_show" else NOW

    refuses(
        "invalid_transition",
        lambda booking: act(action, booking, cast.staff, now),
        booking,
    )


@pytest.mark.parametrize(
    ("action", "status"),
    [(action, status) for action, legal in LEGAL_FROM.items() for status in legal],
)
def test_every_legal_transition_writes_one_event(cast, action, status):
    booking = BookingFactory(facility=cast.facility, user=cast.resident, start=START, end=END)
    Booking.objects.filter(pk=booking.pk).update(status=status)
    now = START + dt.timedelta(minutes=30) if action == "no_show" else NOW

    changed = act(action, booking, cast.staff, now)

    to_status = {
        "approve": S.APPROVED,
        "reject": S.REJECTED,
        "cancel": S.CANCELLED,
        "no_show": S.NO_SHOW,
    }[action]
    assert Booking.objects.get(pk=booking.pk).status == changed.status == to_status
    assert events(booking) == [
        (cast.staff.pk, status, to_status, "" if action in ("approve", "no_show") else "Alasan")
    ]


# --- the slot after an ending -----------------------------------------------------------------


@pytest.mark.parametrize("ending", ["cancel", "reject"])
def test_a_cancelled_or_rejected_booking_frees_its_slot(cast, ending):
    booking = request(cast)
    with pytest.raises(BookingError) as info:
        request(cast, user=cast.neighbour)
    assert info.value.code == "slot_taken"

    act(ending, booking, cast.staff, NOW)

    again = request(cast, user=cast.neighbour)
    assert again.status == S.REQUESTED
    assert Booking.objects.holding_slot().filter(facility=cast.facility).get() == again


@pytest.mark.parametrize("action", list(LEGAL_FROM))
def test_a_visitor_who_is_not_signed_in_changes_nothing(cast, action):
    booking = request(cast)
    if action == "no_show":
        services.booking_approve(booking=booking, actor=cast.staff, now=NOW)
    now = START + dt.timedelta(minutes=30) if action == "no_show" else NOW

    refuses("not_allowed", lambda booking: act(action, booking, AnonymousUser(), now), booking)
