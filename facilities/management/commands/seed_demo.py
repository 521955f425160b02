"""Demo data for a local Hai Depok: communities, facilities, one user of each role, bookings.

Idempotent: every row has a natural key (email, slug, reference) and is only created when it
is missing, so running the command again changes nothing.
"""

import datetime as dt

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from bookings.models import Booking, BookingEvent
from bookings.service_standard import decision_due_at
from communities.models import Community, Membership
from documents.demo import seed_documents
from facilities.management.demo_photos import seed_photos
from facilities.management.demo_retribusi import seed_retribusi
from facilities.models import Facility, OpeningHours
from haidepok import clock, page_cache
from haidepok.admin_site import PEMKOT_STAFF_GROUP

User = get_user_model()

USERS = [
    # email, password, full name, role
    ("warga@haidepok.local", "warga-depok-2026", "Siti Rahmawati", "resident"),
    ("pengelola@haidepok.local", "pengelola-depok-2026", "Budi Santoso", "organizer"),
    ("staf@haidepok.local", "staf-pemkot-2026", "Dewi Lestari", "staff"),
]

COMMUNITIES = [
    {
        "slug": "forum-balai-rakyat",
        "name": "Forum Pengelola Balai Rakyat Depok",
        "kecamatan": "pancoran-mas",
        "kelurahan": "Depok",
        "contact_name": "Budi Santoso",
        "phone": "+62 812 1000 2000",
        "email": "balairakyat@haidepok.local",
        "statement": "Mengelola gedung Balai Rakyat di kelurahan bersama Pemkot Depok.",
    },
    {
        "slug": "komunitas-ruang-publik-depok",
        "name": "Komunitas Ruang Publik Depok",
        "kecamatan": "beji",
        "kelurahan": "Beji Timur",
        "contact_name": "Budi Santoso",
        "phone": "+62 812 3000 4000",
        "email": "ruangpublik@haidepok.local",
        "statement": "Merawat taman dan lapangan agar terbuka untuk semua warga.",
    },
]

# A community that has applied and waits for Pemkot staff: its facility is not bookable.
PENDING_COMMUNITY = {
    "slug": "karang-taruna-limo",
    "name": "Karang Taruna Limo",
    "kecamatan": "limo",
    "kelurahan": "Limo",
    "contact_name": "Rudi Hartono",
    "phone": "+62 813 5555 6666",
    "email": "kt-limo@haidepok.local",
    "statement": "Kegiatan pemuda di Kecamatan Limo.",
}

HALL_HOURS = [(day, "08:00", "21:00") for day in range(7)]
PARK_HOURS = [(day, "06:00", "18:00") for day in range(7)]
COURT_HOURS = [
    (day, start, end) for day in range(7) for start, end in [("07:00", "11:00"), ("15:00", "22:00")]
]
ROOM_HOURS = [(day, "08:00", "16:00") for day in range(5)]

