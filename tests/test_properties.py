"""Random sequences of requests, decisions, cancellations, closures and sweeps while time moves
on, checked against a small model of the rules written independently of bookings.rules.

After every step: no two slot-holding bookings of a facility overlap (buffers included), every
held booking meets the rules it was admitted under, each booking's status is the model's, and
each change wrote exactly one event. Each request's outcome (accepted, or the exact set of
refusal codes) must be the model's too.
"""

import datetime as dt
import os
from dataclasses import dataclass

import holidays
import pytest
from django.conf import settings as django_settings
from django.db import transaction
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from bookings import services
from bookings.errors import BookingError
from bookings.models import Booking, BookingEvent, BookingStatus
from facilities.models import Closure, Facility
from haidepok import clock
from tests.factories import (
    ClosureFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    open_facility,
    wib,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

S = BookingStatus
HOLDING = {S.REQUESTED, S.APPROVED}
HOLIDAYS = holidays.country_holidays("ID", years=[2027])
START_OF_TIME = wib(2027, 3, 1, 6)  # a Monday morning; Nyepi and Eid follow a week later

# Two facilities with different policies: a hall with a midday break, 30-minute slots, a
# buffer and a lead time, closed on holidays; a field open all day in two-hour bookings.
POLICIES = [
    {
        "hours": [(dt.time(8), dt.time(12)), (dt.time(13), dt.time(20))],
        "slot_minutes": 30,
        "min_slots": 1,
        "max_slots": 4,
        "buffer_minutes": 30,
        "lead_hours": 5,
        "horizon_days": 3,
        "max_active_per_user": 1,
        "cancel_hours": 6,
        "capacity": 50,
        "approval": Facility.Approval.CITY,
        "closed_on_public_holidays": True,
    },
    {
        "hours": [(dt.time(6), dt.time(22))],
        "slot_minutes": 60,
        "min_slots": 2,
        "max_slots": 3,
        "buffer_minutes": 0,
        "lead_hours": 0,
        "horizon_days": 2,
        "max_active_per_user": 3,
        "cancel_hours": 0,
        "capacity": 20,
        "approval": Facility.Approval.AUTO,
        "closed_on_public_holidays": False,
    },
]


@dataclass
class Held:
    """The model's view of one booking."""

    facility: int
    user: int
    start: dt.datetime
    end: dt.datetime
    blocked_until: dt.datetime
    attendees: int
    status: str
    admitted_at: dt.datetime
    events: int = 1


class BookingMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # Each example runs in a savepoint of its own, rolled back at teardown.
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.now = START_OF_TIME
        self.policies = POLICIES
        self.facilities = [open_facility(**policy) for policy in POLICIES]
        self.residents = [UserFactory() for _ in range(3)]
        self.staff = UserFactory(is_staff=True)
        self.bookings: dict[int, Held] = {}
        self.closures: list[tuple[int | None, dt.datetime, dt.datetime]] = []

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    # --- the model of the rules ---------------------------------------------------------------

    def closed(self, index, start, end) -> bool:
        for facility, closure_start, closure_end in self.closures:
            if facility in (None, index) and closure_start < end and closure_end > start:
                return True
        if self.policies[index]["closed_on_public_holidays"]:
            first, last = clock.to_local(start), clock.to_local(end - dt.timedelta(microseconds=1))
            return first.date() in HOLIDAYS or last.date() in HOLIDAYS
        return False

    def expected_refusals(self, index, user, start, end, attendees) -> set[str]:
        policy = self.policies[index]
        slot = policy["slot_minutes"]
        local_start, local_end = clock.to_local(start), clock.to_local(end)
        codes = set()

        def on_grid(moment):
            return (moment.hour * 60 + moment.minute) % slot == 0 and moment.second == 0

        if not (on_grid(local_start) and on_grid(local_end)):
            codes.add("not_on_grid")
        if end - start < dt.timedelta(minutes=policy["min_slots"] * slot):
            codes.add("too_short")
        elif end - start > dt.timedelta(minutes=policy["max_slots"] * slot):
            codes.add("too_long")
        if start <= self.now:
            codes.add("in_past")
        elif start < self.now + dt.timedelta(hours=policy["lead_hours"]):
            codes.add("too_soon")
        elif local_start.date() > clock.to_local(self.now).date() + dt.timedelta(
            days=policy["horizon_days"]
        ):
            codes.add("beyond_horizon")
        if local_start.date() != local_end.date() or not any(
            opens <= local_start.time() and local_end.time() <= closes
            for opens, closes in policy["hours"]
        ):
            codes.add("outside_opening_hours")
        if self.closed(index, start, end):
            codes.add("closed")
        if attendees > policy["capacity"]:
            codes.add("over_capacity")
        active = [
            held
            for held in self.bookings.values()
            if held.facility == index
            and held.user == user
            and held.status in HOLDING
            and held.end > self.now
        ]
        if len(active) >= policy["max_active_per_user"]:
            codes.add("quota_exceeded")
        blocked_until = end + dt.timedelta(minutes=policy["buffer_minutes"])
        if any(
            held.facility == index
            and held.status in HOLDING
            and held.start < blocked_until
            and held.blocked_until > start
            for held in self.bookings.values()
        ):
            codes.add("slot_taken")
        return codes

    # --- the steps ----------------------------------------------------------------------------

    @rule(
        index=st.integers(0, 1),
        user=st.integers(0, 2),
        day=st.integers(0, 3),
        data=st.data(),
        # Mostly on the grid and within capacity, so that many requests are accepted and the
        # later ones meet them; sometimes 10 minutes off every grid, or a crowd.
        off_start=st.sampled_from([0] * 7 + [10]),
        off_end=st.sampled_from([0] * 7 + [-10]),
        attendees=st.one_of(st.integers(1, 20), st.integers(1, 20), st.integers(1, 60)),
    )
    def request(self, index, user, day, data, off_start, off_end, attendees):
        self.try_request(index, user, day, data, off_start, off_end, attendees)

    @initialize(data=st.data(), count=st.integers(2, 8))
    def a_few_plain_requests(self, data, count):
        """Start each history with some bookings on the grid, so decisions have work."""
        for _ in range(count):
            self.try_request(
                data.draw(st.integers(0, 1)), data.draw(st.integers(0, 2)), 1, data, 0, 0, 5
            )

    def try_request(self, index, user, day, data, off_start, off_end, attendees):
        policy = self.policies[index]
        slot = policy["slot_minutes"]
        first = data.draw(st.integers(5 * 60 // slot, 22 * 60 // slot), label="first slot")
        slots = data.draw(st.integers(1, policy["max_slots"] + 1), label="slots")
        local_day = clock.to_local(self.now).date() + dt.timedelta(days=day)
        start = clock.local_datetime(local_day, dt.time()) + dt.timedelta(
            minutes=slot * first + off_start
        )
        end = start - dt.timedelta(minutes=off_start) + dt.timedelta(minutes=slot * slots + off_end)
        expected = self.expected_refusals(index, user, start, end, attendees)
        try:
            booking = services.booking_request(
                facility=self.facilities[index],
                user=self.residents[user],
                start=start,
                end=end,
                purpose="Acara warga",
                attendees=attendees,
                contact_phone="0812",
                now=self.now,
            )
        except BookingError as error:
            assert set(error.codes) == expected, (start, end)
            event(f"request refused: {' '.join(sorted(expected))}")
            return
        assert expected == set(), (start, end, booking.status)
        event("request accepted")
        auto = policy["approval"] == Facility.Approval.AUTO
        assert booking.status == (S.APPROVED if auto else S.REQUESTED)
        self.bookings[booking.pk] = Held(
            facility=index,
            user=user,
            start=start,
            end=end,
            blocked_until=end + dt.timedelta(minutes=policy["buffer_minutes"]),
            attendees=attendees,
            status=booking.status,
            admitted_at=self.now,
        )

    def decide(self, pk, change, expected_error, to_status):
        """Run `change`; it must raise `expected_error` (a code), or move the booking to
        `to_status` when no error is expected."""
        try:
            change()
        except BookingError as error:
            assert error.code == expected_error, (error.code, expected_error)
            event(f"{to_status}: refused {expected_error}")
            return
        event(f"{to_status}: done")
        assert expected_error is None, expected_error
        self.bookings[pk].status = to_status
        self.bookings[pk].events += 1

    @precondition(lambda self: self.bookings)
    @rule(data=st.data())
    def approve(self, data):
        pk = data.draw(st.sampled_from(sorted(self.bookings)))
        held = self.bookings[pk]
        if held.status != S.REQUESTED:
            expected = "invalid_transition"
        elif held.start <= self.now:
            expected = "in_past"
        elif self.closed(held.facility, held.start, held.end):
            expected = "closed"
        else:
            expected = None
        self.decide(
            pk,
            lambda: services.booking_approve(
                booking=Booking(pk=pk), actor=self.staff, now=self.now
            ),
            expected,
            S.APPROVED,
        )

    @precondition(lambda self: self.bookings)
    @rule(data=st.data(), reason=st.sampled_from(["", "  ", "Dipakai acara RW", "Penuh"]))
    def reject(self, data, reason):
        pk = data.draw(st.sampled_from(sorted(self.bookings)))
        held = self.bookings[pk]
        if held.status != S.REQUESTED:
            expected = "invalid_transition"
        elif not reason.strip():
            expected = "reason_required"
        else:
            expected = None
        self.decide(
            pk,
            lambda: services.booking_reject(
                category="other",
                booking=Booking(pk=pk),
                actor=self.staff,
                reason=reason,
                now=self.now,
            ),
            expected,
            S.REJECTED,
        )

    @precondition(lambda self: self.bookings)
    @rule(data=st.data(), by_staff=st.booleans())
    def cancel(self, data, by_staff):
        pk = data.draw(st.sampled_from(sorted(self.bookings)))
        held = self.bookings[pk]
        cancel_hours = self.policies[held.facility]["cancel_hours"]
        if held.status not in HOLDING:
            expected = "invalid_transition"
        elif by_staff:
            expected = None
        elif held.status == S.REQUESTED:  # undecided: withdrawn until it starts
            expected = "in_past" if self.now >= held.start else None
        elif self.now > held.start - dt.timedelta(hours=cancel_hours):
            expected = "cancel_too_late"
        else:
            expected = None
        actor = self.staff if by_staff else self.residents[held.user]
        self.decide(
            pk,
            lambda: services.booking_cancel(
                booking=Booking(pk=pk), actor=actor, reason="Batal", now=self.now
            ),
            expected,
            S.CANCELLED,
        )

    @precondition(lambda self: self.bookings)
    @rule(data=st.data())
    def mark_no_show(self, data):
        pk = data.draw(st.sampled_from(sorted(self.bookings)))
        held = self.bookings[pk]
        if held.status not in (S.APPROVED, S.COMPLETED):
            expected = "invalid_transition"
        elif held.start > self.now:
            expected = "not_started"
        elif self.now < held.start + dt.timedelta(minutes=django_settings.CHECK_IN_GRACE_MINUTES):
            expected = "no_show_in_grace"
        elif self.now > held.end + dt.timedelta(hours=48):
            expected = "no_show_too_late"
        else:
            expected = None
        self.decide(
            pk,
            lambda: services.booking_mark_no_show(
                booking=Booking(pk=pk), actor=self.staff, now=self.now
            ),
            expected,
            S.NO_SHOW,
        )

    @rule(minutes=st.integers(1, 16 * 60), sweep=st.booleans())
    def time_passes(self, minutes, sweep):
        self.now += dt.timedelta(minutes=minutes)
        if not sweep:
            return
        expected = {"completed": 0, "expired": 0}
        for held in self.bookings.values():
            if held.status == S.APPROVED and held.end <= self.now:
                held.status, held.events = S.COMPLETED, held.events + 1
                expected["completed"] += 1
            elif held.status == S.REQUESTED and held.start <= self.now:
                held.status, held.events = S.EXPIRED, held.events + 1
                expected["expired"] += 1
        assert services.bookings_sweep(now=self.now) == expected
        event(f"sweep: changed {sum(expected.values())}")

    @rule(
        index=st.sampled_from([0, 1, None]),
        day=st.integers(0, 3),
        hour=st.integers(6, 21),
        hours=st.integers(1, 6),
    )
    def close(self, index, day, hour, hours):
        local_day = clock.to_local(self.now).date() + dt.timedelta(days=day)
        start = clock.local_datetime(local_day, dt.time(hour))
        end = start + dt.timedelta(hours=hours)
        facility = None if index is None else self.facilities[index]
        ClosureFactory(facility=facility, start=start, end=end, reason="Perbaikan")
        self.closures.append((index, start, end))

    # --- what must always hold ----------------------------------------------------------------

    @invariant()
    def no_two_holders_overlap_and_each_met_its_rules(self):
        for index, facility in enumerate(self.facilities):
            policy = self.policies[index]
            holders = list(
                Booking.objects.holding_slot().filter(facility=facility).order_by("start")
            )
            for earlier, later in zip(holders, holders[1:], strict=False):
                assert earlier.blocked_until <= later.start, (earlier, later)
            slot = dt.timedelta(minutes=policy["slot_minutes"])
            for booking in holders:
                held = self.bookings[booking.pk]
                local_start, local_end = clock.to_local(booking.start), clock.to_local(booking.end)
                assert (booking.start, booking.end) == (held.start, held.end)
                assert booking.blocked_until == booking.end + dt.timedelta(
                    minutes=policy["buffer_minutes"]
                )
                for moment in (local_start, local_end):
                    assert (moment - moment.replace(hour=0, minute=0)) % slot == dt.timedelta()
                assert policy["min_slots"] * slot <= booking.end - booking.start
                assert booking.end - booking.start <= policy["max_slots"] * slot
                assert local_start.date() == local_end.date()
                assert any(
                    opens <= local_start.time() and local_end.time() <= closes
                    for opens, closes in policy["hours"]
                )
                assert booking.attendees <= policy["capacity"]
                lead = dt.timedelta(hours=policy["lead_hours"])
                assert booking.start >= held.admitted_at + lead

    @invariant()
    def every_status_is_the_models_and_every_change_left_one_event(self):
        statuses = dict(
            Booking.objects.filter(pk__in=list(self.bookings)).values_list("pk", "status")
        )
        assert statuses == {pk: held.status for pk, held in self.bookings.items()}
        assert BookingEvent.objects.filter(booking__in=list(self.bookings)).count() == sum(
            held.events for held in self.bookings.values()
        )
        assert Closure.objects.count() >= len(self.closures)


def test_random_histories_keep_every_booking_rule():
    run_state_machine_as_test(
        BookingMachine,
        settings=settings(
            max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", 60)),
            stateful_step_count=30,
            deadline=None,
        ),
    )
