"""What every mail of the site says about the site itself and about time: never
"example.com" (Django's default Site, which allauth's mails name unless it is set from
SITE_URL: haidepok/sites.py), and times written "18.00" as the site writes them.

Every kind of outbox mail is rendered by the real renderer, in both languages, for a priced
booking that was approved and paid (so its invoice and receipt parts are there too); allauth's
own mails are triggered through the site, as a visitor would.
"""

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.sites.models import Site
from django.core import mail
from django.urls import reverse

from bookings import services
from bookings.models import BOOKING_KINDS, COMMUNITY_KINDS, Notification
from bookings.outbox import delivery, rendering
from communities.models import Community, Invitation
from payments.models import Invoice
from payments.services import payment_record_manual
from tests.factories import (
    AddOnFactory,
    CommunityFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    priced_facility,
    request_booking,
    wib,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

NOW = wib(2027, 2, 20, 10)
START, END = wib(2027, 3, 1, 10), wib(2027, 3, 1, 13)
Kind = Notification.Kind
# "10:00" or "9:30" as a time of day; not a port ("127.0.0.1:8000") or part of a longer number.
COLON_TIME = re.compile(r"(?<![\d.:])\d{1,2}:\d{2}(?![\d:])")


def assert_well_worded(*texts: str) -> None:
    for text in texts:
        assert "example.com" not in text
        assert not COLON_TIME.findall(text), text


@pytest.fixture
def paid_booking():
    staff = UserFactory(email="staf@example.test", is_staff=True, language="en")
    facility = priced_facility(approval="city", name="Balai Rakyat Beji")
    sound = AddOnFactory(community=facility.community, name="Sound system", price=75_000, stock=3)
    sound.facilities.set([facility])
    resident = UserFactory(email="siti@example.test", full_name="Siti", language="en")
    booking = request_booking(
        facility,
        START,
        END,
        now=NOW,
        user=resident,
        tariff_class="komersial",
        addons={sound.pk: 1},
    )
    services.booking_approve(booking=booking, actor=staff, now=NOW)
    invoice = Invoice.objects.get(booking=booking)
    paid_at = NOW + dt.timedelta(hours=3)
    payment_record_manual(
        invoice=invoice,
        actor=staff,
        method="transfer",
        amount=invoice.amount,
        external_reference="TRF 0042",
        paid_at=paid_at,
        now=paid_at + dt.timedelta(hours=1),
    )
    return booking


def test_the_site_is_named_after_site_url():
    site = Site.objects.get_current()

    assert site.name == "Hai Depok"
    assert site.domain == urlsplit(settings.SITE_URL).netloc == "127.0.0.1:8000"


@pytest.mark.parametrize("language", ["id", "en"])
def test_no_outbox_mail_names_example_com_or_writes_times_with_a_colon(paid_booking, language):
    booking = paid_booking
    community = CommunityFactory(status=Community.Status.VERIFIED, email="rw@example.test")
    invitation = Invitation.objects.create(
        community=community, email="baru@example.test", token="t" * 40
    )
    rows = [
        Notification(
            pk=1000 + index,
            booking=booking,
            event=booking.events.last(),
            kind=kind,
            recipient=booking.user,
            address=booking.user.email,
            language=language,
        )
        for index, kind in enumerate(BOOKING_KINDS)
    ]
    rows += [
        Notification(pk=2000, kind=kind, community=community, address=community.email)
        for kind in COMMUNITY_KINDS
    ]
    rows.append(
        Notification(pk=2001, kind=Kind.INVITATION, invitation=invitation, address=invitation.email)
    )
    for row in rows:
        row.language = language
        message = rendering.render(row)
        assert_well_worded(message.subject, message.text, message.html, message.message_id)


def test_the_mails_write_times_as_the_site_does(paid_booking):
    booking = paid_booking
    for kind in (Kind.APPROVED, Kind.PAYMENT_RECEIVED, Kind.REMINDER):
        Notification.objects.create(
            booking=booking,
            kind=kind,
            channel="email",
            recipient=booking.user,
            address=booking.user.email,
            language="id",
        )
    for pk in Notification.objects.filter(state="pending").values_list("pk", flat=True):
        delivery.deliver(pk)

    by_subject = {message.subject: message for message in mail.outbox}
    bodies = "\n".join(message.body for message in mail.outbox)
    assert "Senin, 1 Maret 2027, 10.00–13.00 WIB" in bodies  # the booking's time
    assert "Sabtu, 20 Februari 2027, 13.00 WIB" in bodies  # when it was paid
    assert any("pukul 10.00 WIB" in subject or "10.00 WIB" in subject for subject in by_subject)
    for message in mail.outbox:
        assert_well_worded(message.subject, message.body, message.alternatives[0][0])


@pytest.mark.parametrize("language", ["id", "en"])
def test_allauths_mails_name_hai_depok_not_example_com(client, language):
    UserFactory(email="ada@example.test", language=language)
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    password = "kata-sandi-yang-panjang-42"

    # Signing up: the verification mail; signing up again with a taken address: its notice.
    for email in ("baru@example.test", "ada@example.test"):
        client.post(
            reverse("account_signup"),
            {"email": email, "password1": password, "password2": password},
            **headers,
        )
        client.logout()
    # Forgetting the password, of an account and of an address without one.
    for email in ("ada@example.test", "siapa@example.test"):
        client.post(reverse("account_reset_password"), {"email": email}, **headers)

    assert len(mail.outbox) == 4
    for message in mail.outbox:
        assert_well_worded(message.subject, message.body)
        assert "Hai Depok" in message.body
    verification = mail.outbox[0]
    assert verification.to == ["baru@example.test"]
    assert "127.0.0.1:8000" in verification.body
