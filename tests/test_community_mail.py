"""Community mails (Pemkot's verification decision, organizer invitations) go through the
booking outbox (bookings.outbox): written with the change, sent after it, retried, resent by
staff, withdrawn when no longer true. An SMTP outage delays them; it never fails the change
(no 500 for staff or organizers) and never loses the mail.

The SMTP server is the local one of the end-to-end tests (tests/e2e_support.py); the worker
end to end is in tests/test_notifications_e2e.py.
"""

import re

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from bookings import notifications
from bookings.models import Notification
from bookings.outbox import delivery, rendering
from communities import services
from communities.models import Community, Invitation
from tests.admin_support import COMMUNITIES, messages_of, pemkot_staff, run_action
from tests.e2e_support import SmtpSink, free_port, wait_until
from tests.factories import (
    BookingFactory,
    CommunityFactory,
    MembershipFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

Kind = Notification.Kind
State = Notification.State
NOTIFICATIONS = "/admin/bookings/notification/"


@pytest.fixture
def smtp_down(settings):
    """The site sends through SMTP on a port where nothing listens; `back()` starts the local
    SMTP server on that port (answering the sink)."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    sinks = []

    class Smtp:
        @staticmethod
        def back() -> SmtpSink:
            sinks.append(SmtpSink(port=port).start())
            return sinks[0]

    yield Smtp
    for sink in sinks:
        sink.stop()


@pytest.fixture
def staff(client, settings):
    user = pemkot_staff(full_name="Dewi Lestari")
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return user


def pending_community(name="Karang Taruna Limo", language="en"):
    community = CommunityFactory(
        name=name, status=Community.Status.PENDING, email="kt-limo@example.test"
    )
    MembershipFactory(
        community=community, user=UserFactory(email="ketua@example.test", language=language)
    )
    return community


def send_all() -> None:
    for pk in Notification.objects.filter(state=State.PENDING).values_list("pk", flat=True):
        delivery.deliver(pk)


# --- Pemkot's decision ------------------------------------------------------------------------


def test_staff_verify_with_smtp_down_get_no_500_and_the_mail_follows_when_it_is_back(
    client, staff, smtp_down, django_capture_on_commit_callbacks
):
    community = pending_community()

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(client, "verify", [community], url=COMMUNITIES)

    assert response.status_code == 200
    assert messages_of(response) == [
        (
            "success",
            "1 community verified: Karang Taruna Limo. Its organizers are told by email.",
        )
    ]
    community.refresh_from_db()
    assert community.status == Community.Status.VERIFIED
    [row] = Notification.objects.filter(community=community)
    # Tried at once, in-process (no broker in tests), and kept for staff to resend.
    assert (row.kind, row.state, row.address) == (
        Kind.COMMUNITY_VERIFIED,
        State.FAILED,
        "kt-limo@example.test",
    )
    assert "ConnectionRefusedError" in row.last_error
    failed = client.get(f"{NOTIFICATIONS}?state__exact=failed")
    assert list(failed.context["cl"].result_list) == [row]
    assert "Karang Taruna Limo" in failed.content.decode()  # what it is about
    assert client.get(f"{NOTIFICATIONS}{row.pk}/change/").status_code == 200

    sink = smtp_down.back()
    with django_capture_on_commit_callbacks(execute=True):
        run_action(client, "resend", [row], url=NOTIFICATIONS)

    [message] = sink.wait_for(1)
    assert message["To"] == "kt-limo@example.test, ketua@example.test"
    assert message["Subject"] == "Karang Taruna Limo is verified"
    assert message["Message-ID"] == f"<notification-{row.pk}@haidepok.local>"
    assert "can now be published and booked" in message.get_body(("plain",)).get_content()
    row.refresh_from_db()
    assert row.state == State.SENT


def test_a_decline_tells_the_reason_in_the_first_organizer_s_language(staff):
    community = pending_community(language="id")

    services.community_decline(community=community, actor=staff, reason="Data <belum> lengkap.")
    send_all()

    [message] = mail.outbox
    assert sorted(message.to) == ["ketua@example.test", "kt-limo@example.test"]
    assert message.subject == "Karang Taruna Limo tidak terverifikasi"
    assert "Alasan: Data <belum> lengkap." in message.body
    [(html, _mimetype)] = message.alternatives
    assert "Data &lt;belum&gt; lengkap." in html


def test_an_organizer_who_left_before_the_mail_went_out_is_not_sent_it(staff):
    community = pending_community()
    services.community_verify(community=community, actor=staff)
    community.memberships.get().delete()
    MembershipFactory(community=community, user=UserFactory(email="baru@example.test"))

    send_all()

    assert mail.outbox[0].to == ["kt-limo@example.test", "baru@example.test"]


def test_a_decision_reversed_before_its_mail_went_out_is_withdrawn(staff):
    community = pending_community()
    services.community_verify(community=community, actor=staff)
    services.community_decline(community=community, actor=staff, reason="Keliru, maaf.")

    send_all()

    verified = Notification.objects.get(kind=Kind.COMMUNITY_VERIFIED)
    assert verified.state == State.WITHDRAWN
    assert verified.last_error == "No longer sent: the community is now declined."
    assert [m.subject for m in mail.outbox] == ["Karang Taruna Limo was not verified"]


# --- Invitations ------------------------------------------------------------------------------


def invite(client, community, email="Dewi@Example.test"):
    return client.post(f"/kelola/komunitas/{community.slug}/", {"email": email})


@pytest.fixture
def organizer(client):
    membership = MembershipFactory(
        community=CommunityFactory(name="Forum Warga Beji"),
        user=UserFactory(full_name="Alice", email="alice@example.test"),
    )
    client.force_login(membership.user)
    return membership.user


def test_an_invitation_whose_mail_failed_goes_out_when_the_organizer_invites_again(
    client, organizer, smtp_down, django_capture_on_commit_callbacks
):
    community = organizer.communities.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client, community)

    assert response.status_code == 302  # no 500: the invitation is made, its mail waits
    invitation = Invitation.objects.get()
    [row] = invitation.notifications.all()
    assert (row.kind, row.state, row.address) == (
        Kind.INVITATION,
        State.FAILED,
        "dewi@example.test",
    )

    sink = smtp_down.back()
    with django_capture_on_commit_callbacks(execute=True):
        again = invite(client, community, email="dewi@example.test")

    assert again.status_code == 302  # not "already invited"
    assert Invitation.objects.get() == invitation
    [message] = sink.wait_for(1)
    assert message["To"] == "dewi@example.test"
    body = message.get_body(("plain",)).get_content()
    assert "Alice mengundang Anda untuk ikut mengelola Forum Warga Beji" in body
    assert f"/kelola/undangan/{invitation.token}/" in body
    # The failed row itself was sent (a fresh set of attempts), not a second one.
    assert list(invitation.notifications.values_list("pk", "state")) == [(row.pk, State.SENT)]


def test_staff_resend_a_failed_invitation_from_the_outbox(
    client, organizer, smtp_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, organizer.communities.get())
    row = Notification.objects.get(kind=Kind.INVITATION, state=State.FAILED)
    client.force_login(pemkot_staff())
    assert client.get(f"{NOTIFICATIONS}{row.pk}/change/").status_code == 200

    sink = smtp_down.back()
    with django_capture_on_commit_callbacks(execute=True):
        run_action(client, "resend", [row], url=NOTIFICATIONS)

    assert [m["To"] for m in sink.wait_for(1)] == ["dewi@example.test"]
    wait_until(lambda: Notification.objects.get(pk=row.pk).state == State.SENT, 5, "sent")


def test_inviting_again_while_the_mail_is_on_its_way_writes_no_second_one(client, organizer):
    community = organizer.communities.get()

    invite(client, community)
    invite(client, community, email="dewi@example.test")

    [row] = Notification.objects.filter(kind=Kind.INVITATION)
    assert row.state == State.PENDING
    # Once it was sent, inviting again mails the same invitation (the same link) once more.
    send_all()
    invite(client, community)
    assert Invitation.objects.count() == 1
    send_all()
    first, second = mail.outbox
    link = re.compile(r"http://\S+/kelola/undangan/\S+/")
    assert link.search(first.body)[0] == link.search(second.body)[0]
    assert first.extra_headers["Message-ID"] != second.extra_headers["Message-ID"]


def test_an_invitation_accepted_before_its_mail_went_out_is_withdrawn(client, organizer):
    community = organizer.communities.get()
    invite(client, community)
    invitation = Invitation.objects.get()
    dewi = UserFactory(email="dewi@example.test")
    services.invitation_accept(token=invitation.token, user=dewi)

    send_all()

    row = Notification.objects.get(kind=Kind.INVITATION)
    assert row.state == State.WITHDRAWN
    assert row.last_error == "No longer sent: the invitation was accepted."
    assert mail.outbox == []


def test_an_invitation_whose_inviter_left_still_reads_well(organizer):
    community = organizer.communities.get()
    invitation = services.organizer_invite(community=community, inviter=organizer, email="d@x.test")
    Invitation.objects.filter(pk=invitation.pk).update(invited_by=None)
    row = Notification.objects.get(invitation=invitation)
    row.language = "en"

    message = rendering.render(row)

    assert message.text.startswith("You are invited to help organize Forum Warga Beji")
    assert "None" not in message.text


# --- The outbox's rows about communities ----------------------------------------------------


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize(
    "kind", [Kind.COMMUNITY_VERIFIED, Kind.COMMUNITY_DECLINED, Kind.INVITATION]
)
def test_every_community_kind_renders_in_both_languages(organizer, kind, language):
    community = organizer.communities.get()
    about = (
        {
            "invitation": services.organizer_invite(
                community=community, inviter=organizer, email="d@x.test"
            )
        }
        if kind == Kind.INVITATION
        else {"community": community}
    )
    row = Notification(kind=kind, address="x@example.test", language=language, **about)

    message = rendering.render(row)

    assert "Forum Warga Beji" in message.subject and "\n" not in message.subject
    assert "Forum Warga Beji" in message.text and "Forum Warga Beji" in message.html
    assert "{%" not in message.text + message.html


def test_a_row_is_about_exactly_the_thing_its_kind_names(organizer):
    community = organizer.communities.get()
    booking = BookingFactory()
    wrong = [
        {"kind": Kind.COMMUNITY_VERIFIED},  # about nothing
        {"kind": Kind.COMMUNITY_VERIFIED, "booking": booking},
        {"kind": Kind.APPROVED, "community": community},
        {"kind": Kind.APPROVED, "booking": booking, "community": community},
        {"kind": Kind.INVITATION, "community": community},
    ]
    for fields in wrong:
        with pytest.raises(IntegrityError), transaction.atomic():
            Notification.objects.create(address="x@example.test", language="id", **fields)
    Notification.objects.create(
        kind=Kind.COMMUNITY_DECLINED, community=community, address="x@example.test", language="id"
    )


def test_community_mails_are_queued_only_once_the_decision_commits(staff):
    community = pending_community()

    with pytest.raises(RuntimeError), transaction.atomic():
        services.community_verify(community=community, actor=staff)
        raise RuntimeError("the action failed later on")

    assert not Notification.objects.exists()
    assert notifications.resend(Notification.objects.all()) == 0
