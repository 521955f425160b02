import datetime as dt

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from bookings.models import Booking, BookingStatus
from communities.models import Community, Membership
from facilities.models import Closure, Facility, OpeningHours
from haidepok import clock


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
