import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from bookings.models import BookingStatus
from communities import services as community_services
from communities.models import Community, Invitation, Membership
from facilities.models import Facility
from haidepok import clock
from tests.factories import (
    BookingFactory,
    FacilityFactory,
    MembershipFactory,
    OpeningHoursFactory,
    UserFactory,
    facility_form_data,
    organizer_of,
)

pytestmark = pytest.mark.django_db

FACILITY_FORM = facility_form_data()


def hours_form(rows):
    data = {"jam-TOTAL_FORMS": str(len(rows)), "jam-INITIAL_FORMS": "0"}
    for index, (weekday, opens, closes) in enumerate(rows):
        data.update(
            {
                f"jam-{index}-weekday": weekday,
                f"jam-{index}-opens": opens,
                f"jam-{index}-closes": closes,
            }
        )
    return data


def jpeg(size=(800, 600)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 60)).save(buffer, format="JPEG")
    return SimpleUploadedFile("balai.jpg", buffer.getvalue(), content_type="image/jpeg")


def test_registration_verification_publication_end_to_end(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    resident = UserFactory(email="ketua@example.test")
    staff = UserFactory(is_staff=True)
    client.force_login(resident)

    response = client.post(
        "/kelola/komunitas/daftar/",
        {
            "name": "Komunitas Taman Kukusan",
            "kecamatan": "beji",
            "kelurahan": "Kukusan",
            "statement": "Merawat taman.",
            "contact_name": "Ketua",
            "phone": "0812 3456 7890",
            "email": "taman@example.test",
        },
    )
    community = Community.objects.get()
    assert response.status_code == 302
    assert community.status == Community.Status.PENDING
    assert Membership.objects.filter(user=resident, community=community, role="organizer").exists()

    client.post(f"/kelola/komunitas/{community.slug}/fasilitas-baru/", FACILITY_FORM)
    facility = Facility.objects.get()
    assert facility.slug == "balai-warga-kukusan" and not facility.is_published
    client.post(f"/kelola/fasilitas/{facility.slug}/jam/", hours_form([(0, "08:00", "20:00")]))
    assert facility.opening_hours.count() == 1

    # Not verified yet: publishing is refused with a clear message.
    client.post(f"/kelola/fasilitas/{facility.slug}/terbit/", {"publish": "1"})
    facility.refresh_from_db()
    assert not facility.is_published
    assert "Balai Warga Kukusan" not in client.get("/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        community_services.community_verify(community=community, actor=staff)
    assert len(mailoutbox) == 1
    assert sorted(mailoutbox[0].to) == ["ketua@example.test", "taman@example.test"]
    assert "Komunitas Taman Kukusan" in mailoutbox[0].subject

    client.post(f"/kelola/fasilitas/{facility.slug}/terbit/", {"publish": "1"})
    facility.refresh_from_db()
    assert facility.is_published
    assert "Balai Warga Kukusan" in client.get("/").content.decode()


def test_declining_a_community_needs_a_reason_and_mails_it(
    mailoutbox, django_capture_on_commit_callbacks
):
    community = MembershipFactory(community__status=Community.Status.PENDING).community
    staff = UserFactory(is_staff=True)

    with pytest.raises(community_services.CommunityError):
        community_services.community_decline(community=community, actor=staff, reason="  ")
    with pytest.raises(community_services.CommunityError):
        community_services.community_verify(community=community, actor=UserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        community_services.community_decline(
            community=community, actor=staff, reason="Data belum lengkap"
        )

    community.refresh_from_db()
    assert community.status == Community.Status.DECLINED
    assert "Data belum lengkap" in mailoutbox[0].body


@pytest.fixture
def organizer_and_facility():
    facility = FacilityFactory(slug="balai-warga", approval="community", horizon_days=365)
    for weekday in range(7):
        OpeningHoursFactory(
            facility=facility, weekday=weekday, opens=dt.time(8), closes=dt.time(20)
        )
    organizer = MembershipFactory(community=facility.community).user
    return organizer, facility


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"latitude": "-6.100000"}, "latitude"),  # Jakarta, not Depok
        ({"longitude": "107.500000"}, "longitude"),
        ({"min_slots": "4", "max_slots": "2"}, "max_slots"),
        ({"buffer_minutes": "900"}, "buffer_minutes"),
        ({"horizon_days": "0"}, "horizon_days"),
        ({"capacity": "-3"}, "capacity"),
        ({"slug": "sudah-ada"}, "slug"),
    ],
)
def test_facility_form_refuses_bad_input_next_to_the_field(
    client, organizer_and_facility, changes, field
):
    organizer, facility = organizer_and_facility
    FacilityFactory(slug="sudah-ada")
    client.force_login(organizer)

    response = client.post(f"/kelola/fasilitas/{facility.slug}/", {**FACILITY_FORM, **changes})

    assert response.status_code == 200
    assert field in response.context["form"].errors
    facility.refresh_from_db()
    assert facility.name != FACILITY_FORM["name"]  # nothing saved


