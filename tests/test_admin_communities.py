"""Staff verify or decline communities in the admin, close facilities (one, or the whole city
for a public event), and read the history of changes to facilities and communities."""

import datetime as dt

import pytest
from django.core import mail

from communities.models import Community
from facilities.models import Closure
from haidepok import clock
from tests.admin_support import (
    COMMUNITIES,
    messages_of,
    pemkot_staff,
    run_action,
    send_reason,
)
from tests.factories import (
    BookingFactory,
    ClosureFactory,
    CommunityFactory,
    FacilityFactory,
    MembershipFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

CLOSURES = "/admin/facilities/closure/"


@pytest.fixture
def staff(client, settings):
    user = pemkot_staff(full_name="Dewi Lestari")
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return user


def pending_community(name, **fields):
    community = CommunityFactory(name=name, status=Community.Status.PENDING, **fields)
    MembershipFactory(community=community)
    return community


# --- verify and decline ------------------------------------------------------------------------


def test_staff_verify_communities_and_each_refusal_is_reported(
    client, staff, django_capture_on_commit_callbacks
):
    limo = pending_community("Karang Taruna Limo")
    beji = pending_community("Forum Warga Beji")
    verified = CommunityFactory(name="Sudah Terverifikasi")

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(client, "verify", [limo, beji, verified], url=COMMUNITIES)

    for community in (limo, beji):
        community.refresh_from_db()
        assert community.status == Community.Status.VERIFIED
        assert community.status_decided_by == staff
    assert messages_of(response) == [
        (
            "success",
            "2 communities verified: Forum Warga Beji, Karang Taruna Limo. "
            "Their organizers are told by email.",
        ),
        (
            "error",
            "Sudah Terverifikasi was not verified: The community already has this status.",
        ),
    ]
    assert len(mail.outbox) == 2


def test_decline_asks_for_a_reason_and_refuses_none(client, staff):
    community = pending_community("Karang Taruna Limo")

    page = run_action(client, "decline", [community], url=COMMUNITIES)
    assert page.templates[0].name == "admin/reason_action.html"
    assert "Karang Taruna Limo" in page.content.decode()

    refused = send_reason(client, "decline", [community], "  ", url=COMMUNITIES)
    assert refused.context["form"].errors == {"reason": ["Please give a reason."]}
    community.refresh_from_db()
    assert community.status == Community.Status.PENDING


def test_decline_with_a_reason_mails_it_to_the_organizers(
    client, staff, django_capture_on_commit_callbacks
):
    community = pending_community("Karang Taruna Limo", email="kt-limo@example.test")

    with django_capture_on_commit_callbacks(execute=True):
        response = send_reason(
            client, "decline", [community], "Data pengurus belum lengkap.", url=COMMUNITIES
        )

    community.refresh_from_db()
    assert community.status == Community.Status.DECLINED
    assert community.status_reason == "Data pengurus belum lengkap."
    assert [level for level, _text in messages_of(response)] == ["success"]
    assert "kt-limo@example.test" in mail.outbox[0].to
    assert "Data pengurus belum lengkap." in mail.outbox[0].body


def test_the_status_of_a_community_is_not_edited_by_hand(client, staff):
    community = pending_community("Karang Taruna Limo")

    page = client.get(f"{COMMUNITIES}{community.pk}/change/")

    assert "status" not in page.context["adminform"].form.fields
    assert "status_reason" not in page.context["adminform"].form.fields
    members = page.context["inline_admin_formsets"][0]
    assert members.formset.queryset.count() == 1


def test_the_community_list_puts_those_waiting_first(client, staff):
    CommunityFactory(name="A Verified")
    newer = pending_community("Z Newer")
    older = pending_community("Y Older")
    Community.objects.filter(pk=older.pk).update(created_at=clock.now() - dt.timedelta(days=5))

    response = client.get(COMMUNITIES)

    assert [c.name for c in response.context["cl"].result_list] == [
        older.name,
        newer.name,
        "A Verified",
    ]


# --- closures ----------------------------------------------------------------------------------


def test_staff_close_every_facility_for_a_public_event(client, staff):
    start = clock.local_datetime(clock.local_now().date() + dt.timedelta(days=10), dt.time(6))
    held = BookingFactory(start=start + dt.timedelta(hours=3))
    BookingFactory(start=start + dt.timedelta(days=2))  # after the event
    BookingFactory(start=start + dt.timedelta(hours=1), status="cancelled")  # holds nothing

    form = client.get(f"{CLOSURES}add/")
    assert "Leave empty for a city-wide closure" in form.content.decode()
    assert form.context["adminform"].form.fields["facility"].required is False

    response = client.post(
        f"{CLOSURES}add/",
        {
            "facility": "",
            "start_0": start.strftime("%Y-%m-%d"),
            "start_1": "06:00",
            "end_0": start.strftime("%Y-%m-%d"),
            "end_1": "18:00",
            "reason": "Hari Jadi Kota Depok",
        },
        follow=True,
    )

    closure = Closure.objects.get()
    assert closure.facility is None
    assert (clock.to_local(closure.start).hour, clock.to_local(closure.end).hour) == (6, 18)
    (warning,) = [text for level, text in messages_of(response) if level == "warning"]
    assert held.reference in warning
    assert "Review them" in warning
    # The link lists those bookings on the booking list.
    link = warning.split('href="')[1].split('"')[0].replace("&amp;", "&")
    listed = client.get(link).context["cl"].result_list
    assert [booking.pk for booking in listed] == [held.pk]


def test_a_closure_must_end_after_it_starts(client, staff):
    day = (clock.local_now().date() + dt.timedelta(days=3)).isoformat()

    response = client.post(
        f"{CLOSURES}add/",
        {"start_0": day, "start_1": "10:00", "end_0": day, "end_1": "09:00", "reason": "x"},
    )

    assert response.status_code == 200
    assert "end" in response.context["adminform"].form.errors
    assert not Closure.objects.exists()


def test_the_closure_list_filters_city_wide_closures(client, staff):
    one = ClosureFactory(reason="Perbaikan atap")
    city = ClosureFactory(facility=None, reason="Pemilu")

    city_wide = client.get(f"{CLOSURES}?scope=city")
    single = client.get(f"{CLOSURES}?scope=facility")

    assert list(city_wide.context["cl"].result_list) == [city]
    assert list(single.context["cl"].result_list) == [one]
    assert "All facilities (city-wide)" in city_wide.content.decode()


# --- history -----------------------------------------------------------------------------------


def change_form_data(client, url: str, **changes) -> dict:
    """What the admin's change form at `url` posts when saved as it is, with `changes`."""
    page = client.get(url)
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None:
            continue
        data[name] = field.widget.format_value(value) if name == "amenities" else value
    for inline in page.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        data[f"{prefix}-TOTAL_FORMS"] = 0
        data[f"{prefix}-INITIAL_FORMS"] = 0
    return {**data, **changes}


def test_changes_to_facilities_and_communities_are_kept_with_who_made_them(
    admin_client, admin_user
):
    facility = FacilityFactory(name="Balai Rakyat Beji", capacity=100)
    url = f"/admin/facilities/facility/{facility.pk}/change/"

    response = admin_client.post(url, change_form_data(admin_client, url, capacity=150))

    assert response.status_code == 302, response.context["adminform"].form.errors
    latest = facility.history.latest()
    assert (latest.capacity, latest.history_user, latest.history_type) == (150, admin_user, "~")
    history = admin_client.get(f"/admin/facilities/facility/{facility.pk}/history/")
    assert history.status_code == 200
    assert "150" in history.content.decode()

    community = facility.community
    community.name = "Forum Balai Rakyat"
    community.save()
    page = admin_client.get(f"{COMMUNITIES}{community.pk}/history/")
    assert "Forum Balai Rakyat" in page.content.decode()


def test_the_history_cannot_bring_back_an_old_version(admin_client):
    community = pending_community("Karang Taruna Limo")
    community.status = Community.Status.VERIFIED
    community.save()
    old = community.history.earliest()
    url = f"{COMMUNITIES}{community.pk}/history/{old.history_id}/"
    assert admin_client.get(url).status_code == 200  # to read
    data = change_form_data(admin_client, f"{COMMUNITIES}{community.pk}/change/")

    response = admin_client.post(url, data)

    assert response.status_code == 403
    community.refresh_from_db()
    assert community.status == Community.Status.VERIFIED
    # The same data saves on the change page, and leaves the status alone there.
    admin_client.post(f"{COMMUNITIES}{community.pk}/change/", data)
    community.refresh_from_db()
    assert community.status == Community.Status.VERIFIED
