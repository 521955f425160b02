"""Every registered admin page opens for a superuser: its change list (with its search and
each filter choice), add page, change page, history and delete pages.

A model registered later gets the same checks without a new test; if no object of it exists
after `world()`, the test says so: add a line there that creates one."""

import io

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse
from PIL import Image

from accounts.services import api_token_create, calendar_feed_token
from bookings import services
from bookings.models import KeptConflict
from documents.models import BookingDocument, DocumentRequirement
from facilities.models import FacilityPhoto
from facilities.services import photo_add
from haidepok import clock
from payments import charges, webhooks
from payments.services import payment_record_manual
from tests.admin_support import invoiced_booking
from tests.factories import (
    AddOnFactory,
    BookingFactory,
    ClosureFactory,
    MembershipFactory,
    OpeningHoursFactory,
    UserFactory,
    fast_password_hashing,  # noqa: F401 (a fixture)
    priced_facility,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def png_upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buffer, "PNG")
    return SimpleUploadedFile("balai.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def world(admin_user):
    """At least one object of every registered model."""
    booking = BookingFactory()
    services.booking_approve(booking=booking, actor=admin_user)  # an event, a notification
    MembershipFactory(community=booking.facility.community)
    OpeningHoursFactory(facility=booking.facility)
    ClosureFactory(facility=booking.facility)
    ClosureFactory(facility=None)
    photo_add(
        facility=booking.facility, upload=png_upload(), alt_text="Tampak depan", actor=admin_user
    )
    api_token_create(user=booking.user, name="Kalender")
    calendar_feed_token(user=booking.user)
    # Documents: a facility's requirement and a document sent for it (a row is enough).
    letter = DocumentRequirement.objects.create(facility=booking.facility, name="Surat permohonan")
    BookingDocument.objects.create(
        booking=booking,
        requirement=letter,
        name=letter.name,
        file_name="documents/contoh.pdf",
        original_name="surat.pdf",
        content_type="application/pdf",
        size=1024,
        pages=1,
    )
    KeptConflict.objects.create(booking=booking, rules="too_long", decided_by=admin_user)
    Group.objects.get_or_create(name="Pemkot staff")
    UserFactory()
    # Retribusi: tariffs, an add-on, price lines, an invoice with a gateway charge and a
    # payment, and a forged notification the webhook refused.
    priced = priced_facility(approval="auto", lead_hours=0)
    chairs = AddOnFactory(community=priced.community, offered_at=[priced])
    invoice = invoiced_booking(priced, addons={chairs.pk: 1}).invoice
    charges.charge_for(invoice, "qris")
    webhooks.receive("simulator", b'{"order_id": "x"}', {}, "203.0.113.9")
    payment_record_manual(
        invoice=invoice,
        actor=admin_user,
        method="cash",
        amount=invoice.amount,
        external_reference="KW-0001",
        paid_at=clock.now(),
    )
    return booking


def object_of(model):
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"no {model._meta.label} to open: create one in world()"
    return obj


def url(model, view: str = "", obj=None) -> str:
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    if obj is None:
        return f"{base}{view}"
    return f"{base}{obj.pk}/{view}"


@pytest.mark.parametrize(
    "model, model_admin", REGISTERED, ids=[model._meta.label for model, _admin in REGISTERED]
)
def test_every_admin_page_opens(admin_client, admin_user, world, model, model_admin):
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    obj = object_of(model)

    changelist = admin_client.get(url(model))
    assert changelist.status_code == 200, url(model)
    if model_admin.search_fields:
        assert admin_client.get(url(model) + "?q=a").status_code == 200
    for spec in changelist.context["cl"].filter_specs:
        for choice in spec.choices(changelist.context["cl"]):
            page = admin_client.get(url(model) + choice["query_string"])
            assert page.status_code == 200, (spec.title, choice["query_string"])

    add = admin_client.get(url(model, "add/"))
    assert add.status_code == (200 if model_admin.has_add_permission(request) else 403)

    assert admin_client.get(url(model, "change/", obj)).status_code == 200, url(model, "", obj)
    assert admin_client.get(url(model, "history/", obj)).status_code == 200

    delete = admin_client.get(url(model, "delete/", obj))
    assert delete.status_code == (200 if model_admin.has_delete_permission(request, obj) else 403)


def test_every_project_model_is_registered():
    from django.apps import apps

    registered = {model._meta.label for model in admin.site._registry}
    for label in ["accounts", "communities", "facilities", "bookings", "payments"]:
        for model in apps.get_app_config(label).get_models():
            if model._meta.label.split(".")[1].startswith("Historical"):
                continue  # shown on the history page of its model
            if model._meta.label in {"communities.Invitation"}:
                continue  # an organizer's invitation: seen and managed in the workspace
            if model._meta.label in {"accounts.WhatsAppVerification"}:
                continue  # a code being typed (ten minutes at most): nothing for staff to do
            assert model._meta.label in registered, model._meta.label


def test_photos_are_not_uploaded_in_the_admin_where_they_would_skip_the_checks(admin_client, world):
    # Uploads go through facilities.services.photo_add (a real image, no location metadata).
    photo = FacilityPhoto.objects.get()

    assert admin_client.get("/admin/facilities/facilityphoto/add/").status_code == 403
    change = admin_client.get(f"/admin/facilities/facilityphoto/{photo.pk}/change/")
    facility = admin_client.get(f"/admin/facilities/facility/{photo.facility_id}/change/")

    for page in (change, facility):
        assert page.status_code == 200
        assert 'type="file"' not in page.content.decode()


def change_form_data(page) -> dict:
    """What the admin's change form would send back unchanged, inlines included."""

    def values(form):
        data = {}
        for bound in form:
            value = bound.value()
            if value is None or value is False:
                continue
            widget = bound.field.widget
            if hasattr(widget, "widgets"):  # a split date and time: name_0, name_1
                for index, part in enumerate(widget.decompress(value)):
                    data[f"{bound.html_name}_{index}"] = text(part)
            elif isinstance(value, (list, tuple)):
                data[bound.html_name] = [text(v) for v in value]
            else:
                data[bound.html_name] = text(value)
        return data

    def text(value):
        return value.isoformat() if hasattr(value, "isoformat") else str(value)

    data = values(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(values(formset.management_form))
        for form in formset.forms:
            data.update(values(form))
    return data


def test_a_facility_edited_in_the_admin_names_the_bookings_it_no_longer_allows(admin_client, world):
    booking = world  # approved, two hours long
    facility = booking.facility
    page = admin_client.get(f"/admin/facilities/facility/{facility.pk}/change/")
    data = change_form_data(page)
    data["max_slots"] = "1"  # one-hour bookings at most from now on

    response = admin_client.post(
        f"/admin/facilities/facility/{facility.pk}/change/", data, follow=True
    )

    assert response.status_code == 200
    shown = [str(message) for message in response.context["messages"]]
    assert any("1 booking mendatang" in text or "1 upcoming booking" in text for text in shown)
    assert reverse("manage_facility_conflicts", args=[facility.slug]) in " ".join(shown)
