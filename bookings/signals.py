"""What the public pages show changes: new page versions (haidepok/page_cache.py).

A booking changes its facility's pages and the city's calendar feed; anything else they show
(a facility's details, photos, opening hours, closures, tariffs, add-ons and where they are
offered, its community) is rarer and changes the catalog's version, which every cached page
carries. Bulk writes that send no signal (QuerySet.update, bulk_create) call page_cache
themselves.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save

from bookings.models import Booking
from communities.models import Community
from facilities.models import AddOn, Closure, Facility, FacilityPhoto, OpeningHours, Tariff
from facilities.pages import city_calendar_changed, facility_changed
from haidepok import page_cache


def booking_saved_or_deleted(sender, instance, **kwargs):
    facility_changed(instance.facility_id)
    city_calendar_changed()


def catalog_data_saved_or_deleted(sender, instance, **kwargs):
    page_cache.catalog_changed()


def addon_facilities_changed(sender, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        page_cache.catalog_changed()


def connect():
    m2m_changed.connect(
        addon_facilities_changed,
        sender=AddOn.facilities.through,
        dispatch_uid="page-cache-addon-facilities",
    )
    for signal, name in ((post_save, "save"), (post_delete, "delete")):
        signal.connect(
            booking_saved_or_deleted, sender=Booking, dispatch_uid=f"page-cache-booking-{name}"
        )
        for model in (Facility, FacilityPhoto, OpeningHours, Closure, Tariff, AddOn, Community):
            signal.connect(
                catalog_data_saved_or_deleted,
                sender=model,
                dispatch_uid=f"page-cache-{model._meta.label_lower}-{name}",
            )
