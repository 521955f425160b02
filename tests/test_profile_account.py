import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import connection

from accounts import services
from bookings.models import Booking, BookingEvent, BookingStatus, Notification
from bookings.outbox import delivery
from communities.models import Invitation, Membership
from haidepok import clock
from tests.e2e_support import SmtpSink
from tests.factories import (
    BookingFactory,
    CommunityFactory,
    FacilityFactory,
    MembershipFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]


def test_profile_saves_name_phone_and_language(client):
    resident = UserFactory(full_name="Siti", language="id")
    client.force_login(resident)

    response = client.post(
        "/akun/profil/",
        {"full_name": "Siti Rahmawati", "phone": "0812 3456 7890", "language": "en"},
    )

    resident.refresh_from_db()
    assert response.status_code == 302
    assert (resident.full_name, resident.phone, resident.language) == (
        "Siti Rahmawati",
        "0812 3456 7890",
        "en",
    )
    assert response.cookies["django_language"].value == "en"
    assert '<html lang="en">' in client.get("/").content.decode()


def test_profile_refuses_a_bad_phone_and_changes_nothing(client):
    resident = UserFactory(full_name="Siti", phone="0812 1111 2222")
    client.force_login(resident)

    response = client.post(
        "/akun/profil/", {"full_name": "X", "phone": "telepon saya", "language": "id"}
    )

    resident.refresh_from_db()
    assert response.status_code == 400
    assert response.context["profile_form"].errors["phone"]
    assert (resident.full_name, resident.phone) == ("Siti", "0812 1111 2222")


def test_the_preferred_language_follows_the_resident_to_a_new_browser(client):
    resident = UserFactory(language="en")
    client.force_login(resident)

    assert '<html lang="en">' in client.get("/").content.decode()
    client.cookies["django_language"] = "id"  # this browser chose Indonesian with the switch
    assert '<html lang="id">' in client.get("/").content.decode()


def test_deleting_the_account_needs_the_password(client):
    resident = UserFactory()
    client.force_login(resident)

    response = client.post("/akun/profil/hapus/", {"password": "salah"})

    assert response.status_code == 200
    assert response.context["form"].errors["password"]
    assert get_user_model().objects.filter(pk=resident.pk).exists()


def test_deleting_the_account_cancels_upcoming_bookings_and_keeps_an_anonymous_history(client):
    facility = FacilityFactory(cancel_hours=48)
    resident = UserFactory()
    now = clock.now().replace(minute=0, second=0, microsecond=0)
    # Inside the cancel deadline: a resident could not cancel it, the deletion still frees it.
    soon = BookingFactory(
        facility=facility,
        user=resident,
        start=now + dt.timedelta(hours=5),
        end=now + dt.timedelta(hours=6),
        contact_phone="0812 5555 0000",
    )
    later = BookingFactory(
        facility=facility,
        user=resident,
        start=now + dt.timedelta(days=5),
        end=now + dt.timedelta(days=5, hours=1),
        status=BookingStatus.APPROVED,
    )
    past = BookingFactory(
        facility=facility,
        user=resident,
        start=now - dt.timedelta(days=5),
        end=now - dt.timedelta(days=5) + dt.timedelta(hours=1),
        status=BookingStatus.COMPLETED,
    )
    someone_else = BookingFactory(
        facility=facility, start=now + dt.timedelta(days=6), end=now + dt.timedelta(days=6, hours=1)
    )
    client.force_login(resident)

    response = client.post("/akun/profil/hapus/", {"password": "rahasia-depok-123"})

    assert response.status_code == 302
    assert not get_user_model().objects.filter(pk=resident.pk).exists()
    for booking in (soon, later, past, someone_else):
        booking.refresh_from_db()
    assert soon.status == later.status == BookingStatus.CANCELLED
    assert past.status == BookingStatus.COMPLETED
    assert soon.user is None and past.user is None
    assert soon.contact_phone == "" and past.contact_phone == ""
    assert someone_else.status == BookingStatus.REQUESTED and someone_else.user is not None
    cancellation = soon.events.last()
    assert cancellation.to_status == BookingStatus.CANCELLED and cancellation.actor is None
    assert BookingEvent.objects.filter(booking__in=[soon, later, past]).count() >= 2
    assert Booking.objects.count() == 4
    assert client.get("/booking-saya/").status_code == 302  # signed out


# --- The outbox forgets a departing resident; a community keeps an organizer -----------------


@pytest.fixture
def smtp(settings):
    """The local SMTP server of the end-to-end tests, and the site sending to it."""
    sink = SmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", sink.port, 5
    yield sink
    sink.stop()


def outbox_row(booking=None, **fields) -> Notification:
    fields.setdefault("kind", Notification.Kind.REQUEST_RECEIVED)
    fields.setdefault("language", "id")
    return Notification.objects.create(booking=booking, **fields)


