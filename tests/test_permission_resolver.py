"""communities.permissions, the one resolver of the workspace, and the services that ask it.

Organizers may do everything to their own community and its facilities; anyone else what
their model permissions allow in the Django admin, never the is_staff flag alone. A service
that refuses raises before anything changes."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from communities import permissions
from communities import services as community_services
from communities.models import Invitation, Membership
from facilities import services
from facilities.models import Facility
from haidepok import clock
from tests.factories import (
    ClosureFactory,
    FacilityFactory,
    FacilityPhotoFactory,
    MembershipFactory,
    OpeningHoursFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    permission_cast,
    staff_with_permissions,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

EVERYONE = {
    "organizer",
    "other_organizer",
    "resident",
    "pemkot_staff",
    "technician",
    "superuser",
    "facility_editor",
}

# Who may do what to the facility's community and the facility (bookings/migrations/0003:
# the "Pemkot staff" group views everything, changes communities and manages closures).
ALLOWED = {
    "can_view_community": {"organizer", "pemkot_staff", "superuser"},
    "can_invite_organizers": {"organizer", "superuser"},
    "can_remove_organizers": {"organizer", "superuser"},
    "can_add_facility": {"organizer", "superuser"},
    "can_view_facility": {"organizer", "pemkot_staff", "superuser", "facility_editor"},
    "can_edit_facility": {"organizer", "superuser", "facility_editor"},
    "can_edit_opening_hours": {"organizer", "superuser"},
    "can_add_closure": {"organizer", "pemkot_staff", "superuser"},
    "can_delete_closure": {"organizer", "pemkot_staff", "superuser"},
    "can_add_photo": {"organizer", "superuser"},
    "can_change_photos": {"organizer", "superuser"},
    "can_delete_photo": {"organizer", "superuser"},
}

COMMUNITY_RULES = {
    "can_view_community",
    "can_invite_organizers",
    "can_remove_organizers",
    "can_add_facility",
}


@pytest.fixture
def facility():
    return FacilityFactory(slug="balai-rakyat-beji")


@pytest.fixture
def cast(facility):
    return permission_cast(facility)


@pytest.mark.parametrize("rule", sorted(ALLOWED))
def test_each_rule_allows_organizers_and_the_matching_model_permission(facility, cast, rule):
    target = facility.community if rule in COMMUNITY_RULES else facility
    check = getattr(permissions, rule)

    allowed = {name for name, user in cast.items() if check(user, target)}

    assert allowed == ALLOWED[rule]


def test_rights_gives_a_page_every_answer_of_the_rules_at_once(facility, cast):
    for name, user in cast.items():
        rights = permissions.rights(user, facility.community_id)
        assert rights["edit_facility"] == permissions.can_edit_facility(user, facility), name
        assert rights["add_closure"] == permissions.can_add_closure(user, facility), name
        assert rights["invite_organizers"] == permissions.can_invite_organizers(
            user, facility.community
        ), name


def test_a_permission_counts_only_on_an_active_staff_account(facility):
    """As in the admin, which lets in active staff accounts only."""
    not_staff = staff_with_permissions("facilities.change_facility")
    not_staff.is_staff = False
    not_staff.save()
    gone = UserFactory(is_staff=True, is_superuser=True, pemkot_staff=False, is_active=False)

    assert not permissions.can_edit_facility(not_staff, facility)
    assert not permissions.can_view_facility(gone, facility)
    assert not permissions.can_edit_facility(gone, facility)


def test_an_organizer_of_a_pending_community_manages_it(facility):
    pending = MembershipFactory(community__status="pending")

    assert permissions.can_add_facility(pending.user, pending.community)
    assert not permissions.can_add_facility(pending.user, facility.community)


def test_a_city_wide_closure_needs_the_permission():
    organizer = MembershipFactory().user

    assert not permissions.can_add_closure(organizer, None)
    assert permissions.can_add_closure(UserFactory(is_staff=True), None)


def test_refused_in_the_workspace_the_lookup_answers_404_to_who_may_not_view(facility, cast):
    from django.http import Http404

    for name in ["other_organizer", "resident", "technician"]:
        with pytest.raises(Http404):
            permissions.facility_for_viewer(cast[name], facility.slug)
        with pytest.raises(Http404):
            permissions.community_for_viewer(cast[name], facility.community.slug)
    assert permissions.facility_for_viewer(cast["pemkot_staff"], facility.slug) == facility
    assert permissions.facility_for_viewer(cast["facility_editor"], facility.slug) == facility


# --- The services ask the resolver ---------------------------------------------------------


def test_pemkot_staff_cannot_unpublish_a_facility(facility, cast):
    with pytest.raises(PermissionDenied) as refused:
        services.facility_publish(facility=facility, published=False, actor=cast["pemkot_staff"])

    assert str(refused.value) == "Anda tidak berwenang mengubah fasilitas ini."
    facility.refresh_from_db()
    assert facility.is_published


def test_a_refusal_speaks_english_to_who_reads_english(facility, cast):
    from django.utils import translation

    with translation.override("en"), pytest.raises(PermissionDenied) as refused:
        services.facility_publish(facility=facility, published=False, actor=cast["resident"])

    assert str(refused.value) == "You may not change this facility."


def test_a_staff_account_given_change_facility_may_unpublish_it(facility, cast):
    services.facility_publish(facility=facility, published=False, actor=cast["facility_editor"])

    facility.refresh_from_db()
    assert not facility.is_published


def refused_changes(facility, actor):
    """Every facility service, called by `actor`, each with what it would have changed."""
    photo = FacilityPhotoFactory(facility=facility, is_cover=True)
    other_photo = FacilityPhotoFactory(facility=facility)
    closure = ClosureFactory(facility=facility)
    tomorrow = clock.now() + dt.timedelta(days=1)
    return {
        "facility_update": lambda: services.facility_update(
            facility=facility, actor=actor, name="Diganti"
        ),
        "facility_create": lambda: services.facility_create(
            community=facility.community,
            actor=actor,
            name="Baru",
            kind="hall",
            address="Jl. Baru",
            kecamatan="beji",
            capacity=50,
        ),
        "opening_hours_replace": lambda: services.opening_hours_replace(
            facility=facility, intervals=[(1, dt.time(9), dt.time(10))], actor=actor
        ),
        "closure_add": lambda: services.closure_add(
            facility=facility,
            start=tomorrow,
            end=tomorrow + dt.timedelta(hours=1),
            reason="Kerja bakti",
            actor=actor,
        ),
        "closure_delete": lambda: services.closure_delete(closure=closure, actor=actor),
        "photo_set_cover": lambda: services.photo_set_cover(photo=other_photo, actor=actor),
        "photo_move": lambda: services.photo_move(photo=other_photo, offset=-1, actor=actor),
        "photo_delete": lambda: services.photo_delete(photo=photo, actor=actor),
        "photo_add": lambda: services.photo_add(facility=facility, upload=None, actor=actor),
    }


def facility_state(facility):
    facility.refresh_from_db()
    return (
        facility.name,
        facility.is_published,
        Facility.objects.count(),
        list(facility.opening_hours.values_list("weekday", "opens", "closes")),
        list(facility.closures.values_list("pk", flat=True)),
        list(facility.photos.values_list("pk", "position", "is_cover")),
    )


@pytest.mark.parametrize("actor", ["pemkot_staff", "technician", "other_organizer", "resident"])
def test_every_facility_service_refuses_who_may_not_and_changes_nothing(facility, cast, actor):
    OpeningHoursFactory(facility=facility)
    calls = refused_changes(facility, cast[actor])
    before = facility_state(facility)

    for name, call in calls.items():
        if actor == "pemkot_staff" and name.startswith("closure_"):
            continue  # their group manages closures
        with pytest.raises(PermissionDenied):
            call()
        assert facility_state(facility) == before, name


def test_pemkot_staff_add_and_remove_closures(facility, cast):
    calls = refused_changes(facility, cast["pemkot_staff"])

    closure = calls["closure_add"]()
    services.closure_delete(closure=closure, actor=cast["pemkot_staff"])

    assert not facility.closures.filter(pk=closure.pk).exists()


@pytest.mark.parametrize("actor", ["organizer", "superuser"])
def test_the_organizer_and_a_superuser_may_use_every_facility_service(facility, cast, actor):
    calls = refused_changes(facility, cast[actor])
    del calls["photo_add"]  # needs a real image: tests/test_workspace.py uploads one

    for call in calls.values():
        call()  # no refusal

    facility.refresh_from_db()
    assert facility.name == "Diganti"
    assert Facility.objects.filter(name="Baru").exists()


def test_facility_update_keeps_the_slug_left_empty_and_refuses_unknown_fields(facility, cast):
    services.facility_update(facility=facility, actor=cast["organizer"], slug="", name="Balai")
    facility.refresh_from_db()
    assert (facility.slug, facility.name) == ("balai-rakyat-beji", "Balai")

    with pytest.raises(TypeError):
        services.facility_update(facility=facility, actor=cast["organizer"], is_published=False)
    with pytest.raises(TypeError):
        services.facility_create(
            community=facility.community, actor=cast["organizer"], name="X", is_published=True
        )


@pytest.mark.parametrize("actor", ["pemkot_staff", "technician", "other_organizer", "resident"])
def test_organizers_are_invited_and_removed_only_by_who_may(facility, cast, actor):
    community = facility.community
    second = MembershipFactory(community=community).user

    with pytest.raises(community_services.CommunityError) as refused:
        community_services.organizer_invite(
            community=community, inviter=cast[actor], email="baru@example.test"
        )
    assert refused.value.code == "not_allowed"
    with pytest.raises(community_services.CommunityError) as refused:
        community_services.organizer_remove(community=community, actor=cast[actor], user=second)
    assert refused.value.code == "not_allowed"

    assert not Invitation.objects.exists()
    assert Membership.objects.filter(community=community).count() == 2


def test_a_superuser_may_invite_and_remove_organizers(facility, cast):
    community = facility.community
    second = MembershipFactory(community=community).user

    community_services.organizer_invite(
        community=community, inviter=cast["superuser"], email="baru@example.test"
    )
    community_services.organizer_remove(community=community, actor=cast["superuser"], user=second)

    assert Invitation.objects.filter(community=community).count() == 1
    assert list(Membership.objects.filter(community=community)) == [
        cast["organizer"].memberships.get()
    ]