FACILITIES = [
    {
        "community": "forum-balai-rakyat",
        "slug": "balai-rakyat-beji",
        "name": "Balai Rakyat Beji",
        "kind": "hall",
        "kecamatan": "beji",
        "kelurahan": "Beji",
        "address": "Jl. Bungur Raya No. 10, Beji",
        "latitude": "-6.374100",
        "longitude": "106.818300",
        "capacity": 150,
        "amenities": ["Kursi 150", "Sound system", "Toilet", "Parkir motor"],
        "house_rules": (
            "Jaga kebersihan. Selesai acara, kursi dikembalikan. Dilarang merokok di dalam gedung."
        ),
        "approval": "city",
        "slot_minutes": 60,
        "min_slots": 2,
        "max_slots": 6,
        "buffer_minutes": 60,
        "closed_on_public_holidays": True,
        "hours": HALL_HOURS,
    },
    {
        "community": "forum-balai-rakyat",
        "slug": "balai-rakyat-pancoran-mas",
        "name": "Balai Rakyat Pancoran Mas",
        "kind": "hall",
        "kecamatan": "pancoran-mas",
        "kelurahan": "Pancoran Mas",
        "address": "Jl. Raya Citayam No. 5, Pancoran Mas",
        "latitude": "-6.401900",
        "longitude": "106.812000",
        "capacity": 200,
        "amenities": ["Kursi 200", "Panggung", "Toilet", "Mushola"],
        "house_rules": "Acara selesai paling lambat pukul 21.00.",
        "approval": "city",
        "slot_minutes": 60,
        "min_slots": 2,
        "max_slots": 8,
        "buffer_minutes": 60,
        "closed_on_public_holidays": True,
        "hours": HALL_HOURS,
    },
    {
        "community": "forum-balai-rakyat",
        "slug": "balai-rakyat-sukmajaya",
        "name": "Balai Rakyat Sukmajaya",
        "kind": "hall",
        "kecamatan": "sukmajaya",
        "kelurahan": "Mekarjaya",
        "address": "Jl. Merdeka Raya, Mekarjaya, Sukmajaya",
        "latitude": "-6.393500",
        "longitude": "106.835200",
        "capacity": 120,
        "amenities": ["Kursi 120", "Proyektor", "Toilet"],
        "house_rules": "Biaya kebersihan dibayar di tempat.",
        "approval": "community",
        "slot_minutes": 60,
        "min_slots": 1,
        "max_slots": 6,
        "buffer_minutes": 30,
        "hours": HALL_HOURS,
    },
    {
        "community": "komunitas-ruang-publik-depok",
        "slug": "taman-lembah-gurame",
        "name": "Taman Lembah Gurame",
        "kind": "park",
        "kecamatan": "pancoran-mas",
        "kelurahan": "Pancoran Mas",
        "address": "Jl. Lembah Gurame, Pancoran Mas",
        "latitude": "-6.395700",
        "longitude": "106.819600",
        "capacity": 300,
        "amenities": ["Area terbuka", "Jogging track", "Toilet umum"],
        "house_rules": "Tidak boleh memasang tenda permanen. Sampah dibawa pulang.",
        "approval": "community",
        "slot_minutes": 60,
        "min_slots": 1,
        "max_slots": 4,
        "buffer_minutes": 0,
        "hours": PARK_HOURS,
    },
    {
        "community": "komunitas-ruang-publik-depok",
        "slug": "lapangan-futsal-alun-alun",
        "name": "Lapangan Futsal Alun-Alun Depok",
        "kind": "court",
        "kecamatan": "cilodong",
        "kelurahan": "Kalimulya",
        "address": "Alun-Alun Kota Depok, Jl. Boulevard GDC, Cilodong",
        "latitude": "-6.418800",
        "longitude": "106.833900",
        "capacity": 20,
        "amenities": ["Rumput sintetis", "Lampu malam", "Ruang ganti"],
        "house_rules": "Wajib sepatu futsal. Maksimal 2 jam per pemesanan.",
        "approval": "auto",
        "slot_minutes": 60,
        "min_slots": 1,
        "max_slots": 2,
        "buffer_minutes": 0,
        "lead_hours": 2,
        "horizon_days": 14,
        "max_active_per_user": 2,
        "cancel_hours": 2,
        "hours": COURT_HOURS,
    },
    {
        "community": "forum-balai-rakyat",
        "slug": "ruang-rapat-balai-kota",
        "name": "Ruang Rapat Balai Kota Depok",
        "kind": "room",
        "kecamatan": "pancoran-mas",
        "kelurahan": "Depok",
        "address": "Jl. Margonda Raya No. 54, Pancoran Mas",
        "latitude": "-6.396000",
        "longitude": "106.823500",
        "capacity": 30,
        "amenities": ["Meja rapat", "Proyektor", "Wi-Fi"],
        "house_rules": "Hanya hari kerja. Tunjukkan kode booking di resepsionis.",
        "approval": "city",
        "slot_minutes": 30,
        "min_slots": 2,
        "max_slots": 8,
        "buffer_minutes": 30,
        "closed_on_public_holidays": True,
        "hours": ROOM_HOURS,
    },
    {
        "community": "komunitas-ruang-publik-depok",
        "slug": "lapangan-bola-tapos",
        "name": "Lapangan Sepak Bola Tapos",
        "kind": "field",
        "kecamatan": "tapos",
        "kelurahan": "Tapos",
        "address": "Jl. Raya Tapos, Tapos",
        "latitude": "-6.433400",
        "longitude": "106.865300",
        "capacity": 60,
        "amenities": ["Lapangan rumput", "Gawang", "Bangku penonton"],
        "house_rules": "Tidak digunakan saat hujan deras.",
        "approval": "community",
        "slot_minutes": 120,
        "min_slots": 1,
        "max_slots": 2,
        "buffer_minutes": 0,
        "hours": PARK_HOURS,
    },
    {
        "community": "komunitas-ruang-publik-depok",
        "slug": "lapangan-basket-cinere",
        "name": "Lapangan Basket Cinere",
        "kind": "court",
        "kecamatan": "cinere",
        "kelurahan": "Cinere",
        "address": "Jl. Cinere Raya, Cinere",
        "latitude": "-6.333300",
        "longitude": "106.784000",
        "capacity": 24,
        "amenities": ["Ring standar", "Lampu malam"],
        "house_rules": "Bergantian dengan tertib.",
        "approval": "auto",
        "slot_minutes": 60,
        "min_slots": 1,
        "max_slots": 2,
        "lead_hours": 1,
        "horizon_days": 14,
        "cancel_hours": 1,
        "hours": COURT_HOURS,
    },
    {
        "community": "forum-balai-rakyat",
        "slug": "gedung-serbaguna-sawangan",
        "name": "Gedung Serbaguna Sawangan",
        "kind": "hall",
        "kecamatan": "sawangan",
        "kelurahan": "Sawangan Baru",
        "address": "Jl. Raya Sawangan No. 1, Sawangan",
        "latitude": "-6.402000",
        "longitude": "106.772000",
        "capacity": 250,
        "amenities": ["Kursi 250", "Panggung", "Dapur", "Parkir mobil"],
        "house_rules": "Dekorasi tidak boleh memaku dinding.",
        "approval": "city",
        "slot_minutes": 60,
        "min_slots": 3,
        "max_slots": 10,
        "buffer_minutes": 60,
        "hours": HALL_HOURS,
    },
    {
        # Still being prepared by its community: not in the public catalog.
        "community": "komunitas-ruang-publik-depok",
        "slug": "taman-hutan-kota-cimanggis",
        "name": "Taman Hutan Kota Cimanggis",
        "kind": "park",
        "kecamatan": "cimanggis",
        "kelurahan": "Mekarsari",
        "address": "Jl. Raya Bogor, Cimanggis",
        "capacity": 100,
        "is_published": False,
        "hours": PARK_HOURS,
    },
    {
        "community": "karang-taruna-limo",
        "slug": "aula-karang-taruna-limo",
        "name": "Aula Karang Taruna Limo",
        "kind": "hall",
        "kecamatan": "limo",
        "kelurahan": "Limo",
        "address": "Jl. Raya Limo, Limo",
        "capacity": 80,
        "hours": HALL_HOURS,
    },
]

