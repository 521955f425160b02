import pytest

from communities.models import Community
from tests.factories import CommunityFactory, FacilityFactory, TariffFactory

pytestmark = pytest.mark.django_db


def test_home_lists_only_bookable_facilities(client):
    FacilityFactory(name="Balai Rakyat Beji")
    serbaguna = FacilityFactory(name="Gedung Serbaguna")
    TariffFactory(facility=serbaguna, unit="day", price=250_000)
    # Free for a posyandu does not make the hall free: the card shows the paying price.
    TariffFactory(facility=serbaguna, tariff_class="gratis", unit="day", price=0)
    FacilityFactory(name="Belum Terbit", is_published=False)
    FacilityFactory(
        name="Komunitas Baru", community=CommunityFactory(status=Community.Status.PENDING)
    )

    response = client.get("/")
    page = response.content.decode()

    assert response.status_code == 200
    assert "Balai Rakyat Beji" in page and "Gedung Serbaguna" in page
    assert "Belum Terbit" not in page and "Komunitas Baru" not in page
    cards = {card.name: card for card in response.context["facilities"]}
    assert [t.price for t in cards["Gedung Serbaguna"].paying_tariffs] == [250_000]
    assert cards["Balai Rakyat Beji"].paying_tariffs == []
    assert "Rp 250.000" in page
    assert "Gratis" in page


def test_home_speaks_indonesian_by_default_and_english_on_request(client):
    FacilityFactory()

    assert '<html lang="id">' in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/").content.decode()
    assert '<html lang="en">' in page
    assert "Free" in page


def test_home_uses_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    FacilityFactory.create_batch(3)
    # The facilities (with their community), their photos and today's prices; the
    # paginator's count.
    with django_assert_max_num_queries(4) as few:
        client.get("/")
    for facility in FacilityFactory.create_batch(20):
        TariffFactory(facility=facility, price=40_000)
        TariffFactory(facility=facility, tariff_class="komersial", price=90_000)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/")
