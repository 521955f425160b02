"""Every workspace URL and method, for each kind of visitor.

Organizers do everything in their own community. Anyone else does what their model
permissions allow in the Django admin: who may not even view an object gets a 404, as if it
did not exist; who may view it but not change it gets the page without the forms and
buttons, and a 403 page for a change, which changes nothing."""

import datetime as dt
import io
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.contrib.admin import ModelAdmin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from PIL import Image

from bookings.models import Booking, BookingStatus
from communities.models import Invitation, Membership
from documents.models import DocumentRequirement
from facilities.models import Closure, Facility, FacilityPhoto, OpeningHours
from haidepok import clock
from tests.factories import (
    BookingFactory,
    ClosureFactory,
    FacilityFactory,
    FacilityPhotoFactory,
    MembershipFactory,
    OpeningHoursFactory,
    UserFactory,
    facility_form_data,
    fast_password_hashing,  # noqa: F401 (a fixture)
    organizer_of,
    permission_cast,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

CAST = [
    "organizer",
    "other_organizer",
    "resident",
    "pemkot_staff",
    "technician",
    "superuser",
    "facility_editor",
]
NOT_ORGANIZERS = CAST[1:]


@pytest.fixture
def world():
    """The cast (tests/factories.py permission_cast) around one facility of a community
    with two organizers; the other organizer runs a facility of his own."""
    facility = FacilityFactory(slug="balai-rakyat-beji", approval="community")
    OpeningHoursFactory(facility=facility)
    cast = permission_cast(facility)
    FacilityFactory(community=cast["other_organizer"].communities.get())
    return SimpleNamespace(
        facility=facility,
        community=facility.community,
        second_organizer=organizer_of(facility),
        booking=BookingFactory(facility=facility),
        # A permit (the letter is an approved booking's), at a later hour than the request.
        approved=BookingFactory(
            facility=facility,
            status=BookingStatus.APPROVED,
            start=clock.now() + dt.timedelta(days=9),
            end=clock.now() + dt.timedelta(days=9, hours=1),
        ),
        closure=ClosureFactory(facility=facility),
        cover=FacilityPhotoFactory(facility=facility, is_cover=True),
        photo=FacilityPhotoFactory(facility=facility),
        requirement=DocumentRequirement.objects.create(facility=facility, name="Surat permohonan"),
        **cast,
    )


def jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (10, 120, 60)).save(buffer, format="JPEG")
    return SimpleUploadedFile("balai.jpg", buffer.getvalue(), content_type="image/jpeg")


def closure_form():
    day = clock.local_now().date() + dt.timedelta(days=10)
    return {"start": f"{day}T10:00", "end": f"{day}T12:00", "reason": "Kerja bakti"}


def _facility(w):
    return Facility.objects.get(pk=w.facility.pk)