def test_deleting_the_account_withdraws_unsent_mails_and_erases_the_address(
    client, smtp, django_capture_on_commit_callbacks
):
    resident = UserFactory(email="siti@example.test")
    EmailAddress.objects.create(user=resident, email="siti.lain@example.test", verified=True)
    upcoming = BookingFactory(user=resident, status=BookingStatus.APPROVED)
    other = BookingFactory(user=UserFactory(email="budi@example.test"))
    State = Notification.State
    sent = outbox_row(upcoming, recipient=resident, address=resident.email, state=State.SENT)
    pending = outbox_row(upcoming, recipient=resident, address=resident.email)
    failed = outbox_row(upcoming, recipient=resident, address=resident.email, state=State.FAILED)
    invitation = Invitation.objects.create(
        community=CommunityFactory(), email="siti.lain@example.test", token="t0k3n"
    )
    invited = outbox_row(
        kind=Notification.Kind.INVITATION, invitation=invitation, address="siti.lain@example.test"
    )
    to_budi = outbox_row(other, recipient=other.user, address="budi@example.test")
    rows_before = Notification.objects.count()
    client.force_login(resident)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/akun/profil/hapus/", {"password": "rahasia-depok-123"})

    assert response.status_code == 302
    # The rows stay, for the audit trail, with one more: the cancellation of the upcoming
    # booking, written by the deletion and withdrawn with the rest.
    assert Notification.objects.count() == rows_before + 1
    cancellation = Notification.objects.get(kind=Notification.Kind.CANCELLED)
    for row in (sent, pending, failed, invited, cancellation, to_budi):
        row.refresh_from_db()
    assert sent.state == State.SENT
    assert pending.state == failed.state == invited.state == cancellation.state == State.WITHDRAWN
    assert pending.last_error == "No longer sent: the recipient deleted their account."
    assert {row.address for row in (sent, pending, failed, invited, cancellation)} == {""}
    assert sent.recipient is None
    assert (to_budi.state, to_budi.address) == (State.PENDING, "budi@example.test")
    assert smtp.attempted == []  # nothing went to their address, not even the cancellation
    assert not Notification.objects.filter(address__icontains="siti").exists()


def test_a_row_whose_address_was_erased_is_never_sent(client):
    # A worker was sending it when the account went: its retry, later, sends nothing.
    resident = UserFactory()
    booking = BookingFactory(user=resident)
    row = outbox_row(booking, recipient=resident, address=resident.email)
    Notification.objects.filter(pk=row.pk).update(state=Notification.State.SENDING)
    services.account_delete(user=resident)
    Notification.objects.filter(pk=row.pk).update(state=Notification.State.PENDING)

    assert delivery.deliver(row.pk).status == "withdrawn"


@pytest.fixture
def last_organizer():
    organizer = UserFactory(email="ketua@example.test")
    MembershipFactory(user=organizer, community=CommunityFactory(name="Karang Taruna Limo"))
    # Organizer with another organizer there: no refusal for this one.
    shared = CommunityFactory(name="Forum Warga Beji")
    MembershipFactory(user=organizer, community=shared)
    MembershipFactory(community=shared)
    return organizer


@pytest.mark.parametrize(
    "language, says",
    [
        (
            "en",
            "You are the last organizer of Karang Taruna Limo. Invite another organizer there, "
            "and wait until they accept, before deleting your account.",
        ),
        ("id", "Anda pengelola terakhir Karang Taruna Limo."),
    ],
)
def test_the_last_organizer_of_a_community_cannot_delete_their_account(
    client, settings, last_organizer, language, says
):
    client.force_login(last_organizer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    booking = BookingFactory(user=last_organizer)

    page = client.get("/akun/profil/hapus/")
    response = client.post("/akun/profil/hapus/", {"password": "rahasia-depok-123"})

    assert says in page.content.decode()
    assert response.status_code == 409
    assert says in response.content.decode()
    assert get_user_model().objects.filter(pk=last_organizer.pk).exists()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED  # nothing of the deletion happened
    assert Membership.objects.filter(user=last_organizer).count() == 2


def test_the_service_refuses_and_names_every_community_left_without_organizer(last_organizer):
    MembershipFactory(user=last_organizer, community=CommunityFactory(name="Bank Sampah Cinere"))

    with pytest.raises(services.AccountError) as refusal:
        services.account_delete(user=last_organizer)

    assert refusal.value.code == "last_organizer"
    assert "Bank Sampah Cinere, Karang Taruna Limo." in refusal.value.message
    assert "Forum Warga Beji" not in refusal.value.message


def test_an_organizer_whose_community_keeps_another_may_delete_their_account(client):
    community = CommunityFactory()
    leaving, staying = (
        MembershipFactory(community=community),
        MembershipFactory(community=community),
    )
    client.force_login(leaving.user)

    response = client.post("/akun/profil/hapus/", {"password": "rahasia-depok-123"})

    assert response.status_code == 302
    assert list(community.memberships.values_list("user", flat=True)) == [staying.user_id]


@pytest.mark.django_db(transaction=True)
def test_two_last_organizers_deleting_their_accounts_at_once_leave_one():
    community = CommunityFactory()
    first, second = MembershipFactory(community=community), MembershipFactory(community=community)
    barrier = threading.Barrier(2)

    def delete(user):
        barrier.wait()
        try:
            services.account_delete(user=user)
            return "deleted"
        except services.AccountError as error:
            return error.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(delete, [first.user, second.user]))

    assert outcomes == ["deleted", "last_organizer"]
    assert community.memberships.filter(role=Membership.Role.ORGANIZER).count() == 1
