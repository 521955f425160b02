import datetime as dt

import factory
import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from bookings.models import Booking, BookingStatus
from communities.models import Community, Membership
from facilities.models import AddOn, Closure, Facility, OpeningHours, Tariff
from haidepok import clock


def pemkot_staff_group():
    """The "Pemkot staff" group of the data migrations; a transactional test flushes the
    database and leaves no group behind, so it is made again when missing."""
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group

    from haidepok.admin_site import PEMKOT_STAFF_GROUP

    group = Group.objects.filter(name=PEMKOT_STAFF_GROUP).first()
    if group is None:
        importlib.import_module("bookings.migrations.0003_pemkot_staff_group").create_group(
            apps, None
        )
        importlib.import_module("bookings.migrations.0004_notification").grant_staff(apps, None)
        importlib.import_module("payments.migrations.0002_pemkot_staff_permissions").grant(
            apps, None
        )
        group = Group.objects.get(name=PEMKOT_STAFF_GROUP)
    return group


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"warga{n}@example.test")
    full_name = factory.Sequence(lambda n: f"Warga {n}")
    phone = "+62 812 0000 0000"
    password = factory.django.Password("rahasia-depok-123")

    @factory.post_generation
    def verified(user, create, extracted, **kwargs):
        """Users have a verified primary address unless built with verified=False."""
        if create and extracted is not False:
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

    @factory.post_generation
    def pemkot_staff(user, create, extracted, **kwargs):
        """A staff user is Pemkot staff (in the group) unless built with pemkot_staff=False:
        decisions for the city need the group's permissions, not just the is_staff flag."""
        if create and user.is_staff and extracted is not False:
            user.groups.add(pemkot_staff_group())


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    name = factory.Sequence(lambda n: f"Komunitas {n}")
    slug = factory.Sequence(lambda n: f"komunitas-{n}")
    kecamatan = "beji"
    contact_name = "Budi"
    phone = "+62 812 1111 2222"
    email = factory.Sequence(lambda n: f"komunitas{n}@example.test")
    status = Community.Status.VERIFIED


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    community = factory.SubFactory(CommunityFactory)
    role = Membership.Role.ORGANIZER


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"Balai Warga {n}")
    slug = factory.Sequence(lambda n: f"balai-warga-{n}")
    kind = Facility.Kind.HALL
    address = "Jl. Margonda Raya"
    kecamatan = "pancoran-mas"
    capacity = 100
    is_published = True


class OpeningHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OpeningHours

    facility = factory.SubFactory(FacilityFactory)
    weekday = 0
    opens = dt.time(8)
    closes = dt.time(20)


class ClosureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Closure

    facility = factory.SubFactory(FacilityFactory)
    start = factory.LazyFunction(lambda: clock.now() + dt.timedelta(days=1))
    end = factory.LazyAttribute(lambda closure: closure.start + dt.timedelta(hours=4))
    reason = "Perbaikan atap"


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    facility = factory.SubFactory(FacilityFactory)
    user = factory.SubFactory(UserFactory)
    start = factory.LazyFunction(
        lambda: clock.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=3)
    )
    end = factory.LazyAttribute(lambda booking: booking.start + dt.timedelta(hours=2))
    blocked_until = factory.LazyAttribute(
        lambda booking: booking.end + dt.timedelta(minutes=booking.facility.buffer_minutes)
    )
    purpose = "Rapat warga"
    attendees = 20
    contact_phone = "+62 812 3333 4444"
    status = BookingStatus.REQUESTED
    # A rejection always has a category (a constraint): "other" unless a test says which.
    rejection_category = factory.LazyAttribute(
        lambda booking: "other" if booking.status == BookingStatus.REJECTED else ""
    )


# --- Helpers for the booking engine's tests -------------------------------------------------


class TariffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tariff

    facility = factory.SubFactory(FacilityFactory)
    tariff_class = Tariff.Class.SOSIAL
    unit = Tariff.Unit.HOUR
    price = 50_000
    valid_from = dt.date(2000, 1, 1)
    valid_until = None


class AddOnFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AddOn
        skip_postgeneration_save = True

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"Sound system {n}")
    price = 75_000
    stock = 2

    @factory.post_generation
    def offered_at(addon, create, extracted, **kwargs):
        """AddOnFactory(offered_at=[facility, ...]): the facilities that lend it."""
        if create and extracted:
            addon.facilities.set(extracted)