# name: (method, url, data, what it changes in the database). Pages (GET) change nothing.
ACTIONS = {
    "community_page": ("get", "/kelola/komunitas/{c}/", None, None),
    "invite": (
        "post",
        "/kelola/komunitas/{c}/",
        lambda w: {"email": "baru@example.test"},
        lambda w: Invitation.objects.count(),
    ),
    "remove_organizer": (
        "post",
        "/kelola/komunitas/{c}/pengelola/{second_organizer}/hapus/",
        lambda w: {},
        lambda w: Membership.objects.filter(community=w.community).count(),
    ),
    "facility_create_page": ("get", "/kelola/komunitas/{c}/fasilitas-baru/", None, None),
    "facility_create": (
        "post",
        "/kelola/komunitas/{c}/fasilitas-baru/",
        lambda w: facility_form_data(name="Balai Warga Baru"),
        lambda w: Facility.objects.filter(community=w.community).count(),
    ),
    "facility_page": ("get", "/kelola/fasilitas/{f}/", None, None),
    "facility_edit": (
        "post",
        "/kelola/fasilitas/{f}/",
        lambda w: facility_form_data(name="Balai Diganti", slug=w.facility.slug),
        lambda w: _facility(w).name,
    ),
    "hours_page": ("get", "/kelola/fasilitas/{f}/jam/", None, None),
    "hours": (
        "post",
        "/kelola/fasilitas/{f}/jam/",
        lambda w: {
            "jam-TOTAL_FORMS": "1",
            "jam-INITIAL_FORMS": "0",
            "jam-0-weekday": "2",
            "jam-0-opens": "09:00",
            "jam-0-closes": "17:00",
        },
        lambda w: list(w.facility.opening_hours.values_list("weekday", "opens", "closes")),
    ),
    "closures_page": ("get", "/kelola/fasilitas/{f}/penutupan/", None, None),
    "closure_add": (
        "post",
        "/kelola/fasilitas/{f}/penutupan/",
        lambda w: closure_form(),
        lambda w: w.facility.closures.count(),
    ),
    "closure_delete": (
        "post",
        "/kelola/fasilitas/{f}/penutupan/{closure}/hapus/",
        lambda w: {},
        lambda w: Closure.objects.filter(pk=w.closure.pk).exists(),
    ),
    "photos_page": ("get", "/kelola/fasilitas/{f}/foto/", None, None),
    "photo_upload": (
        "post",
        "/kelola/fasilitas/{f}/foto/",
        lambda w: {"image": jpeg(), "alt_text": "Tampak depan"},
        lambda w: w.facility.photos.count(),
    ),
    "photo_cover": (
        "post",
        "/kelola/fasilitas/{f}/foto/{photo}/",
        lambda w: {"action": "cover"},
        lambda w: w.facility.photos.get(is_cover=True).pk,
    ),
    "photo_move": (
        "post",
        "/kelola/fasilitas/{f}/foto/{photo}/",
        lambda w: {"action": "up"},
        lambda w: list(w.facility.photos.order_by("position", "pk").values_list("pk", flat=True)),
    ),
    "photo_delete": (
        "post",
        "/kelola/fasilitas/{f}/foto/{photo}/",
        lambda w: {"action": "delete"},
        lambda w: FacilityPhoto.objects.filter(pk=w.photo.pk).exists(),
    ),
    "conflicts_page": ("get", "/kelola/fasilitas/{f}/konflik/", None, None),
    "documents_page": ("get", "/kelola/fasilitas/{f}/dokumen/", None, None),
    "document_requirement_add": (
        "post",
        "/kelola/fasilitas/{f}/dokumen/",
        lambda w: {"name": "Izin keramaian", "position": "2"},
        lambda w: w.facility.document_requirements.count(),
    ),
    "document_requirement_page": (
        "get",
        "/kelola/fasilitas/{f}/dokumen/{requirement}/",
        None,
        None,
    ),
    "document_requirement_edit": (
        "post",
        "/kelola/fasilitas/{f}/dokumen/{requirement}/",
        lambda w: {"name": "Surat permohonan RW", "position": "1"},
        lambda w: DocumentRequirement.objects.get(pk=w.requirement.pk).name,
    ),
    "document_requirement_delete": (
        "post",
        "/kelola/fasilitas/{f}/dokumen/{requirement}/hapus/",
        lambda w: {},
        lambda w: DocumentRequirement.objects.filter(pk=w.requirement.pk).exists(),
    ),
    "bookings_page": ("get", "/kelola/booking/?fasilitas={f}", None, None),
    "booking_calendar": ("get", "/kelola/booking/kalender/?fasilitas={f}", None, None),
    "booking_page": ("get", "/kelola/booking/{booking}/", None, None),
    "permit_letter": ("get", "/kelola/booking/{approved}/surat-izin.pdf", None, None),
    "booking_decide": (
        "post",
        "/kelola/booking/{booking}/putuskan/",
        lambda w: {"action": "approve"},
        lambda w: Booking.objects.get(pk=w.booking.pk).status,
    ),
    # Last: an unpublished facility takes no decisions on its bookings.
    "publish": (
        "post",
        "/kelola/fasilitas/{f}/terbit/",
        lambda w: {"publish": "0"},
        lambda w: _facility(w).is_published,
    ),
}