@pytest.mark.parametrize(
    "rows",
    [
        [(0, "18:00", "08:00")],  # closes before it opens
        [(0, "08:00", "12:00"), (0, "11:00", "15:00")],  # overlapping intervals
    ],
)
def test_opening_hours_refuse_bad_intervals_and_keep_the_old_ones(
    client, organizer_and_facility, rows
):
    organizer, facility = organizer_and_facility
    client.force_login(organizer)

    response = client.post(f"/kelola/fasilitas/{facility.slug}/jam/", hours_form(rows))

    assert response.status_code == 200
    assert response.context["formset"].total_error_count()
    assert facility.opening_hours.count() == 7


def test_several_intervals_a_day_are_accepted(client, organizer_and_facility):
    organizer, facility = organizer_and_facility
    client.force_login(organizer)

    client.post(
        f"/kelola/fasilitas/{facility.slug}/jam/",
        hours_form([(5, "07:00", "11:00"), (5, "15:00", "22:00"), (6, "07:00", "11:00")]),
    )

    assert list(facility.opening_hours.values_list("weekday", flat=True)) == [5, 5, 6]


def test_a_closure_that_ends_before_it_starts_is_refused(client, organizer_and_facility):
    organizer, facility = organizer_and_facility
    client.force_login(organizer)

    response = client.post(
        f"/kelola/fasilitas/{facility.slug}/penutupan/",
        {"start": "2027-03-02T10:00", "end": "2027-03-01T10:00", "reason": "Renovasi"},
    )

    assert response.context["form"].errors["end"]
    assert not facility.closures.exists()


def test_changing_hours_under_bookings_lists_the_conflicts_and_loses_nothing(
    client, organizer_and_facility, mailoutbox
):
    organizer, facility = organizer_and_facility
    monday = dt.date(2027, 3, 1)
    evening = BookingFactory(
        facility=facility,
        start=clock.local_datetime(monday, dt.time(17)),
        end=clock.local_datetime(monday, dt.time(19)),
        status=BookingStatus.APPROVED,
    )
    morning = BookingFactory(
        facility=facility,
        start=clock.local_datetime(monday, dt.time(9)),
        end=clock.local_datetime(monday, dt.time(10)),
    )
    client.force_login(organizer)

    response = client.post(
        f"/kelola/fasilitas/{facility.slug}/jam/",
        hours_form([(day, "08:00", "16:00") for day in range(7)]),
    )

    assert response["Location"] == f"/kelola/fasilitas/{facility.slug}/konflik/"
    conflicts = client.get(response["Location"]).context["conflicts"]
    assert [booking for booking, _ in conflicts] == [evening]
    assert [v.code for v in conflicts[0][1]] == ["outside_opening_hours"]
    evening.refresh_from_db()
    morning.refresh_from_db()
    assert evening.status == BookingStatus.APPROVED and morning.status == BookingStatus.REQUESTED

    # Cancelling needs a reason; with one, the booking is cancelled through the service.
    client.post(
        f"/kelola/fasilitas/{facility.slug}/konflik/",
        {"reference": evening.reference, "reason": ""},
    )
    evening.refresh_from_db()
    assert evening.status == BookingStatus.APPROVED
    client.post(
        f"/kelola/fasilitas/{facility.slug}/konflik/",
        {"reference": evening.reference, "reason": "Jam buka berubah"},
    )
    evening.refresh_from_db()
    assert evening.status == BookingStatus.CANCELLED
    assert evening.events.last().reason == "Jam buka berubah"


MONDAY = dt.date(2027, 3, 1)


def four_hours_then_two_at_most(client, organizer, facility):
    """A four-hour booking, then the organizer allows two hours at most: a conflict."""
    long_one = BookingFactory(
        facility=facility,
        start=clock.local_datetime(MONDAY, dt.time(8)),
        end=clock.local_datetime(MONDAY, dt.time(12)),
    )
    client.force_login(organizer)
    client.post(
        f"/kelola/fasilitas/{facility.slug}/",
        {**FACILITY_FORM, "max_slots": "2", "slug": facility.slug},
    )
    return long_one