def priced_facility(*, tariffs=None, **policy) -> Facility:
    """An open facility (as open_facility) with tariffs: by default sosial Rp 50.000 and
    komersial Rp 150.000 per hour, and gratis, all valid from 2000 with no end."""
    facility = open_facility(**policy)
    if tariffs is None:
        tariffs = [
            ("sosial", "hour", 50_000),
            ("komersial", "hour", 150_000),
            ("gratis", "hour", 0),
        ]
    for tariff_class, unit, price in tariffs:
        TariffFactory(facility=facility, tariff_class=tariff_class, unit=unit, price=price)
    return facility


def wib(*args) -> dt.datetime:
    """An aware moment on the wall clock of Depok: wib(2027, 3, 1, 9) is 09:00 WIB."""
    return dt.datetime(*args, tzinfo=clock.WIB)


def open_facility(hours=((dt.time(8), dt.time(20)),), weekdays=range(7), **policy) -> Facility:
    """A bookable facility (published, verified community) open `hours` on `weekdays`."""
    facility = FacilityFactory(**policy)
    for weekday in weekdays:
        for opens, closes in hours:
            OpeningHoursFactory(facility=facility, weekday=weekday, opens=opens, closes=closes)
    return facility


def organizer_of(facility, **kwargs):
    """A user who organizes the community that runs `facility`."""
    return MembershipFactory(community=facility.community, **kwargs).user


def request_booking(facility, start, end, *, now, user=None, attendees=10, **kwargs):
    """booking_request with the dull fields filled in (a fresh verified resident by default)."""
    from bookings import services

    return services.booking_request(
        facility=facility,
        user=user or UserFactory(),
        start=start,
        end=end,
        purpose=kwargs.pop("purpose", "Arisan RT 05"),
        attendees=attendees,
        contact_phone=kwargs.pop("contact_phone", "+62 812 5555 6666"),
        now=now,
        **kwargs,
    )


def assert_refused(error, code: str) -> None:
    """`error` (a BookingError) reports `code`, first, with a message in Indonesian (the
    default language) and its own text in English."""
    from django.utils import translation

    assert error.code == code, error.codes
    indonesian = error.message
    with translation.override("en"):
        english = error.message
    assert indonesian.strip(), code
    assert english.strip(), code
    assert indonesian != english, code


@pytest.fixture
def fast_password_hashing(settings):
    """Hash the factories' passwords with MD5: PBKDF2 costs most of a second per resident,
    and the booking tests make many residents. Use with pytest.mark.usefixtures."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- Helpers for the workspace's permission tests --------------------------------------------


class FacilityPhotoFactory(factory.django.DjangoModelFactory):
    """A photo row without files (its names only): enough to reorder, cover or delete."""

    class Meta:
        model = "facilities.FacilityPhoto"

    facility = factory.SubFactory(FacilityFactory)
    image = factory.Sequence(lambda n: f"facilities/foto-{n}.webp")
    thumbnail = factory.Sequence(lambda n: f"facilities/foto-{n}-kecil.webp")
    position = factory.Sequence(int)


def staff_with_permissions(*permissions: str, **kwargs):
    """An active staff account outside the "Pemkot staff" group, given `permissions`
    ("facilities.change_facility", ...) directly."""
    from django.contrib.auth.models import Permission

    user = UserFactory(is_staff=True, pemkot_staff=False, **kwargs)
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


def permission_cast(facility) -> dict:
    """Everyone whose rights in the workspace differ, for `facility`'s community."""
    return {
        "organizer": organizer_of(facility),
        "other_organizer": MembershipFactory().user,
        "resident": UserFactory(),
        "pemkot_staff": UserFactory(is_staff=True),
        "technician": UserFactory(is_staff=True, pemkot_staff=False),
        "superuser": UserFactory(is_staff=True, is_superuser=True, pemkot_staff=False),
        "facility_editor": staff_with_permissions("facilities.change_facility"),
    }


def facility_form_data(**changes) -> dict:
    """What the workspace's facility form posts, filled in and valid."""
    return {
        "name": "Balai Warga Kukusan",
        "slug": "",
        "kind": "hall",
        "description": "Aula serbaguna.",
        "address": "Jl. Kukusan No. 1",
        "kecamatan": "beji",
        "kelurahan": "Kukusan",
        "latitude": "-6.370000",
        "longitude": "106.820000",
        "capacity": "80",
        "amenities": "Kursi\nToilet",
        "house_rules": "Jaga kebersihan.",
        "slot_minutes": "60",
        "min_slots": "1",
        "max_slots": "4",
        "buffer_minutes": "30",
        "lead_hours": "24",
        "horizon_days": "60",
        "max_active_per_user": "3",
        "cancel_hours": "24",
        "approval": "community",
        **changes,
    }