# What each of the cast gets, in the order of CAST: "ok" is a page (200) or a change done
# (302 and the database changed); 403 and 404 change nothing. Pemkot staff view everything
# and manage closures (bookings/migrations/0003); the facility editor was given
# facilities.change_facility and nothing else; the technician has is_staff and no group.
#                        organizer other  resident pemkot technician superuser editor
EXPECTED = {
    "community_page":       ("ok", 404, 404, "ok", 404, "ok", 404),
    "invite":               ("ok", 404, 404, 403, 404, "ok", 404),
    "remove_organizer":     ("ok", 404, 404, 403, 404, "ok", 404),
    "facility_create_page": ("ok", 404, 404, 403, 404, "ok", 404),
    "facility_create":      ("ok", 404, 404, 403, 404, "ok", 404),
    "facility_page":        ("ok", 404, 404, "ok", 404, "ok", "ok"),
    "facility_edit":        ("ok", 404, 404, 403, 404, "ok", "ok"),
    "hours_page":           ("ok", 404, 404, "ok", 404, "ok", "ok"),
    "hours":                ("ok", 404, 404, 403, 404, "ok", 403),
    "closures_page":        ("ok", 404, 404, "ok", 404, "ok", "ok"),
    "closure_add":          ("ok", 404, 404, "ok", 404, "ok", 403),
    "closure_delete":       ("ok", 404, 404, "ok", 404, "ok", 403),
    "photos_page":          ("ok", 404, 404, "ok", 404, "ok", "ok"),
    "photo_upload":         ("ok", 404, 404, 403, 404, "ok", 403),
    "photo_cover":          ("ok", 404, 404, 403, 404, "ok", 403),
    "photo_move":           ("ok", 404, 404, 403, 404, "ok", 403),
    "photo_delete":         ("ok", 404, 404, 403, 404, "ok", 403),
    "conflicts_page":       ("ok", 404, 404, "ok", 404, "ok", "ok"),
    "documents_page":       ("ok", 404, 404, "ok", 404, "ok", "ok"),
    "document_requirement_add":    ("ok", 404, 404, 403, 404, "ok", "ok"),
    "document_requirement_page":   ("ok", 404, 404, "ok", 404, "ok", "ok"),
    "document_requirement_edit":   ("ok", 404, 404, 403, 404, "ok", "ok"),
    "document_requirement_delete": ("ok", 404, 404, 403, 404, "ok", "ok"),
    # The booking pages decide by bookings.permissions: Pemkot staff (and superusers) manage
    # every booking. The other organizer has a workspace of his own: see below.
    "bookings_page":        ("ok", "own", 404, "ok", 404, "ok", 404),
    "booking_calendar":     ("ok", 404, 404, "ok", 404, "ok", 404),
    "booking_page":         ("ok", 404, 404, "ok", 404, "ok", 404),
    "permit_letter":        ("ok", 404, 404, "ok", 404, "ok", 404),
    "booking_decide":       ("ok", 404, 404, "ok", 404, "ok", 404),
    "publish":              ("ok", 404, 404, 403, 404, "ok", "ok"),
}  # fmt: skip


def url_of(w, template: str) -> str:
    return template.format(
        c=w.community.slug,
        f=w.facility.slug,
        second_organizer=w.second_organizer.pk,
        closure=w.closure.pk,
        photo=w.photo.pk,
        booking=w.booking.reference,
        approved=w.approved.reference,
        requirement=w.requirement.pk,
    )


def attempt(client, w, action: str):
    """Send `action`; returns the response and whether the database changed."""
    method, template, data, state = ACTIONS[action]
    before = state(w) if state else None
    response = getattr(client, method)(url_of(w, template), data(w) if data else {})
    changed = state is not None and state(w) != before
    return response, changed


