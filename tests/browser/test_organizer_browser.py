"""An organizer adds a facility with its hours and a photo, publishes it, and residents find
it in the public catalog."""

import io

import pytest
from playwright.sync_api import expect

from facilities.models import Facility
from tests.browser.helpers import sign_in, t
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)


def jpeg_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (900, 600), (30, 120, 70)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_an_organizer_publishes_a_new_facility(page, tmp_path):
    organizer = MembershipFactory(community__name="Komunitas Taman Kukusan").user
    photo = tmp_path / "aula.jpg"
    photo.write_bytes(jpeg_bytes())
    sign_in(page, organizer.email)

    page.goto("/kelola/")
    page.get_by_role("link", name=t("Add a facility")).click()
    page.get_by_label(t("name").capitalize(), exact=True).fill("Aula Warga Kukusan")
    page.get_by_label(t("kind").capitalize(), exact=True).select_option("hall")
    page.get_by_label(t("address").capitalize(), exact=True).fill("Jl. Kukusan Raya No. 7")
    page.get_by_label(t("kecamatan").capitalize(), exact=True).select_option("beji")
    page.get_by_label(t("capacity (people)").capitalize(), exact=True).fill("80")
    page.get_by_role("button", name=t("Save"), exact=True).click()

    # Opening hours: Monday 08.00-20.00.
    expect(page.get_by_role("heading", level=2, name=t("Opening hours"))).to_be_visible()
    page.locator("#id_jam-0-weekday").select_option("0")
    page.locator("#id_jam-0-opens").fill("08:00")
    page.locator("#id_jam-0-closes").fill("20:00")
    page.get_by_role("button", name=t("Save opening hours")).click()
    expect(page.locator(".messages")).to_contain_text(t("Opening hours saved."))
    facility = Facility.objects.get(name="Aula Warga Kukusan")
    assert list(facility.opening_hours.values_list("weekday", flat=True)) == [0]

    page.goto(f"/kelola/fasilitas/{facility.slug}/foto/")
    page.locator("input[type=file]").set_input_files(str(photo))
    page.get_by_role("button", name=t("Upload")).click()
    expect(page.locator(".photo-admin img")).to_have_count(1)

    page.get_by_role("button", name=t("Publish"), exact=True).click()
    expect(page.locator(".publish .status")).to_have_text(t("Published"))

    page.goto("/?q=Kukusan")
    card = page.locator(".facility-card", has_text="Aula Warga Kukusan")
    expect(card).to_be_visible()
    expect(card.locator("img.card-photo")).to_be_visible()
