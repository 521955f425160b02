"""Who may use the admin, and what Pemkot staff may do there: the least the job needs.

The cast: a member of Pemkot staff (in the group, not a superuser), a superuser, and three
people the admin refuses: a resident, a community organizer, an anonymous visitor."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import User
from bookings.models import Booking, BookingStatus
from haidepok.admin_site import PEMKOT_STAFF_GROUP
from tests.admin_support import BOOKINGS, pemkot_staff, run_action
from tests.factories import (
    BookingFactory,
    ClosureFactory,
    CommunityFactory,
    FacilityFactory,
    MembershipFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

# What the job needs: decide bookings (change, through the actions) and read their audit
# trail; verify communities; see facilities, their photos and hours; close facilities (one or
# all of them); look residents up. Nothing that deletes a booking, edits the audit trail, or
# manages users, groups or passwords. And see the notification outbox and resend what failed
# (bookings migration 0004: "change" is what the resend action needs; every field is read-only).
INTENDED = {
    "accounts.view_user",
    "bookings.change_booking",
    "bookings.change_notification",
    "bookings.view_booking",
    "bookings.view_bookingevent",
    "bookings.view_notification",
    "communities.change_community",
    "communities.view_community",
    "communities.view_membership",
    "facilities.add_closure",
    "facilities.change_closure",
    "facilities.delete_closure",
    "facilities.view_closure",
    "facilities.view_facility",
    "facilities.view_facilityphoto",
    "facilities.view_openinghours",
    # Retribusi (payments/migrations/0002): the Perda's tariffs, the add-ons, the invoices,
    # and recording payments by transfer or at the counter.
    "facilities.add_addon",
    "facilities.add_tariff",
    "facilities.change_addon",
    "facilities.change_tariff",
    "facilities.delete_addon",
    "facilities.delete_tariff",
    "facilities.view_addon",
    "facilities.view_tariff",
    "payments.add_payment",
    "payments.view_charge",
    "payments.view_invoice",
    "payments.view_payment",
    "payments.view_webhooklog",
}


def group_permissions() -> set[str]:
    group = Group.objects.get(name=PEMKOT_STAFF_GROUP)
    return {
        f"{permission.content_type.app_label}.{permission.codename}"
        for permission in group.permissions.select_related("content_type")
    }


def test_the_pemkot_staff_group_has_exactly_the_intended_permissions():
    assert group_permissions() == INTENDED


@pytest.mark.django_db(transaction=True)
def test_the_group_migration_reverses_and_reapplies():
    call_command("migrate", "bookings", "0002", verbosity=0)
    assert not Group.objects.filter(name=PEMKOT_STAFF_GROUP).exists()

    call_command("migrate", verbosity=0)

    assert group_permissions() == INTENDED
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []


# --- what staff may and may not do -------------------------------------------------------------


@pytest.fixture
def world():
    booking = BookingFactory()
    return {
        "booking": booking,
        "event": booking.events.create(to_status=BookingStatus.REQUESTED),
        "facility": booking.facility,
        "community": booking.facility.community,
        "closure": ClosureFactory(facility=booking.facility),
        "resident": booking.user,
    }


@pytest.fixture
def staff_client(client):
    client.force_login(pemkot_staff())
    return client


def test_staff_see_what_they_need(staff_client, world):
    b, f, c = world["booking"].pk, world["facility"].pk, world["community"].pk
    for url in [
        "/admin/",
        BOOKINGS,
        f"{BOOKINGS}{b}/change/",
        f"{BOOKINGS}export/",
        f"/admin/bookings/bookingevent/{world['event'].pk}/change/",
        "/admin/facilities/facility/",
        f"/admin/facilities/facility/{f}/change/",
        f"/admin/facilities/facility/{f}/calendar/",
        f"/admin/facilities/facility/{f}/history/",
        "/admin/facilities/closure/add/",
        f"/admin/facilities/closure/{world['closure'].pk}/delete/",
        "/admin/communities/community/",
        f"/admin/communities/community/{c}/change/",
        f"/admin/communities/community/{c}/history/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{world['resident'].pk}/change/",
    ]:
        assert staff_client.get(url).status_code == 200, url


def test_staff_see_the_outbox_and_may_resend_but_never_edit_a_notification(staff_client, world):
    from bookings.models import Notification

    notification = Notification.objects.create(
        booking=world["booking"],
        kind=Notification.Kind.REJECTED,
        address="warga@example.test",
        language="id",
        state=Notification.State.FAILED,
    )
    outbox = "/admin/bookings/notification/"

    changelist = staff_client.get(outbox)
    assert changelist.status_code == 200
    assert "resend" in changelist.context["cl"].model_admin.get_actions(changelist.wsgi_request)
    page = staff_client.get(f"{outbox}{notification.pk}/change/")
    assert page.context["adminform"].form.fields == {}
    assert staff_client.get(f"{outbox}{notification.pk}/delete/").status_code == 403


def test_staff_cannot_delete_or_add_bookings_nor_edit_the_audit_trail(staff_client, world):
    booking, event = world["booking"], world["event"]

    assert staff_client.get(f"{BOOKINGS}{booking.pk}/delete/").status_code == 403
    assert staff_client.post(f"{BOOKINGS}{booking.pk}/delete/", {"post": "yes"}).status_code == 403
    assert staff_client.get(f"{BOOKINGS}add/").status_code == 403
    events = "/admin/bookings/bookingevent/"
    assert staff_client.post(f"{events}{event.pk}/change/", {"reason": "x"}).status_code == 403
    assert staff_client.post(f"{events}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    run_action(staff_client, "delete_selected", [booking], post="yes")

    assert Booking.objects.filter(pk=booking.pk).exists()
    event.refresh_from_db()
    assert event.reason == ""
    actions = staff_client.get(BOOKINGS).context["cl"].model_admin.get_actions
    assert "delete_selected" not in actions(staff_client.get(BOOKINGS).wsgi_request)


def test_staff_cannot_manage_users_groups_or_passwords(staff_client, world):
    resident = world["resident"]
    user_url = f"/admin/accounts/user/{resident.pk}/"

    assert staff_client.get(f"{user_url}password/").status_code == 403
    assert (
        staff_client.post(
            f"{user_url}password/", {"password1": "baru-sekali-123", "password2": "baru-sekali-123"}
        ).status_code
        == 403
    )
    assert staff_client.post(f"{user_url}change/", {"is_superuser": "on"}).status_code == 403
    assert staff_client.get("/admin/accounts/user/add/").status_code == 403
    assert staff_client.get("/admin/auth/group/").status_code == 403
    group = Group.objects.get(name=PEMKOT_STAFF_GROUP)
    assert staff_client.get(f"/admin/auth/group/{group.pk}/change/").status_code == 403
    assert staff_client.get("/admin/accounts/apitoken/").status_code == 403
    resident.refresh_from_db()
    assert resident.check_password("rahasia-depok-123")
    assert not resident.is_superuser
    apps = {app["app_label"] for app in staff_client.get("/admin/").context["app_list"]}
    assert "auth" not in apps


def test_staff_see_facilities_but_leave_them_to_their_communities(staff_client, world):
    facility = world["facility"]

    assert staff_client.get("/admin/facilities/facility/add/").status_code == 403
    response = staff_client.post(f"/admin/facilities/facility/{facility.pk}/change/", {})
    assert response.status_code == 403
    assert staff_client.get("/admin/communities/membership/add/").status_code == 403


def test_superusers_manage_users_and_groups(admin_client, world):
    assert admin_client.get("/admin/auth/group/").status_code == 200
    assert admin_client.get("/admin/accounts/user/add/").status_code == 200
    assert (
        admin_client.get(f"/admin/accounts/user/{world['resident'].pk}/password/").status_code
        == 200
    )


# --- who is refused ----------------------------------------------------------------------------


def admin_urls(world) -> list[str]:
    from django.contrib import admin

    b, f, c = world["booking"].pk, world["facility"].pk, world["community"].pk
    urls = ["/admin/", f"{BOOKINGS}export/", f"/admin/facilities/facility/{f}/calendar/"]
    for model in admin.site._registry:
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        urls += [base, f"{base}add/"]
    urls += [
        f"{BOOKINGS}{b}/change/",
        f"{BOOKINGS}{b}/delete/",
        f"/admin/facilities/facility/{f}/change/",
        f"/admin/facilities/facility/{f}/history/",
        f"/admin/communities/community/{c}/change/",
        f"/admin/accounts/user/{world['resident'].pk}/password/",
    ]
    return urls


@pytest.fixture(params=["anonymous", "resident", "organizer", "inactive staff"])
def outsider(request, client):
    if request.param == "resident":
        client.force_login(UserFactory())
    elif request.param == "organizer":
        membership = MembershipFactory(community=CommunityFactory())
        FacilityFactory(community=membership.community)
        client.force_login(membership.user)
    elif request.param == "inactive staff":
        user = pemkot_staff()
        client.force_login(user)
        User.objects.filter(pk=user.pk).update(is_active=False)
    return client


def test_outsiders_are_refused_every_admin_url(outsider, world):
    for url in admin_urls(world):
        response = outsider.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url

    response = run_action(outsider, "approve", [world["booking"]], follow=False)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    world["booking"].refresh_from_db()
    assert world["booking"].status == BookingStatus.REQUESTED


# --- the demo ----------------------------------------------------------------------------------


def test_the_demo_s_staff_member_is_pemkot_staff_and_not_a_superuser(client):
    call_command("seed_demo", stdout=open("/dev/null", "w"))

    staff = User.objects.get(email="staf@haidepok.local")

    assert staff.is_staff and not staff.is_superuser
    assert list(staff.groups.values_list("name", flat=True)) == [PEMKOT_STAFF_GROUP]
    assert client.login(email="staf@haidepok.local", password="staf-pemkot-2026")
    assert client.get(BOOKINGS).status_code == 200
    assert client.get("/admin/auth/group/").status_code == 403


def test_looking_at_api_tokens_does_not_allow_revoking_them(client):
    from django.contrib.auth.models import Permission

    from accounts.services import api_token_create

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_apitoken"))
    token, _key = api_token_create(user=UserFactory(), name="Spreadsheet")
    client.force_login(viewer)

    assert client.get("/admin/accounts/apitoken/").status_code == 200
    run_action(client, "revoke", [token], url="/admin/accounts/apitoken/")

    token.refresh_from_db()
    assert token.revoked_at is None