def test_policy_change_conflicts_for_length_and_grid(client, organizer_and_facility):
    organizer, facility = organizer_and_facility
    long_one = four_hours_then_two_at_most(client, organizer, facility)

    conflicts = client.get(f"/kelola/fasilitas/{facility.slug}/konflik/").context["conflicts"]
    assert [(booking, [v.code for v in violations]) for booking, violations in conflicts] == [
        (long_one, ["too_long"])
    ]


def test_a_kept_booking_leaves_the_list_until_it_breaks_another_rule(
    client, organizer_and_facility
):
    from bookings import services
    from bookings.errors import BookingError
    from facilities.services import closure_add

    organizer, facility = organizer_and_facility
    long_one = four_hours_then_two_at_most(client, organizer, facility)
    url = f"/kelola/fasilitas/{facility.slug}/konflik/"
    assert 'name="action" value="keep"' in client.get(url).content.decode()

    client.post(url, {"reference": long_one.reference, "action": "keep"})

    assert client.get(url).context["conflicts"] == []
    long_one.refresh_from_db()
    assert long_one.status == BookingStatus.REQUESTED  # kept, untouched
    assert (long_one.kept.rules, long_one.kept.decided_by) == ("too_long:minutes=120", organizer)

    # A later change that breaks another rule puts it back on the list.
    closure_add(
        facility=facility,
        start=clock.local_datetime(MONDAY, dt.time(10)),
        end=clock.local_datetime(MONDAY, dt.time(11)),
        reason="Perbaikan listrik",
        actor=organizer,
    )
    conflicts = client.get(url).context["conflicts"]
    assert [(b, [v.code for v in violations]) for b, violations in conflicts] == [
        (long_one, ["too_long", "closed"])
    ]

    # Only who manages the facility keeps a booking, and only one that breaks something.
    with pytest.raises(BookingError) as refused:
        services.booking_keep_despite_policy(booking=long_one, actor=UserFactory())
    assert refused.value.codes == ["not_allowed"]
    fitting = BookingFactory(
        facility=facility,
        start=clock.local_datetime(MONDAY, dt.time(14)),
        end=clock.local_datetime(MONDAY, dt.time(15)),
    )
    with pytest.raises(BookingError) as refused:
        services.booking_keep_despite_policy(booking=fitting, actor=organizer)
    assert refused.value.codes == ["nothing_to_keep"]


def test_an_organizer_of_another_community_cannot_keep_a_booking(client, organizer_and_facility):
    _organizer, facility = organizer_and_facility
    booking = BookingFactory(facility=facility)
    client.force_login(organizer_of(FacilityFactory()))

    response = client.post(
        f"/kelola/fasilitas/{facility.slug}/konflik/",
        {"reference": booking.reference, "action": "keep"},
    )

    assert response.status_code == 404
    assert not hasattr(booking, "kept")


def test_photos_upload_reorder_cover_delete(client, organizer_and_facility):
    organizer, facility = organizer_and_facility
    client.force_login(organizer)
    url = f"/kelola/fasilitas/{facility.slug}/foto/"

    client.post(url, {"image": jpeg(), "alt_text": "Tampak depan"})
    client.post(url, {"image": jpeg((600, 800)), "alt_text": "Ruang dalam"})
    first, second = facility.photos.order_by("position")
    assert first.is_cover and not second.is_cover
    assert first.thumbnail.name.endswith(".webp")

    client.post(f"{url}{second.pk}/", {"action": "up"})
    client.post(f"{url}{second.pk}/", {"action": "cover"})
    assert list(facility.photos.order_by("position").values_list("alt_text", "is_cover")) == [
        ("Ruang dalam", True),
        ("Tampak depan", False),
    ]
    client.post(f"{url}{second.pk}/", {"action": "delete"})
    assert list(facility.photos.values_list("alt_text", "is_cover")) == [("Tampak depan", True)]


