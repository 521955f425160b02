"""One rule for "these two bookings clash": bookings.rules.overlaps, the query
(BookingQuerySet.overlapping) and, on PostgreSQL, the exclusion constraint all agree on it,
for random pairs of times and buffers, edges included (a buffer ending as the next booking
starts is no clash)."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookings import rules
from bookings.models import Booking, BookingStatus
from tests.factories import BookingFactory, FacilityFactory, wib

pytestmark = pytest.mark.django_db

ORIGIN = wib(2027, 3, 1, 8)
# (start, length, buffer) in quarters of an hour: small numbers, so that edges meet often.
SPANS = st.tuples(st.integers(0, 16), st.integers(1, 8), st.integers(0, 4))


def _span(start, length, buffer):
    begin = ORIGIN + dt.timedelta(minutes=15 * start)
    end = begin + dt.timedelta(minutes=15 * length)
    return begin, end, end + dt.timedelta(minutes=15 * buffer)


def test_the_edges():
    ten, eleven, noon = wib(2027, 3, 1, 10), wib(2027, 3, 1, 11), wib(2027, 3, 1, 12)
    assert not rules.overlaps(ten, eleven, eleven, noon)  # one ends (buffer included) as one starts
    assert rules.overlaps(ten, eleven + dt.timedelta(seconds=1), eleven, noon)
    assert rules.overlaps(ten, noon, eleven, eleven + dt.timedelta(minutes=15))  # inside
    assert rules.overlaps(eleven, noon, ten, noon) == rules.overlaps(ten, noon, eleven, noon)


def test_the_query_and_the_constraint_agree_with_the_rule():
    facility = FacilityFactory()

    @settings(
        max_examples=80,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(first=SPANS, second=SPANS)
    def agree(first, second):
        start, end, until = _span(*first)
        other_start, other_end, other_until = _span(*second)
        expected = rules.overlaps(start, until, other_start, other_until)
        with transaction.atomic():
            BookingFactory(facility=facility, user=None, start=start, end=end, blocked_until=until)

            found = Booking.objects.overlapping(facility, other_start, other_until).exists()
            assert found == expected

            if connection.vendor == "postgresql":
                try:
                    with transaction.atomic():
                        BookingFactory(
                            facility=facility,
                            user=None,
                            start=other_start,
                            end=other_end,
                            blocked_until=other_until,
                            status=BookingStatus.APPROVED,
                        )
                    refused = False
                except IntegrityError:
                    refused = True
                assert refused == expected
            transaction.set_rollback(True)

    agree()
