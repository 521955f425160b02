"""The audit trail is immutable for everyone: bookings, their events and the kept conflicts are
never deleted (nor edited by hand) in the admin, not even by a superuser, and an event is never
rewritten or deleted through the ORM.

A booking changes only through bookings.services (the admin's decision actions call them, each
writing a new event); what happened stays written.
"""

import pytest
from django.db import IntegrityError, transaction

from bookings.models import Booking, BookingEvent, BookingStatus, KeptConflict
from tests.admin_support import run_action
from tests.factories import (
    BookingFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

RECORDS = ["booking", "bookingevent", "keptconflict"]


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def trail():
    booking = BookingFactory(purpose="Rapat RW 05")
    event = booking.events.create(
        to_status=BookingStatus.REQUESTED, reason="Diajukan", actor=booking.user
    )
    kept = KeptConflict.objects.create(booking=booking, rules="too_long")
    return {"booking": booking, "bookingevent": event, "keptconflict": kept}


def everything_is_kept(trail) -> None:
    booking, event = trail["booking"], trail["bookingevent"]
    assert Booking.objects.filter(pk=booking.pk, purpose="Rapat RW 05").exists()
    assert BookingEvent.objects.filter(pk=event.pk, reason="Diajukan").exists()
    assert KeptConflict.objects.filter(pk=trail["keptconflict"].pk, rules="too_long").exists()


@pytest.mark.parametrize("model", RECORDS)
def test_a_superuser_cannot_open_the_delete_page_nor_post_it(superuser_client, trail, model):
    url = f"/admin/bookings/{model}/{trail[model].pk}/delete/"

    assert superuser_client.get(url).status_code == 403
    assert superuser_client.post(url, {"post": "yes"}).status_code == 403

    everything_is_kept(trail)


@pytest.mark.parametrize("model", RECORDS)
def test_a_superuser_is_offered_no_delete_action(superuser_client, trail, model):
    changelist = superuser_client.get(f"/admin/bookings/{model}/")

    assert changelist.status_code == 200
    model_admin = changelist.context["cl"].model_admin
    assert "delete_selected" not in model_admin.get_actions(changelist.wsgi_request)
    assert not model_admin.has_delete_permission(changelist.wsgi_request, trail[model])


@pytest.mark.parametrize("model", RECORDS)
def test_a_posted_delete_action_deletes_nothing(superuser_client, trail, model):
    run_action(superuser_client, "delete_selected", [trail[model]], url=f"/admin/bookings/{model}/")
    run_action(
        superuser_client,
        "delete_selected",
        [trail[model]],
        url=f"/admin/bookings/{model}/",
        post="yes",
    )

    everything_is_kept(trail)


@pytest.mark.parametrize("model", ["bookingevent", "keptconflict"])
def test_a_superuser_cannot_change_an_event_or_a_kept_conflict(superuser_client, trail, model):
    url = f"/admin/bookings/{model}/{trail[model].pk}/change/"

    response = superuser_client.post(url, {"reason": "Ditulis ulang", "rules": "x"})

    assert response.status_code == 403
    everything_is_kept(trail)


def test_a_superuser_cannot_edit_a_booking_by_hand(superuser_client, trail):
    booking = trail["booking"]
    url = f"/admin/bookings/booking/{booking.pk}/change/"

    page = superuser_client.get(url)
    superuser_client.post(url, {"purpose": "Ditulis ulang", "status": "approved"})

    assert page.context["adminform"].form.fields == {}
    everything_is_kept(trail)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED


# --- The model ------------------------------------------------------------------------------


def test_an_event_cannot_be_changed_once_written(trail):
    event = BookingEvent.objects.get(pk=trail["bookingevent"].pk)
    event.reason = "Ditulis ulang"

    with pytest.raises(BookingEvent.Immutable, match="audit trail"):
        event.save()
    with pytest.raises(BookingEvent.Immutable):
        event.save(update_fields=["reason"])

    assert BookingEvent.objects.get(pk=event.pk).reason == "Diajukan"


def test_an_event_cannot_be_deleted(trail):
    event = trail["bookingevent"]

    with pytest.raises(BookingEvent.Immutable, match="audit trail"):
        event.delete()

    assert BookingEvent.objects.filter(pk=event.pk).exists()


def test_an_event_with_the_id_of_another_cannot_overwrite_it(trail):
    event = trail["bookingevent"]
    impostor = BookingEvent(
        pk=event.pk,
        booking=event.booking,
        to_status=BookingStatus.CANCELLED,
        reason="Palsu",
        created_at=event.created_at,
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        impostor.save()

    assert BookingEvent.objects.get(pk=event.pk).reason == "Diajukan"


def test_new_events_are_still_written(trail):
    booking = trail["booking"]

    booking.events.create(to_status=BookingStatus.CANCELLED, reason="Acara ditunda")

    assert booking.events.count() == 2


def test_deleting_an_account_keeps_its_bookings_and_their_events(trail):
    from accounts.services import account_delete

    booking = trail["booking"]
    resident = booking.user
    event = trail["bookingevent"]

    account_delete(user=resident)

    booking.refresh_from_db()
    assert booking.user is None
    assert booking.events.filter(pk=event.pk, actor=None, reason="Diajukan").exists()


def test_a_booking_with_its_history_cannot_be_deleted_by_any_code():
    from django.db.models import ProtectedError

    from bookings import services
    from tests.factories import open_facility, request_booking, wib

    facility = open_facility(approval="auto", lead_hours=0)
    booking = request_booking(
        facility, wib(2027, 3, 1, 10), wib(2027, 3, 1, 11), now=wib(2027, 2, 20, 9)
    )
    services.bookings_sweep(now=wib(2027, 3, 1, 12))

    with pytest.raises(ProtectedError):
        booking.delete()
    with pytest.raises(ProtectedError):
        Booking.objects.filter(pk=booking.pk).delete()
    assert BookingEvent.objects.filter(booking=booking).count() == 2