def url_names(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if hasattr(pattern, "url_patterns"):
            yield from url_names(pattern.url_patterns, route)
        elif route.startswith("kelola/"):
            yield pattern.name


def test_the_table_covers_every_workspace_url():
    from django.urls import get_resolver, resolve

    workspace = set(url_names(get_resolver().url_patterns))
    tested = {
        resolve(url_of(SAMPLE, template).partition("?")[0]).url_name
        for _method, template, _data, _state in ACTIONS.values()
    }
    # The retribusi's pages have their own table, checked to cover them exactly there.
    from tests.test_workspace_tariffs import URL_NAMES as RETRIBUSI

    # The home, the registration and the invitation's page are open to anyone signed in.
    assert workspace - tested - RETRIBUSI == {
        "workspace",
        "community_register",
        "invitation_accept",
    }
    assert set(EXPECTED) == set(ACTIONS)


SAMPLE = SimpleNamespace(
    community=SimpleNamespace(slug="komunitas"),
    facility=SimpleNamespace(slug="balai"),
    second_organizer=SimpleNamespace(pk=1),
    closure=SimpleNamespace(pk=1),
    photo=SimpleNamespace(pk=1),
    booking=SimpleNamespace(reference="HD-7K3Q9P"),
    approved=SimpleNamespace(reference="HD-7K3Q9Q"),
    requirement=SimpleNamespace(pk=1),
)


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    for action in ACTIONS:
        response, changed = attempt(client, world, action)
        assert response.status_code == 302, action
        assert response["Location"].startswith("/akun/login/"), action
        assert not changed, action


@pytest.mark.parametrize("who", CAST)
def test_every_workspace_url_and_method_for_each_of_the_cast(client, world, who):
    client.force_login(getattr(world, who))

    for action, expected in EXPECTED.items():
        expected = expected[CAST.index(who)]
        method = ACTIONS[action][0]
        response, changed = attempt(client, world, action)
        if expected == "ok":
            assert response.status_code == (200 if method == "get" else 302), (who, action)
            assert changed == (method == "post"), (who, action)
        elif expected == "own":
            # The filter for a facility that is not his is refused; he sees only his own.
            assert response.status_code == 200
            assert world.booking.reference not in response.content.decode()
            assert response.context["form"].errors["fasilitas"]
        else:
            assert response.status_code == expected, (who, action)
            assert not changed, (who, action)
        if expected == 403:
            assert response.templates[0].name == "kelola/not_allowed.html", action


# The model of the Django admin that does what each workspace change does, and which of the
# admin's has_<kind>_permission must answer yes.
ADMIN_EQUIVALENT = {
    "invite": (Membership, ["add"]),
    "remove_organizer": (Membership, ["delete"]),
    "facility_create": (Facility, ["add"]),
    "facility_edit": (Facility, ["change"]),
    "publish": (Facility, ["change"]),
    "hours": (OpeningHours, ["add", "change", "delete"]),
    "closure_add": (Closure, ["add"]),
    "closure_delete": (Closure, ["delete"]),
    "photo_upload": (FacilityPhoto, ["add"]),
    "photo_cover": (FacilityPhoto, ["change"]),
    "photo_move": (FacilityPhoto, ["change"]),
    "photo_delete": (FacilityPhoto, ["delete"]),
    "document_requirement_add": (DocumentRequirement, ["add"]),
    "document_requirement_edit": (DocumentRequirement, ["change"]),
    "document_requirement_delete": (DocumentRequirement, ["delete"]),
}


def admin_allows(user, model, kinds) -> bool:
    request = RequestFactory().get("/admin/")
    request.user = user
    model_admin = admin.site._registry[model]
    if not admin.site.has_permission(request):  # the admin's door: active staff
        return False
    for kind in kinds:
        if kind == "add" and model is FacilityPhoto:
            # The admin takes no uploads at all (they would skip the image checks); the
            # permission it would ask is the model's add permission.
            allowed = ModelAdmin.has_add_permission(model_admin, request)
        else:
            allowed = getattr(model_admin, f"has_{kind}_permission")(request)
        if not allowed:
            return False
    return True


@pytest.mark.parametrize("who", NOT_ORGANIZERS)
def test_the_workspace_allows_a_change_exactly_when_the_admin_does(client, world, who):
    user = getattr(world, who)
    client.force_login(user)

    for action, (model, kinds) in ADMIN_EQUIVALENT.items():
        response, changed = attempt(client, world, action)
        allowed_in_admin = admin_allows(user, model, kinds)
        assert changed == allowed_in_admin, (who, action)
        assert response.status_code in ((302,) if allowed_in_admin else (403, 404)), (who, action)


def test_pages_offer_only_what_the_user_may_do(client, world):
    facility = world.facility
    pages = {
        "facility": f"/kelola/fasilitas/{facility.slug}/",
        "hours": f"/kelola/fasilitas/{facility.slug}/jam/",
        "closures": f"/kelola/fasilitas/{facility.slug}/penutupan/",
        "photos": f"/kelola/fasilitas/{facility.slug}/foto/",
        "community": f"/kelola/komunitas/{world.community.slug}/",
        "home": "/kelola/",
    }
    controls = {
        "publish": ("facility", 'name="publish"'),
        "save_facility": ("facility", '<button type="submit">Simpan</button>'),
        "save_hours": ("hours", 'name="jam-TOTAL_FORMS"'),
        "add_closure": ("closures", 'name="reason"'),
        "remove_closure": ("closures", f"/penutupan/{world.closure.pk}/hapus/"),
        "upload": ("photos", 'type="file"'),
        "reorder": ("photos", 'value="up"'),
        "delete_photo": ("photos", 'value="delete"'),
        "invite": ("community", 'name="email"'),
        "remove_organizer": ("community", f"/pengelola/{world.second_organizer.pk}/hapus/"),
        "add_facility": ("community", "/fasilitas-baru/"),
        "add_facility_at_home": ("home", f"/kelola/komunitas/{world.community.slug}/fasilitas"),
    }

    def offered(user):
        client.force_login(user)
        html = {page: client.get(url).content.decode() for page, url in pages.items()}
        return {name for name, (page, marker) in controls.items() if marker in html[page]}

    assert offered(world.organizer) == set(controls)
    assert offered(world.superuser) == set(controls)
    assert offered(world.pemkot_staff) == {"add_closure", "remove_closure"}
    # Read-only, the facility's form shows its values with every field disabled.
    client.force_login(world.pemkot_staff)
    form = client.get(pages["facility"]).context["form"]
    assert all(field.disabled for field in form.fields.values())


def test_the_facility_editor_is_offered_the_facility_s_form_and_publishing(client, world):
    client.force_login(world.facility_editor)

    page = client.get(f"/kelola/fasilitas/{world.facility.slug}/")
    details = page.content.decode()
    hours = client.get(f"/kelola/fasilitas/{world.facility.slug}/jam/").content.decode()

    assert 'name="publish"' in details and '<button type="submit">Simpan</button>' in details
    assert not any(field.disabled for field in page.context["form"].fields.values())
    assert 'name="jam-TOTAL_FORMS"' not in hours
    assert "09.00" not in hours and "08.00–20.00" in hours  # the hours, read-only
    assert "/kelola/booking/?fasilitas=" not in details  # no bookings to see


def test_a_refusal_says_why_on_the_workspace_s_403_page(client, world):
    client.force_login(world.pemkot_staff)

    response = client.post(f"/kelola/fasilitas/{world.facility.slug}/terbit/", {"publish": "0"})

    assert response.status_code == 403
    assert "Anda tidak berwenang mengubah fasilitas ini." in response.content.decode()


def test_the_workspace_home_lists_only_my_communities(client, world):
    client.force_login(world.organizer)

    page = client.get("/kelola/").content.decode()

    assert world.community.name in page
    assert world.other_organizer.communities.get().name not in page


def test_bookings_list_shows_contacts_only_of_my_facilities(client, world):
    other = BookingFactory(
        facility=world.other_organizer.communities.get().facilities.get(),
        contact_phone="0899 1234 5678",
        start=world.booking.start + dt.timedelta(days=1),
        end=world.booking.end + dt.timedelta(days=1),
    )
    client.force_login(world.organizer)

    page = client.get("/kelola/booking/").content.decode()

    assert world.booking.reference in page and world.booking.contact_phone in page
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
        services.booking_approve(booking=world.booking, actor=technician)
    assert refused.value.code == "not_allowed"
    with pytest.raises(community_services.CommunityError):
        community_services.community_verify(community=pending, actor=technician)
    client.force_login(technician)
    assert client.get(f"/kelola/booking/{world.booking.reference}/").status_code == 404
    assert client.get(f"/kelola/komunitas/{world.community.slug}/").status_code == 404
    world.booking.refresh_from_db()
    assert world.booking.status == BookingStatus.REQUESTED