def test_a_fake_photo_is_refused_with_a_message(client, organizer_and_facility):
    organizer, facility = organizer_and_facility
    client.force_login(organizer)

    response = client.post(
        f"/kelola/fasilitas/{facility.slug}/foto/",
        {"image": SimpleUploadedFile("foto.jpg", b"bukan gambar" * 50, content_type="image/jpeg")},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["image"]
    assert not facility.photos.exists()


def test_invite_accept_and_remove_organizers(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    community = MembershipFactory().community
    alice = community.memberships.get().user
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/kelola/komunitas/{community.slug}/", {"email": "Dewi@Example.test"})
    invitation = Invitation.objects.get()
    link = re.search(r"http://\S+/kelola/undangan/\S+/", mailoutbox[0].body).group(0)
    assert invitation.token in link

    # Someone else holding the link cannot use it.
    intruder = UserFactory(email="orang-lain@example.test")
    client.force_login(intruder)
    client.post(f"/kelola/undangan/{invitation.token}/")
    assert not Membership.objects.filter(user=intruder).exists()

    dewi = UserFactory(email="dewi@example.test")
    client.force_login(dewi)
    client.post(f"/kelola/undangan/{invitation.token}/")
    assert Membership.objects.filter(user=dewi, community=community).exists()

    # Dewi removes Alice; then the last organizer cannot be removed.
    client.post(f"/kelola/komunitas/{community.slug}/pengelola/{alice.pk}/hapus/")
    client.post(f"/kelola/komunitas/{community.slug}/pengelola/{dewi.pk}/hapus/")
    assert list(community.memberships.values_list("user", flat=True)) == [dewi.pk]


def test_organizers_decide_only_where_the_facility_delegates(client, organizer_and_facility):
    organizer, facility = organizer_and_facility
    delegated = BookingFactory(facility=facility)
    city_facility = FacilityFactory(community=facility.community, approval="city")
    city_booking = BookingFactory(facility=city_facility)
    client.force_login(organizer)

    client.post(f"/kelola/booking/{delegated.reference}/putuskan/", {"action": "approve"})
    client.post(f"/kelola/booking/{city_booking.reference}/putuskan/", {"action": "approve"})
    reject = BookingFactory(
        facility=facility,
        start=delegated.start + dt.timedelta(days=1),
        end=delegated.end + dt.timedelta(days=1),
    )
    client.post(f"/kelola/booking/{reject.reference}/putuskan/", {"action": "reject", "reason": ""})

    delegated.refresh_from_db()
    city_booking.refresh_from_db()
    reject.refresh_from_db()
    assert delegated.status == BookingStatus.APPROVED
    assert delegated.events.last().actor == organizer
    assert city_booking.status == BookingStatus.REQUESTED
    assert reject.status == BookingStatus.REQUESTED  # a reason is required


def test_plain_text_community_mails_are_not_html_escaped(
    mailoutbox, django_capture_on_commit_callbacks
):
    community = MembershipFactory(
        community__name="Warga RT 05 & RW 02", community__status="pending"
    ).community
    staff = UserFactory(is_staff=True)

    with django_capture_on_commit_callbacks(execute=True):
        community_services.community_verify(community=community, actor=staff)

    assert "Warga RT 05 & RW 02" in mailoutbox[0].subject
    assert "Warga RT 05 & RW 02" in mailoutbox[0].body


def test_spare_rows_of_the_hours_form_left_empty_are_ignored(client, organizer_and_facility):
    """The page shows two spare rows; sending it with one new row filled in saves that row."""
    organizer, facility = organizer_and_facility
    facility.opening_hours.all().delete()
    client.force_login(organizer)
    page = client.get(f"/kelola/fasilitas/{facility.slug}/jam/")
    formset = page.context["formset"]
    data = {
        "jam-TOTAL_FORMS": str(formset.total_form_count()),
        "jam-INITIAL_FORMS": "0",
        "jam-0-weekday": "0",
        "jam-0-opens": "08:00",
        "jam-0-closes": "20:00",
    }
    html = page.content.decode()
    for index in range(1, formset.total_form_count()):
        # An untouched select sends its first option, as rendered.
        select = re.search(
            rf'<select name="jam-{index}-weekday"[^>]*>\s*<option value="([^"]*)"', html
        )
        data[f"jam-{index}-weekday"] = select.group(1)

    response = client.post(f"/kelola/fasilitas/{facility.slug}/jam/", data)

    assert response.status_code == 302
    assert list(facility.opening_hours.values_list("weekday", flat=True)) == [0]


def test_the_organizers_see_a_priced_booking_s_class_and_lines(client):
    from tests.factories import AddOnFactory, priced_facility, request_booking, wib

    facility = priced_facility(approval="community", lead_hours=0)
    sound = AddOnFactory(
        community=facility.community,
        name="Sound system",
        price=75_000,
        stock=2,
        offered_at=[facility],
    )
    booking = request_booking(
        facility,
        wib(2027, 3, 2, 9),
        wib(2027, 3, 2, 11),
        now=wib(2027, 3, 1, 9),
        tariff_class="komersial",
        addons={sound.pk: 1},
    )
    client.force_login(organizer_of(facility))
    client.cookies["django_language"] = "en"

    response = client.get(f"/kelola/booking/{booking.reference}/")

    page = response.content.decode()
    assert '<html lang="en">' in page and "Commercial" in page
    assert "2 × Rp 150.000" in page
    assert "Sound system" in page
    assert "Rp 375.000" in page
