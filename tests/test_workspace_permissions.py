"""Every workspace URL and method, for each kind of visitor. Another community's objects
answer 404, as if they did not exist."""

import datetime as dt

import pytest

from bookings.models import BookingStatus
from communities.models import Membership
from tests.factories import (
    BookingFactory,
    ClosureFactory,
    FacilityFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Alice organizes the facility's community, Bob another one; Charlie is a resident."""
    facility = FacilityFactory(slug="balai-rakyat-beji", approval="community")
    alice = MembershipFactory(community=facility.community).user
    MembershipFactory(community=facility.community)  # a second organizer, removable
    bob_membership = MembershipFactory()
    FacilityFactory(community=bob_membership.community)
    booking = BookingFactory(facility=facility)
    closure = ClosureFactory(facility=facility)
    staff = UserFactory(is_staff=True)
    return {
        "facility": facility,
        "community": facility.community,
        "booking": booking,
        "closure": closure,
        "alice": alice,
        "bob": bob_membership.user,
        "charlie": UserFactory(),
        "staff": staff,
        "second_organizer": Membership.objects.filter(community=facility.community)
        .exclude(user=alice)
        .get()
        .user,
    }


def urls(w):
    slug, community = w["facility"].slug, w["community"].slug
    reference = w["booking"].reference
    photo_free = f"/kelola/fasilitas/{slug}/foto/999999/"
    return [
        ("get", f"/kelola/komunitas/{community}/"),
        ("post", f"/kelola/komunitas/{community}/", {"email": "baru@example.test"}),
        ("post", f"/kelola/komunitas/{community}/pengelola/{w['second_organizer'].pk}/hapus/", {}),
        ("get", f"/kelola/komunitas/{community}/fasilitas-baru/"),
        ("post", f"/kelola/komunitas/{community}/fasilitas-baru/", {"name": "x"}),
        ("get", f"/kelola/fasilitas/{slug}/"),
        ("post", f"/kelola/fasilitas/{slug}/", {"name": "x"}),
        ("get", f"/kelola/fasilitas/{slug}/jam/"),
        (
            "post",
            f"/kelola/fasilitas/{slug}/jam/",
            {"jam-TOTAL_FORMS": "0", "jam-INITIAL_FORMS": "0"},
        ),
        ("get", f"/kelola/fasilitas/{slug}/penutupan/"),
        ("post", f"/kelola/fasilitas/{slug}/penutupan/", {"reason": "x"}),
        ("post", f"/kelola/fasilitas/{slug}/penutupan/{w['closure'].pk}/hapus/", {}),
        ("get", f"/kelola/fasilitas/{slug}/foto/"),
        ("post", photo_free, {"action": "delete"}),
        ("post", f"/kelola/fasilitas/{slug}/terbit/", {"publish": "0"}),
        ("get", f"/kelola/fasilitas/{slug}/konflik/"),
        ("get", f"/kelola/booking/?fasilitas={slug}"),
        ("get", f"/kelola/booking/kalender/?fasilitas={slug}"),
        ("get", f"/kelola/booking/{reference}/"),
        ("post", f"/kelola/booking/{reference}/putuskan/", {"action": "approve"}),
    ]


def request(client, method, url, data=None):
    return getattr(client, method)(url, data or {})


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    for method, url, *data in urls(world):
        response = request(client, method, url, *data)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/akun/login/"), url


@pytest.mark.parametrize("outsider", ["bob", "charlie"])
def test_residents_and_other_communities_organizers_get_404(client, world, outsider):
    client.force_login(world[outsider])

    for method, url, *data in urls(world):
        response = request(client, method, url, *data)
        if url.startswith("/kelola/booking/?") and outsider == "bob":
            # Bob has a workspace of his own: the filter for a facility that is not his is
            # refused and he sees only his own bookings.
            assert response.status_code == 200
            assert world["booking"].reference not in response.content.decode()
            assert response.context["form"].errors["fasilitas"]
            continue
        assert response.status_code == 404, (outsider, method, url)

    # Nothing changed.
    world["booking"].refresh_from_db()
    assert world["booking"].status == BookingStatus.REQUESTED
    assert Membership.objects.filter(community=world["community"]).count() == 2
    assert world["facility"].closures.exists()


@pytest.mark.parametrize("insider", ["alice", "staff"])
def test_the_community_s_organizers_and_staff_get_in(client, world, insider):
    client.force_login(world[insider])

    for method, url, *data in urls(world):
        if url.endswith("/foto/999999/"):
            assert request(client, method, url, *data).status_code == 404  # no such photo
            continue
        assert request(client, method, url, *data).status_code in (200, 302), (insider, method, url)


def test_the_workspace_home_lists_only_my_communities(client, world):
    client.force_login(world["alice"])

    page = client.get("/kelola/").content.decode()

    assert world["community"].name in page
    assert world["bob"].communities.get().name not in page


def test_bookings_list_shows_contacts_only_of_my_facilities(client, world):
    other = BookingFactory(
        facility=world["bob"].communities.get().facilities.get(),
        contact_phone="0899 1234 5678",
        start=world["booking"].start + dt.timedelta(days=1),
        end=world["booking"].end + dt.timedelta(days=1),
    )
    client.force_login(world["alice"])

    page = client.get("/kelola/booking/").content.decode()

    assert world["booking"].reference in page and world["booking"].contact_phone in page
    assert other.reference not in page and "0899 1234 5678" not in page


def test_the_staff_flag_alone_decides_nothing(client, world):
    """An account with is_staff but outside the "Pemkot staff" group (say, a technician
    given admin access) cannot decide bookings or communities through any entry point."""
    from bookings import services
    from bookings.errors import BookingError
    from communities import services as community_services
    from communities.models import Community

    technician = UserFactory(is_staff=True, pemkot_staff=False)
    pending = MembershipFactory(community__status=Community.Status.PENDING).community

    with pytest.raises(BookingError) as refused:
        services.booking_approve(booking=world["booking"], actor=technician)
    assert refused.value.code == "not_allowed"
    with pytest.raises(community_services.CommunityError):
        community_services.community_verify(community=pending, actor=technician)
    client.force_login(technician)
    assert client.get(f"/kelola/booking/{world['booking'].reference}/").status_code == 404
    assert client.get(f"/kelola/komunitas/{world['community'].slug}/").status_code == 404
    world["booking"].refresh_from_db()
    assert world["booking"].status == BookingStatus.REQUESTED
