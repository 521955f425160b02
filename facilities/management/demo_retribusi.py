"""The demo's retribusi: Perda-like tariffs for three facilities (one with a new tariff that
starts next year) and the add-ons the Balai Rakyat forum lends. Part of seed_demo; each row
is created only when missing."""

import datetime as dt

from facilities.models import AddOn, Facility, Tariff
from haidepok import clock

# facility slug → (class, unit, price) in force from the start of this year.
TARIFFS = {
    "balai-rakyat-sukmajaya": [
        ("sosial", "hour", 50_000),
        ("sosial", "half_day", 250_000),
        ("sosial", "day", 400_000),
        ("komersial", "hour", 150_000),
        ("komersial", "half_day", 750_000),
        ("komersial", "day", 1_200_000),
        ("gratis", "hour", 0),
    ],
    "lapangan-bola-tapos": [
        ("sosial", "hour", 50_000),
        ("komersial", "hour", 100_000),
    ],
    "gedung-serbaguna-sawangan": [
        ("sosial", "hour", 100_000),
        ("sosial", "half_day", 500_000),
        ("sosial", "day", 900_000),
        ("komersial", "hour", 250_000),
        ("komersial", "half_day", 1_250_000),
        ("gratis", "hour", 0),
    ],
}
# The new Perda for Balai Rakyat Sukmajaya's social class, from 1 January next year.
NEXT_YEAR_TARIFFS = {"balai-rakyat-sukmajaya": [("sosial", "hour", 60_000)]}
LEGAL_BASIS = "Perda Kota Depok tentang Retribusi Jasa Umum (contoh demo)"

# community slug → (name, description, price, stock, facility slugs)
ADDONS = {
    "forum-balai-rakyat": [
        (
            "Sound system",
            "Dua speaker aktif, mixer dan dua mikrofon",
            150_000,
            2,
            ["balai-rakyat-beji", "balai-rakyat-pancoran-mas", "balai-rakyat-sukmajaya"],
        ),
        (
            "Kursi lipat (10 buah)",
            "Diantar dan disusun oleh petugas",
            20_000,
            20,
            ["balai-rakyat-beji", "balai-rakyat-pancoran-mas", "balai-rakyat-sukmajaya"],
        ),
        ("Proyektor dan layar", "", 75_000, 1, ["balai-rakyat-sukmajaya"]),
    ],
}


def seed_retribusi(facilities: dict[str, Facility], communities: dict) -> None:
    this_year = dt.date(clock.local_now().year, 1, 1)
    next_year = dt.date(this_year.year + 1, 1, 1)
    for slug, rows in TARIFFS.items():
        facility = facilities[slug]
        if Tariff.objects.filter(facility=facility).exists():
            continue
        renewed = {(c, u) for c, u, _price in NEXT_YEAR_TARIFFS.get(slug, [])}
        Tariff.objects.bulk_create(
            Tariff(
                facility=facility,
                tariff_class=tariff_class,
                unit=unit,
                price=price,
                valid_from=this_year,
                valid_until=next_year - dt.timedelta(days=1)
                if (tariff_class, unit) in renewed
                else None,
                legal_basis=LEGAL_BASIS,
            )
            for tariff_class, unit, price in rows
        )
        Tariff.objects.bulk_create(
            Tariff(
                facility=facility,
                tariff_class=tariff_class,
                unit=unit,
                price=price,
                valid_from=next_year,
                legal_basis=LEGAL_BASIS,
            )
            for tariff_class, unit, price in NEXT_YEAR_TARIFFS.get(slug, [])
        )
    for community_slug, rows in ADDONS.items():
        community = communities[community_slug]
        for name, description, price, stock, slugs in rows:
            addon, created = AddOn.objects.get_or_create(
                community=community,
                name=name,
                defaults={"description": description, "price": price, "stock": stock},
            )
            if created:
                addon.facilities.set([facilities[slug] for slug in slugs])