# reference, facility, days from today, start hour, hours, status, purpose, organisation
BOOKINGS = [
    ("HD-TEM3AA", "balai-rakyat-beji", 3, 9, 3, "requested", "Rapat RW 05", "RW 05 Beji"),
    (
        "HD-TEM3AC",
        "balai-rakyat-pancoran-mas",
        5,
        13,
        4,
        "approved",
        "Posyandu lansia",
        "Posyandu Melati",
    ),
    (
        "HD-TEM3AE",
        "taman-lembah-gurame",
        4,
        7,
        2,
        "requested",
        "Senam pagi bersama",
        "Komunitas Senam Sehat",
    ),
    (
        "HD-TEM3AF",
        "lapangan-futsal-alun-alun",
        2,
        16,
        2,
        "approved",
        "Latihan futsal remaja",
        "Karang Taruna Cilodong",
    ),
    (
        "HD-TEM3AG",
        "balai-rakyat-sukmajaya",
        -7,
        9,
        4,
        "completed",
        "Pelatihan UMKM",
        "Koperasi Mekarjaya",
    ),
    ("HD-TEM3AH", "balai-rakyat-beji", -3, 13, 2, "rejected", "Pesta ulang tahun", ""),
    (
        "HD-TEM3AJ",
        "ruang-rapat-balai-kota",
        6,
        10,
        2,
        "cancelled",
        "Diskusi warga",
        "Forum Warga Depok",
    ),
]

EVENT_PATHS = {
    "requested": [("", "requested", "")],
    "approved": [("", "requested", ""), ("requested", "approved", "")],
    "completed": [
        ("", "requested", ""),
        ("requested", "approved", ""),
        ("approved", "completed", ""),
    ],
    "rejected": [
        ("", "requested", ""),
        ("requested", "rejected", "Balai dipakai untuk kegiatan kelurahan pada jam itu."),
    ],
    "cancelled": [("", "requested", ""), ("requested", "cancelled", "Acara ditunda.")],
}


