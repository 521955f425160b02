"""Who may download a booking's documents: the resident who made it, the facility's deciders
and managers, and staff the admin lets view bookings. Everyone else gets a 404, the same as
for an id that does not exist (anonymous visitors too: no login redirect that would say the
document exists)."""

import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import storages

from documents.access import can_download
from tests.documents_support import pdf_upload, requirement
from tests.factories import (
    MembershipFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    open_facility,
    organizer_of,
    staff_with_permissions,
)
from tests.test_documents import send

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]


@pytest.fixture(params=["community", "city"])
def document(request):
    """A document of a request at a facility whose organizers decide (community) or only
    manage its bookings (city)."""
    facility = open_facility(approval=request.param)
    letter = requirement(facility)
    booking = send(facility, {letter.pk: pdf_upload("Surat RW 05.pdf")})
    return booking.documents.get()


def url(document) -> str:
    return f"/dokumen/{document.public_id}/"


CAST = {
    "owner": (lambda document: document.booking.user, 200),
    "another resident": (lambda document: UserFactory(), 404),
    "organizer of the facility": (lambda document: organizer_of(document.booking.facility), 200),
    "organizer of another community": (lambda document: MembershipFactory().user, 404),
    "pemkot staff": (lambda document: UserFactory(is_staff=True), 200),
    "staff allowed to view bookings": (
        lambda document: staff_with_permissions("bookings.view_booking"),
        200,
    ),
    "staff without booking permissions": (
        lambda document: UserFactory(is_staff=True, pemkot_staff=False),
        404,
    ),
    "staff allowed other things only": (
        lambda document: staff_with_permissions("facilities.change_facility"),
        404,
    ),
    "superuser": (
        lambda document: UserFactory(is_staff=True, is_superuser=True, pemkot_staff=False),
        200,
    ),
    "inactive owner": (None, 404),
}


@pytest.mark.parametrize("who", CAST, ids=list(CAST))
def test_the_download_matrix(client, document, who):
    make, expected = CAST[who]
    if who == "inactive owner":
        user = document.booking.user
        user.is_active = False
        user.save()
    else:
        user = make(document)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")

    response = client.get(url(document))

    assert response.status_code == expected
    if who != "inactive owner":  # signed out by the backend: never reaches the rule
        assert can_download(user, document.booking) is (expected == 200)
    if expected == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert 'filename="Surat RW 05.pdf"' in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
        assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_anonymous_visitors_get_a_404_not_a_login_page(client, document):
    response = client.get(url(document))

    assert response.status_code == 404
    assert "Location" not in response


def test_an_unknown_id_is_the_same_404_for_everyone(client, document):
    client.force_login(document.booking.user)

    assert client.get(f"/dokumen/{uuid.uuid4()}/").status_code == 404
    assert client.get("/dokumen/not-a-uuid/").status_code == 404
    assert client.get(f"/dokumen/{document.pk}/").status_code == 404  # the row's id is no key


def test_the_file_is_never_under_the_media_url_or_root(client, document):
    client.force_login(document.booking.user)
    media = Path(settings.MEDIA_ROOT).resolve()
    private = Path(storages["private"].path(document.file_name)).resolve()

    assert media not in private.parents
    assert client.get(settings.MEDIA_URL + document.file_name).status_code == 404
    page = client.get(f"/booking-saya/{document.booking.reference}/").content.decode()
    assert document.file_name not in page
    assert f"/dokumen/{document.public_id}/" in page


def test_a_missing_file_is_a_404_not_a_500(client, document):
    storages["private"].delete(document.file_name)
    client.force_login(document.booking.user)

    assert client.get(url(document)).status_code == 404


def test_the_download_takes_a_bounded_number_of_queries(
    client, document, django_assert_max_num_queries
):
    organizer = organizer_of(document.booking.facility)
    client.force_login(organizer)

    # Session, user, the document with its booking and facility, then the permissions and
    # the membership.
    with django_assert_max_num_queries(8):
        assert client.get(url(document)).status_code == 200


# --- The admin ------------------------------------------------------------------------------


def test_staff_see_a_document_in_the_admin_read_only_with_the_download_link(client, document):
    client.force_login(UserFactory(is_staff=True, is_superuser=True, pemkot_staff=False))
    base = "/admin/documents/bookingdocument/"

    listing = client.get(base)
    page = client.get(f"{base}{document.pk}/change/").content.decode()

    assert listing.status_code == 200
    assert f"/dokumen/{document.public_id}/" in page
    assert document.file_name not in page
    assert client.get(f"{base}add/").status_code == 403


def test_the_booking_inline_lists_documents_with_their_links(rf, document):
    from django.contrib import admin

    from bookings.models import Booking
    from documents.admin import BookingDocumentInline

    request = rf.get("/admin/")
    request.user = UserFactory(is_staff=True, is_superuser=True, pemkot_staff=False)
    inline = BookingDocumentInline(Booking, admin.site)

    assert list(inline.get_queryset(request)) == [document]
    assert not inline.has_add_permission(request, document.booking)
    assert not inline.has_change_permission(request, document.booking)
    assert f"/dokumen/{document.public_id}/" in inline.download(document)


def test_staff_keep_requirements_in_the_admin(client, document):
    facility = document.booking.facility
    client.force_login(UserFactory(is_staff=True, is_superuser=True, pemkot_staff=False))

    response = client.post(
        "/admin/documents/documentrequirement/add/",
        {
            "facility": facility.pk,
            "name": "Fotokopi KTP",
            "description": "",
            "tariff_classes": ["komersial", "sosial"],
            "position": "2",
        },
    )

    assert response.status_code == 302
    added = facility.document_requirements.get(name="Fotokopi KTP")
    assert sorted(added.tariff_classes) == ["komersial", "sosial"]
    assert client.get("/admin/documents/documentrequirement/").status_code == 200


def test_the_admin_shows_documents_to_who_may_view_bookings_and_no_one_else(client, document):
    page = f"/admin/documents/bookingdocument/{document.pk}/change/"

    client.force_login(UserFactory(is_staff=True))  # Pemkot staff
    assert client.get(page).status_code == 200
    client.force_login(staff_with_permissions("facilities.change_facility"))
    assert client.get(page).status_code == 403


def test_the_admin_lets_facility_editors_keep_requirements_as_the_workspace_does(client, document):
    facility = document.booking.facility
    client.force_login(staff_with_permissions("facilities.change_facility"))

    response = client.post(
        "/admin/documents/documentrequirement/add/",
        {"facility": facility.pk, "name": "Denah", "description": "", "position": "3"},
    )

    assert response.status_code == 302
    client.force_login(UserFactory(is_staff=True))  # Pemkot staff may not edit facilities
    assert client.get("/admin/documents/documentrequirement/add/").status_code == 403
