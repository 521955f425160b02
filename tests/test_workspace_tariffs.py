"""The workspace's pages for the retribusi (facilities/workspace_tariffs.py): a facility's
tariffs and a community's add-ons, for its organizers and for Pemkot staff as the admin's
permissions allow. The rules themselves are tested with the services (tests/test_tariffs.py);
here, that a page shows their refusal on its form, keeps the input and saves nothing."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.html import escape

from bookings.models import BookingLine, BookingStatus
from facilities.models import AddOn, Tariff
from facilities.tariffs import MESSAGES
from haidepok import clock
from tests.factories import (
    AddOnFactory,
    BookingFactory,
    FacilityFactory,
    MembershipFactory,
    TariffFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    organizer_of,
    staff_with_permissions,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

TODAY = clock.local_now().date()


def shown(text) -> str:
    """`text` as the site shows it: in Indonesian, escaped for HTML."""
    with translation.override("id"):
        return escape(translation.gettext(text) if isinstance(text, str) else str(text))


def in_indonesian(text) -> str:
    with translation.override("id"):
        return str(text)


@pytest.fixture
def world():
    facility = FacilityFactory(name="Balai Rakyat Beji", slug="balai-rakyat-beji")
    community = facility.community
    other_organizer = MembershipFactory().user
    return SimpleNamespace(
        facility=facility,
        community=community,
        second_hall=FacilityFactory(community=community, name="Aula Kukusan"),
        foreign_hall=FacilityFactory(community=other_organizer.communities.get(), name="Aula Lain"),
        tariff=TariffFactory(facility=facility, price=50_000, legal_basis="Perda No. 1/2024"),
        addon=AddOnFactory(
            community=community, name="Kursi lipat", stock=50, offered_at=[facility]
        ),
        organizer=organizer_of(facility),
        other_organizer=other_organizer,
        resident=UserFactory(),
        pemkot_staff=UserFactory(is_staff=True),  # the group keeps tariffs and add-ons
        technician=UserFactory(is_staff=True, pemkot_staff=False),  # no permission at all
        viewer=staff_with_permissions(
            "facilities.view_facility",
            "facilities.view_tariff",
            "communities.view_community",
            "facilities.view_addon",
        ),
    )


def tariffs_url(w) -> str:
    return f"/kelola/fasilitas/{w.facility.slug}/tarif/"


def addons_url(w) -> str:
    return f"/kelola/komunitas/{w.community.slug}/alat-tambahan/"


def tariff_form(**changes) -> dict:
    """What the add form posts: a komersial tariff per day, in force from next month."""
    return {
        "tariff_class": "komersial",
        "unit": "day",
        "price": "1500000",
        "valid_from": str(TODAY + dt.timedelta(days=30)),
        "valid_until": "",
        "legal_basis": "Perda Kota Depok No. 2 Tahun 2026",
        **changes,
    }


def addon_form(**changes) -> dict:
    return {"name": "Proyektor", "description": "", "price": "100000", "stock": "2", **changes}


def tariff_terms(w):
    return list(
        Tariff.objects.filter(facility=w.facility)
        .order_by("pk")
        .values_list("tariff_class", "unit", "price", "valid_from", "valid_until", "legal_basis")
    )


def addon_terms(w):
    return [
        (
            addon.name,
            addon.price,
            addon.stock,
            addon.is_active,
            {f.pk for f in addon.facilities.all()},
        )
        for addon in AddOn.objects.filter(community=w.community).order_by("pk")
    ]


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- Tariffs, for an organizer ---------------------------------------------------------------


def test_the_tariff_list_shows_each_tariff_its_days_and_its_state_in_words(client, world):
    upcoming = TariffFactory(
        facility=world.facility,
        tariff_class="komersial",
        unit="day",
        price=1_500_000,
        valid_from=dt.date(2099, 1, 1),
    )
    ended = TariffFactory(
        facility=world.facility,
        tariff_class="komersial",
        price=120_000,
        valid_from=dt.date(2001, 1, 1),
        valid_until=dt.date(2001, 12, 31),
    )
    client.force_login(world.organizer)

    response = client.get(tariffs_url(world))
    html = response.content.decode()

    assert response.status_code == 200
    states = {tariff.pk: tariff.state for tariff in response.context["tariffs"]}
    assert states == {world.tariff.pk: "current", upcoming.pk: "upcoming", ended.pk: "ended"}
    for state in ("In force", "Upcoming", "Ended"):
        assert shown(state) in html, state
    assert "Rp 50.000" in html and "Rp 1.500.000" in html
    # Dates in Indonesian, the last day included.
    assert "1 Januari 2099" in html and "31 Desember 2001" in html
    assert "Perda No. 1/2024" in html
    assert html.count('name="last_day"') == 2  # an ended tariff has nothing left to end
    assert f'aria-current="page">{shown("Tariffs")}</a>' in html


def test_the_add_form_explains_each_class(client, world):
    client.force_login(world.organizer)

    html = client.get(tariffs_url(world)).content.decode()

    from facilities.models import CLASS_RULES

    for rules in CLASS_RULES.values():
        assert shown(rules) in html
    assert 'type="radio" name="tariff_class"' in html


def test_an_organizer_adds_a_tariff(client, world):
    client.force_login(world.organizer)

    response = client.post(tariffs_url(world), tariff_form())

    assert response.status_code == 302 and response["Location"] == tariffs_url(world)
    assert tariff_terms(world)[-1] == (
        "komersial",
        "day",
        1_500_000,
        TODAY + dt.timedelta(days=30),
        None,
        "Perda Kota Depok No. 2 Tahun 2026",
    )


@pytest.mark.parametrize(
    "changes, field, message",
    [
        # Not a number, or a negative one: the form's own messages (Django's, in Indonesian).
        ({"price": "-5"}, "price", None),
        ({"price": "lima ribu"}, "price", None),
        # A class or unit typed by hand: the rules' message.
        ({"tariff_class": "vip"}, "tariff_class", MESSAGES["tariff_class_unknown"]),
        ({"unit": "minute"}, "unit", MESSAGES["unit_unknown"]),
        # The services' rules, next to their field.
        ({"tariff_class": "gratis", "price": "1000"}, "price", MESSAGES["gratis_not_free"]),
        ({"valid_from": ""}, "valid_from", MESSAGES["valid_from_required"]),
    ],
)
def test_bad_input_is_told_next_to_its_field_and_saves_nothing(
    client, world, changes, field, message
):
    client.force_login(world.organizer)
    before = tariff_terms(world)

    response = client.post(tariffs_url(world), tariff_form(**changes))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    if message is not None:
        assert errors[field] == [in_indonesian(message)]
    assert escape(errors[field][0]) in response.content.decode()
    assert tariff_terms(world) == before


def test_a_last_day_before_the_first_is_refused_by_the_service(client, world):
    client.force_login(world.organizer)

    response = client.post(
        tariffs_url(world),
        tariff_form(valid_from="2030-06-01", valid_until="2030-05-31"),
    )

    assert list(response.context["form"].errors) == ["valid_until"]
    assert len(tariff_terms(world)) == 1


def test_an_overlapping_tariff_is_refused_above_the_form_with_the_input_kept(client, world):
    client.force_login(world.organizer)

    response = client.post(
        tariffs_url(world),
        tariff_form(tariff_class="sosial", unit="hour", price="65000", valid_from="2030-01-01"),
    )
    html = response.content.decode()

    assert response.status_code == 200
    [error] = response.context["form"].non_field_errors()
    assert "Rp 50.000" in error and "2000" in error  # it names the tariff in force
    assert escape(error) in html
    assert 'value="65000"' in html and 'value="2030-01-01"' in html  # the input is kept
    assert len(tariff_terms(world)) == 1


def test_an_organizer_edits_a_tariff_on_its_page(client, world):
    url = f"{tariffs_url(world)}{world.tariff.pk}/"
    client.force_login(world.organizer)

    page = client.get(url)
    response = client.post(
        url,
        tariff_form(
            tariff_class="sosial",
            unit="hour",
            price="60000",
            valid_from="2000-01-01",
            legal_basis="Perda No. 3/2026",
        ),
    )

    assert page.status_code == 200 and page.context["form"].initial["price"] == 50_000
    assert response.status_code == 302
    world.tariff.refresh_from_db()
    assert (world.tariff.price, world.tariff.legal_basis) == (60_000, "Perda No. 3/2026")


def test_an_edit_into_another_tariff_s_days_is_refused_and_changes_nothing(client, world):
    later = TariffFactory(facility=world.facility, price=70_000, valid_from=dt.date(2001, 1, 1))
    world.tariff.valid_until = dt.date(2000, 12, 31)
    world.tariff.save()
    before = tariff_terms(world)
    client.force_login(world.organizer)

    response = client.post(
        f"{tariffs_url(world)}{later.pk}/",
        tariff_form(tariff_class="sosial", unit="hour", price="70000", valid_from="2000-06-01"),
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert 'value="2000-06-01"' in response.content.decode()
    assert tariff_terms(world) == before


def test_an_organizer_ends_a_tariff_on_a_last_day(client, world):
    client.force_login(world.organizer)

    response = client.post(
        f"{tariffs_url(world)}{world.tariff.pk}/akhiri/", {"last_day": "2026-12-31"}
    )

    assert response.status_code == 302
    world.tariff.refresh_from_db()
    assert world.tariff.valid_until == dt.date(2026, 12, 31)


@pytest.mark.parametrize("action", ["edit", "end"])
def test_a_tariff_deleted_by_another_editor_meanwhile_is_a_404(client, world, monkeypatch, action):
    """The page read the tariff; another organizer deleted it before the service saved."""
    from facilities import workspace_tariffs

    stale = Tariff.objects.get(pk=world.tariff.pk)
    monkeypatch.setattr(workspace_tariffs, "_tariff_of", lambda facility, tariff_id: stale)
    Tariff.objects.filter(pk=stale.pk).delete()
    client.force_login(world.organizer)
    url = f"{tariffs_url(world)}{stale.pk}/"
    if action == "edit":
        response = client.post(url, tariff_form(tariff_class="sosial", unit="hour"))
    else:
        response = client.post(f"{url}akhiri/", {"last_day": "2026-12-31"})

    assert response.status_code == 404
    assert not Tariff.objects.filter(pk=stale.pk).exists()


def test_a_last_day_before_the_tariff_s_first_day_is_refused_on_its_row(client, world):
    client.force_login(world.organizer)

    response = client.post(
        f"{tariffs_url(world)}{world.tariff.pk}/akhiri/", {"last_day": "1999-12-31"}
    )

    assert response.status_code == 200
    [row] = response.context["tariffs"]
    assert list(row.end_form.errors) == ["last_day"]
    assert 'value="1999-12-31"' in response.content.decode()
    world.tariff.refresh_from_db()
    assert world.tariff.valid_until is None


def test_an_organizer_deletes_a_tariff_after_confirming(client, world):
    url = f"{tariffs_url(world)}{world.tariff.pk}/hapus/"
    client.force_login(world.organizer)

    confirmation = client.get(url)
    html = confirmation.content.decode()
    assert confirmation.status_code == 200 and Tariff.objects.filter(pk=world.tariff.pk).exists()
    assert "Rp 50.000" in html and '<form method="post"' in html  # what is to go, then the POST

    response = client.post(url)

    assert response.status_code == 302
    assert not Tariff.objects.filter(pk=world.tariff.pk).exists()


def test_a_tariff_of_another_facility_is_not_found_through_this_one(client, world):
    elsewhere = TariffFactory(facility=world.second_hall)
    client.force_login(world.organizer)

    for suffix in ("", "akhiri/", "hapus/"):
        response = client.post(
            f"{tariffs_url(world)}{elsewhere.pk}/{suffix}", {"last_day": "2026-12-31"}
        )
        assert response.status_code == 404, suffix
    assert Tariff.objects.filter(pk=elsewhere.pk, valid_until=None).exists()


def test_the_other_facility_tabs_link_to_the_tariffs(client, world):
    client.force_login(world.organizer)

    html = client.get(f"/kelola/fasilitas/{world.facility.slug}/").content.decode()

    assert f'href="{tariffs_url(world)}"' in html


# --- Add-ons, for an organizer ----------------------------------------------------------------


def test_the_add_on_page_lists_add_ons_and_offers_only_the_community_s_facilities(client, world):
    AddOnFactory(community=world.community, name="Tenda", is_active=False)
    client.force_login(world.organizer)

    response = client.get(addons_url(world))
    html = response.content.decode()

    assert response.status_code == 200
    assert "Kursi lipat" in html and "Rp 75.000" in html and "Tenda" in html
    assert world.facility.name in html
    choices = set(response.context["form"].fields["facilities"].queryset)
    assert choices == {world.facility, world.second_hall}
    assert "Aula Lain" not in html


def test_the_community_page_links_to_its_add_ons(client, world):
    client.force_login(world.organizer)

    html = client.get(f"/kelola/komunitas/{world.community.slug}/").content.decode()

    assert f'href="{addons_url(world)}"' in html


def test_an_organizer_adds_an_add_on(client, world):
    client.force_login(world.organizer)

    response = client.post(
        addons_url(world), addon_form(facilities=[world.facility.pk, world.second_hall.pk])
    )

    assert response.status_code == 302
    assert addon_terms(world)[-1] == (
        "Proyektor",
        100_000,
        2,
        True,
        {world.facility.pk, world.second_hall.pk},
    )


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"stock": "0"}, "stock"),
        ({"stock": "dua"}, "stock"),
        ({"price": "-1"}, "price"),
        ({"name": "  "}, "name"),
    ],
)
def test_a_bad_add_on_is_told_next_to_its_field_and_saves_nothing(client, world, changes, field):
    client.force_login(world.organizer)
    before = addon_terms(world)

    response = client.post(addons_url(world), addon_form(**changes))

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert escape(response.context["form"].errors[field][0]) in response.content.decode()
    assert addon_terms(world) == before


def test_a_facility_of_another_community_posted_by_hand_is_refused(client, world):
    client.force_login(world.organizer)
    before = addon_terms(world)

    created = client.post(addons_url(world), addon_form(facilities=[world.foreign_hall.pk]))
    edited = client.post(
        f"{addons_url(world)}{world.addon.pk}/",
        addon_form(facilities=[world.facility.pk, world.foreign_hall.pk], is_active="on"),
    )

    for response in (created, edited):
        assert response.status_code == 200
        [message] = response.context["form"].errors["facilities"]
        assert "Aula Lain" not in message  # nothing told about the other community
        assert escape(message) in response.content.decode()
    assert addon_terms(world) == before


def test_an_organizer_edits_an_add_on(client, world):
    url = f"{addons_url(world)}{world.addon.pk}/"
    client.force_login(world.organizer)

    page = client.get(url)
    response = client.post(
        url,
        addon_form(
            name="Kursi plastik", stock="40", facilities=[world.second_hall.pk], is_active="on"
        ),
    )

    assert page.status_code == 200 and page.context["form"].initial["stock"] == 50
    assert response.status_code == 302
    assert addon_terms(world) == [("Kursi plastik", 100_000, 40, True, {world.second_hall.pk})]
    assert len(messages_of(response)) == 1  # saved, and no booking is over the stock


def hold(addon, facility, start, quantity):
    booking = BookingFactory(
        facility=facility,
        start=start,
        end=start + dt.timedelta(hours=2),
        status=BookingStatus.APPROVED,
    )
    BookingLine.objects.create(
        booking=booking,
        kind="addon",
        addon=addon,
        label=addon.name,
        quantity=quantity,
        unit_price=addon.price,
        amount=addon.price * quantity,
    )
    return booking


def test_a_smaller_stock_than_upcoming_bookings_hold_is_saved_with_a_warning_naming_them(
    client, world
):
    soon = clock.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=4)
    first = hold(world.addon, world.facility, soon, 30)
    # At the other hall: a facility holds one booking at a time, the stock is shared.
    second = hold(world.addon, world.second_hall, soon + dt.timedelta(hours=1), 15)
    apart = hold(world.addon, world.facility, soon + dt.timedelta(days=1), 20)
    client.force_login(world.organizer)

    response = client.post(
        f"{addons_url(world)}{world.addon.pk}/",
        addon_form(
            name="Kursi lipat",
            stock="40",
            facilities=[world.facility.pk, world.second_hall.pk],
            is_active="on",
        ),
        follow=True,
    )

    world.addon.refresh_from_db()
    assert world.addon.stock == 40  # the organizer decides what to do about them
    [warning] = [m for m in response.context["messages"] if m.level_tag == "warning"]
    assert first.reference in str(warning) and second.reference in str(warning)
    assert apart.reference not in str(warning)
    assert escape(str(warning)) in response.content.decode()


def test_an_organizer_withdraws_an_add_on(client, world):
    client.force_login(world.organizer)

    response = client.post(f"{addons_url(world)}{world.addon.pk}/tarik/")

    assert response.status_code == 302
    world.addon.refresh_from_db()
    assert not world.addon.is_active
    html = client.get(addons_url(world)).content.decode()
    assert f"/alat-tambahan/{world.addon.pk}/tarik/" not in html  # nothing left to withdraw


def test_an_add_on_of_another_community_is_not_found_through_this_one(client, world):
    foreign = AddOnFactory(community=world.foreign_hall.community)
    client.force_login(world.organizer)

    for suffix in ("", "tarik/"):
        response = client.post(f"{addons_url(world)}{foreign.pk}/{suffix}", addon_form())
        assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.is_active and foreign.name != "Proyektor"


# --- Who may do what ---------------------------------------------------------------------------


def _tariff_state(w):
    return tariff_terms(w)


def _addon_state(w):
    return addon_terms(w)


# name: (method, url, data, what it changes)
ACTIONS = {
    "tariffs_page": ("get", lambda w: tariffs_url(w), None, None),
    "tariff_add": ("post", lambda w: tariffs_url(w), lambda w: tariff_form(), _tariff_state),
    "tariff_page": ("get", lambda w: f"{tariffs_url(w)}{w.tariff.pk}/", None, None),
    "tariff_edit": (
        "post",
        lambda w: f"{tariffs_url(w)}{w.tariff.pk}/",
        lambda w: tariff_form(tariff_class="sosial", unit="hour", valid_from="2000-01-01"),
        _tariff_state,
    ),
    "tariff_end": (
        "post",
        lambda w: f"{tariffs_url(w)}{w.tariff.pk}/akhiri/",
        lambda w: {"last_day": "2026-12-31"},
        _tariff_state,
    ),
    "tariff_delete_page": ("get", lambda w: f"{tariffs_url(w)}{w.tariff.pk}/hapus/", None, None),
    "tariff_delete": (
        "post",
        lambda w: f"{tariffs_url(w)}{w.tariff.pk}/hapus/",
        lambda w: {},
        _tariff_state,
    ),
    "addons_page": ("get", lambda w: addons_url(w), None, None),
    "addon_add": ("post", lambda w: addons_url(w), lambda w: addon_form(), _addon_state),
    "addon_page": ("get", lambda w: f"{addons_url(w)}{w.addon.pk}/", None, None),
    "addon_edit": (
        "post",
        lambda w: f"{addons_url(w)}{w.addon.pk}/",
        lambda w: addon_form(is_active="on"),
        _addon_state,
    ),
    "addon_withdraw": (
        "post",
        lambda w: f"{addons_url(w)}{w.addon.pk}/tarik/",
        lambda w: {},
        _addon_state,
    ),
}

# "ok": a page (200) or a change done (302, the database changed); 403 and 404 change nothing.
# Pemkot staff keep the tariffs and add-ons (payments/migrations/0002); the viewer was given
# the view permissions only; the technician has is_staff and no permission.
#                        organizer other resident pemkot technician viewer
EXPECTED = {
    "tariffs_page":       ("ok", 404, 404, "ok", 404, "ok"),
    "tariff_add":         ("ok", 404, 404, "ok", 404, 403),
    "tariff_page":        ("ok", 404, 404, "ok", 404, "ok"),
    "tariff_edit":        ("ok", 404, 404, "ok", 404, 403),
    "tariff_end":         ("ok", 404, 404, "ok", 404, 403),
    "tariff_delete_page": ("ok", 404, 404, "ok", 404, 403),
    "tariff_delete":      ("ok", 404, 404, "ok", 404, 403),
    "addons_page":        ("ok", 404, 404, "ok", 404, "ok"),
    "addon_add":          ("ok", 404, 404, "ok", 404, 403),
    "addon_page":         ("ok", 404, 404, "ok", 404, "ok"),
    "addon_edit":         ("ok", 404, 404, "ok", 404, 403),
    "addon_withdraw":     ("ok", 404, 404, "ok", 404, 403),
}  # fmt: skip
CAST = ["organizer", "other_organizer", "resident", "pemkot_staff", "technician", "viewer"]


# The routes of these pages: tests/test_workspace_permissions.py leaves them to the table above.
URL_NAMES = {
    "manage_facility_tariffs",
    "manage_tariff_edit",
    "manage_tariff_end",
    "manage_tariff_delete",
    "manage_community_addons",
    "manage_addon_edit",
    "manage_addon_withdraw",
}


def test_the_table_covers_every_url_of_the_retribusi_pages():
    from django.urls import get_resolver, resolve

    from tests.test_workspace_permissions import url_names

    sample = SimpleNamespace(
        facility=SimpleNamespace(slug="balai"),
        community=SimpleNamespace(slug="komunitas"),
        tariff=SimpleNamespace(pk=1),
        addon=SimpleNamespace(pk=1),
    )
    routes = {
        name
        for name in url_names(get_resolver().url_patterns)
        if "tariff" in name or "addon" in name
    }
    tested = {resolve(url(sample)).url_name for _method, url, _data, _state in ACTIONS.values()}
    assert routes == tested == URL_NAMES
    assert set(EXPECTED) == set(ACTIONS)


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    for action, (method, url, data, state) in ACTIONS.items():
        before = state(world) if state else None
        response = getattr(client, method)(url(world), data(world) if data else {})
        assert response.status_code == 302, action
        assert response["Location"].startswith("/akun/login/"), action
        assert state is None or state(world) == before, action


@pytest.mark.parametrize("who", CAST)
def test_every_url_and_method_for_each_of_the_cast(client, world, who):
    client.force_login(getattr(world, who))

    for action, outcomes in EXPECTED.items():
        expected = outcomes[CAST.index(who)]
        method, url, data, state = ACTIONS[action]
        before = state(world) if state else None
        response = getattr(client, method)(url(world), data(world) if data else {})
        changed = state is not None and state(world) != before
        if expected == "ok":
            assert response.status_code == (200 if method == "get" else 302), (who, action)
            assert changed == (method == "post"), (who, action)
        else:
            assert response.status_code == expected, (who, action)
            assert not changed, (who, action)
        if expected == 403:
            assert response.templates[0].name == "kelola/not_allowed.html", (who, action)
        if action == "tariff_delete" and changed:
            world.tariff = TariffFactory(facility=world.facility)  # for the actions after it


def test_who_may_only_look_sees_no_form_and_no_button(client, world):
    client.force_login(world.viewer)

    tariffs = client.get(tariffs_url(world)).content.decode()
    tariff = client.get(f"{tariffs_url(world)}{world.tariff.pk}/")
    addons = client.get(addons_url(world)).content.decode()
    addon = client.get(f"{addons_url(world)}{world.addon.pk}/")

    assert "Rp 50.000" in tariffs and "Kursi lipat" in addons  # what there is, read-only
    assert 'name="price"' not in tariffs and 'name="last_day"' not in tariffs
    assert "/hapus/" not in tariffs and f"/tarif/{world.tariff.pk}/" not in tariffs
    assert 'name="stock"' not in addons and "/tarik/" not in addons
    for page in (tariff, addon):
        assert all(field.disabled for field in page.context["form"].fields.values())
        assert '<button type="submit">' not in page.content.decode()


def test_staff_given_the_tariffs_alone_see_no_other_tab_of_the_facility(client, world):
    client.force_login(staff_with_permissions("facilities.view_tariff"))

    response = client.get(tariffs_url(world))
    html = response.content.decode()

    assert response.status_code == 200 and "Rp 50.000" in html
    assert f"/kelola/fasilitas/{world.facility.slug}/jam/" not in html
    assert 'name="publish"' not in html
    assert client.get(f"/kelola/fasilitas/{world.facility.slug}/").status_code == 404


def test_staff_given_the_add_ons_alone_see_them_without_the_community_s_page(client, world):
    client.force_login(staff_with_permissions("facilities.view_addon"))

    response = client.get(addons_url(world))

    assert response.status_code == 200 and "Kursi lipat" in response.content.decode()
    assert f'href="/kelola/komunitas/{world.community.slug}/"' not in response.content.decode()


# --- Queries -----------------------------------------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_tariff_list_costs_the_same_queries_for_2_or_20_tariffs(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.organizer)
    TariffFactory(facility=world.facility, tariff_class="komersial", price=100_000)
    few = count_queries(client, tariffs_url(world))
    for year in range(2001, 2019):
        TariffFactory(
            facility=world.facility,
            tariff_class="komersial",
            unit="day",
            price=1_000_000,
            valid_from=dt.date(year, 1, 1),
            valid_until=dt.date(year, 12, 31),
        )

    with django_assert_max_num_queries(12):
        response = client.get(tariffs_url(world))

    assert len(response.context["tariffs"]) == 20
    assert count_queries(client, tariffs_url(world)) == few


def test_the_add_on_page_costs_the_same_queries_for_1_or_15_add_ons(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.organizer)
    few = count_queries(client, addons_url(world))
    for number in range(14):
        AddOnFactory(
            community=world.community,
            name=f"Meja {number}",
            offered_at=[world.facility, world.second_hall],
        )

    with django_assert_max_num_queries(12):
        response = client.get(addons_url(world))

    assert response.content.decode().count("/alat-tambahan/") >= 15
    assert count_queries(client, addons_url(world)) == few