def _time(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


class Command(BaseCommand):
    help = "Create demo communities, facilities, users and bookings (safe to run again)."

    @transaction.atomic
    def handle(self, *args, **options):
        users = self._users()
        communities = self._communities(users)
        facilities = self._facilities(communities)
        seed_retribusi(facilities, communities)
        seed_documents(facilities)
        seed_photos(facilities, users["organizer"])
        self._bookings(facilities, users)
        page_cache.catalog_changed()  # the bulk inserts above send no model signal
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in with:"))
        for email, password, _name, role in USERS:
            self.stdout.write(f"  {role:<10} {email:<28} {password}")

    def _users(self) -> dict:
        users = {}
        for email, password, full_name, role in USERS:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User(email=email, full_name=full_name)
                # Staff work in the admin with the least they need (the group), not as
                # superusers: the demo shows what a real staff account sees.
                user.is_staff = role == "staff"
                user.set_password(password)
                user.save()
            if role == "staff":
                user.groups.add(self._staff_group())
            EmailAddress.objects.get_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            users[role] = user
        return users

    def _staff_group(self) -> Group:
        group, created = Group.objects.get_or_create(name=PEMKOT_STAFF_GROUP)
        if created:  # made by a migration; missing only from a database built another way
            self.stderr.write(f"The group {PEMKOT_STAFF_GROUP!r} was missing: run migrate.")
        return group

    def _communities(self, users) -> dict:
        communities = {}
        for fields in COMMUNITIES:
            community, _ = Community.objects.get_or_create(
                slug=fields["slug"],
                defaults={**fields, "status": Community.Status.VERIFIED},
            )
            Membership.objects.get_or_create(
                user=users["organizer"],
                community=community,
                defaults={"role": Membership.Role.ORGANIZER},
            )
            communities[community.slug] = community
        pending, _ = Community.objects.get_or_create(
            slug=PENDING_COMMUNITY["slug"], defaults=PENDING_COMMUNITY
        )
        communities[pending.slug] = pending
        return communities

    def _facilities(self, communities) -> dict:
        facilities = {}
        for spec in FACILITIES:
            fields = dict(spec)
            hours = fields.pop("hours")
            fields["community"] = communities[fields["community"]]
            fields.setdefault("is_published", True)
            fields.setdefault(
                "description",
                f"{fields['name']} di Kecamatan {fields['kecamatan'].replace('-', ' ').title()}.",
            )
            facility, created = Facility.objects.get_or_create(slug=fields["slug"], defaults=fields)
            if created:
                OpeningHours.objects.bulk_create(
                    OpeningHours(
                        facility=facility, weekday=day, opens=_time(opens), closes=_time(closes)
                    )
                    for day, opens, closes in hours
                )
            facilities[facility.slug] = facility
        return facilities

    def _bookings(self, facilities, users) -> None:
        today = clock.local_now().date()
        resident, staff = users["resident"], users["staff"]
        for reference, slug, day_offset, hour, hours, status, purpose, organisation in BOOKINGS:
            if Booking.objects.filter(reference=reference).exists():
                continue
            facility = facilities[slug]
            start = clock.local_datetime(today + dt.timedelta(days=day_offset), dt.time(hour))
            end = start + dt.timedelta(hours=hours)
            decided = status not in ("requested",)
            booking = Booking.objects.create(
                reference=reference,
                facility=facility,
                user=resident,
                start=start,
                end=end,
                blocked_until=end + dt.timedelta(minutes=facility.buffer_minutes),
                purpose=purpose,
                attendees=min(facility.capacity, 25),
                organisation=organisation,
                contact_phone="+62 812 7777 8888",
                status=status,
                decided_by=staff if decided else None,
                decision_reason=EVENT_PATHS[status][-1][2] if decided else "",
                decided_at=clock.now() if decided else None,
                decision_working_days=0 if decided else None,
                rejection_category="city_event" if status == "rejected" else "",
                decision_due_at=None if decided else decision_due_at(clock.now(), start),
            )
            BookingEvent.objects.bulk_create(
                BookingEvent(
                    booking=booking,
                    actor=resident if to_status in ("requested", "cancelled") else staff,
                    from_status=from_status,
                    to_status=to_status,
                    reason=reason,
                )
                for from_status, to_status, reason in EVENT_PATHS[status]
            )
