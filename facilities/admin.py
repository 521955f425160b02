from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from facilities import tariffs
from facilities.models import (
    MAX_PRICE,
    AddOn,
    Closure,
    Facility,
    FacilityPhoto,
    OpeningHours,
    Tariff,
)
from facilities.templatetags.rupiah import rupiah
from haidepok import clock
from haidepok.admin_history import ReadOnlyHistoryAdmin
from haidepok.admin_site import BoundedChangeList
from haidepok.fields import BoundedSplitDateTimeField

CITY_WIDE_HELP = _(
    "Leave empty for a city-wide closure: every facility in Depok is closed then, for "
    "example for a public event. Residents see the reason."
)


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


# Photos are uploaded in the organizers' workspace (facilities.services.photo_add), where each
# is checked to be a real image and stripped of its location; here they are only captioned,
# ordered or removed.
PHOTO_FILES = ["image", "thumbnail"]


class FacilityPhotoInline(admin.TabularInline):
    model = FacilityPhoto
    extra = 0
    fields = ["preview", "image", "thumbnail", "alt_text", "position", "is_cover"]
    readonly_fields = ["preview", *PHOTO_FILES]

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("preview"))
    def preview(self, photo):
        image = photo.thumbnail or photo.image
        if not image:
            return "—"
        return format_html('<img src="{}" alt="{}" height="60">', image.url, photo.alt_text)


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0
    fields = ["start", "end", "reason"]


def calendar_url(facility_id: int, **query) -> str:
    url = reverse("admin:facilities_facility_calendar", args=[facility_id])
    return f"{url}?{urlencode(query)}" if query else url


@admin.register(Facility)
class FacilityAdmin(ReadOnlyHistoryAdmin):
    list_display = [
        "name",
        "community",
        "kind",
        "kecamatan",
        "capacity",
        "approval",
        "is_published",
        "calendar_link",
    ]
    list_filter = ["is_published", "kind", "kecamatan", "approval", "community"]
    list_select_related = ["community"]
    search_fields = ["name", "address", "community__name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["community"]
    inlines = [OpeningHoursInline, ClosureInline, FacilityPhotoInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # As in the organizers' editor (facilities/manage.py): new settings, hours or closures
        # may leave upcoming bookings outside them, and someone must decide on each.
        from bookings.selectors import bookings_broken_by_policy

        broken = bookings_broken_by_policy(form.instance)
        if broken:
            self.message_user(
                request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    ngettext(
                        "%(count)d upcoming booking no longer fits the new settings.",
                        "%(count)d upcoming bookings no longer fit the new settings.",
                        len(broken),
                    )
                    % {"count": len(broken)},
                    reverse("manage_facility_conflicts", args=[form.instance.slug]),
                    _("Decide on each (keep, or cancel with a reason)"),
                ),
                messages.WARNING,
            )

    @admin.display(description=_("calendar"))
    def calendar_link(self, facility):
        return format_html('<a href="{}">{}</a>', calendar_url(facility.pk), _("Calendar"))

    def get_urls(self):
        return [
            path(
                "<path:object_id>/calendar/",
                self.admin_site.admin_view(self.calendar_view),
                name="facilities_facility_calendar",
            ),
            *super().get_urls(),
        ]

    def calendar_view(self, request, object_id):
        """A facility's week (`?week=YYYY-MM-DD`) or day (`?day=YYYY-MM-DD`): opening hours,
        closures and every booking with its status."""
        from bookings.staff_calendar import calendar_for

        facility = self.get_object(request, unquote(object_id))
        if facility is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not (
            self.has_view_permission(request, facility)
            and request.user.has_perm("bookings.view_booking")
        ):
            raise PermissionDenied
        calendar = calendar_for(facility, request.GET, today=clock.local_now().date())
        context = {
            **self.admin_site.each_context(request),
            "title": _("Calendar of %(facility)s") % {"facility": facility.name},
            "opts": self.opts,
            "original": facility,
            "calendar": calendar,
            "previous_url": calendar_url(
                facility.pk, **{calendar.mode: calendar.previous.isoformat()}
            ),
            "next_url": calendar_url(facility.pk, **{calendar.mode: calendar.next.isoformat()}),
            "week_url": calendar_url(facility.pk, week=calendar.first.isoformat()),
            "today_url": calendar_url(facility.pk, **{calendar.mode: calendar.today.isoformat()}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/facilities/facility/calendar.html", context)


@admin.register(FacilityPhoto)
class FacilityPhotoAdmin(admin.ModelAdmin):
    list_display = ["facility", "alt_text", "position", "is_cover"]
    list_select_related = ["facility"]
    autocomplete_fields = ["facility"]
    readonly_fields = PHOTO_FILES

    def has_add_permission(self, request):
        return False


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    list_display = ["facility", "weekday", "opens", "closes"]
    list_filter = ["weekday"]
    list_select_related = ["facility"]
    autocomplete_fields = ["facility"]


class CityWideFilter(admin.SimpleListFilter):
    title = _("scope")
    parameter_name = "scope"

    def lookups(self, request, model_admin):
        return [("city", _("City-wide (every facility)")), ("facility", _("One facility"))]

    def queryset(self, request, queryset):
        if self.value() == "city":
            return queryset.filter(facility__isnull=True)
        if self.value() == "facility":
            return queryset.filter(facility__isnull=False)
        return queryset


class ClosureForm(forms.ModelForm):
    class Meta:
        model = Closure
        fields = ["facility", "start", "end", "reason"]
        help_texts = {"facility": CITY_WIDE_HELP}

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end <= start:
            self.add_error("end", _("A closure must end after it starts."))
        return cleaned


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    """Closures of one facility, and city-wide ones (no facility) for a public event."""

    form = ClosureForm
    list_display = ["scope", "start", "end", "reason"]
    list_filter = [CityWideFilter, "facility"]
    list_select_related = ["facility"]
    search_fields = ["reason", "facility__name"]
    autocomplete_fields = ["facility"]
    date_hierarchy = "start"
    ordering = ["-start"]
    # A closure's times within the project's one date bound, like every form of the site.
    formfield_overrides = {models.DateTimeField: {"form_class": BoundedSplitDateTimeField}}

    def get_changelist(self, request, **kwargs):
        return BoundedChangeList  # no 500 for a date hierarchy at year 9999

    @admin.display(description=_("facility"), ordering="facility__name")
    def scope(self, closure):
        if closure.facility_id is None:
            return format_html("<strong>{}</strong>", _("All facilities (city-wide)"))
        return closure.facility.name

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._warn_about_bookings(request, obj)

    def _warn_about_bookings(self, request, closure):
        """A closure does not cancel the bookings it covers: staff are told which ones
        remain, and decide on each (cancel with a reason, which tells the resident)."""
        from bookings.models import Booking

        held = Booking.objects.holding_slot().filter(start__lt=closure.end, end__gt=closure.start)
        if closure.facility_id is not None:
            held = held.filter(facility_id=closure.facility_id)
        references = list(held.order_by("start").values_list("reference", flat=True)[:21])
        if not references:
            return
        query = {
            "status__in": "requested,approved",
            "start__lt": clock.to_local(closure.end).isoformat(),
            "end__gt": clock.to_local(closure.start).isoformat(),
        }
        if closure.facility_id is not None:
            query["facility__id__exact"] = closure.facility_id
        shown = ", ".join(references[:20]) + ("…" if len(references) > 20 else "")
        self.message_user(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                ngettext(
                    "A booking still holds time in this closure: %(references)s.",
                    "Bookings still hold time in this closure: %(references)s.",
                    len(references),
                )
                % {"references": shown},
                reverse("admin:bookings_booking_changelist") + "?" + urlencode(query),
                _("Review them (cancel with a reason)"),
            ),
            messages.WARNING,
        )


# --- Retribusi: the Perda's tariffs and the add-ons ---------------------------------------------
# The admin's forms ask the rules of facilities/tariffs.py (the workspace's services call the
# same functions); none is written again here. What a field refuses before the rules are asked
# (empty, not a number, out of its column's range, too long) is told with the rules' message,
# so that staff read what organizers read in the workspace.


def _rule_message(code: str, **params) -> str:
    return tariffs.MESSAGES[code] % params if params else tariffs.MESSAGES[code]


def _tell_with_the_rules(form: forms.ModelForm, refusals: list[tuple[str, tuple, str]]) -> None:
    """Give each field's own refusals (by Django's error code) the rules' message. Called in
    __init__, in the request's language."""
    for name, codes, message in refusals:
        form.fields[name].error_messages.update(dict.fromkeys(codes, message))


NUMBER_REFUSALS = ("required", "invalid", "min_value", "max_value")
CHOICE_REFUSALS = ("required", "invalid_choice")


def _price_refusals() -> tuple[str, tuple, str]:
    return "price", NUMBER_REFUSALS, _rule_message("price_out_of_range", max=rupiah(MAX_PRICE))


def _text_refusals(field: str) -> tuple[str, tuple, str]:
    limit = tariffs.TEXT_LIMITS[field]
    return field, ("max_length",), _rule_message("text_too_long", limit=limit)


class TariffForm(forms.ModelForm):
    class Meta:
        model = Tariff
        fields = [
            "facility",
            "tariff_class",
            "unit",
            "price",
            "valid_from",
            "valid_until",
            "legal_basis",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _tell_with_the_rules(
            self,
            [
                ("tariff_class", CHOICE_REFUSALS, _rule_message("tariff_class_unknown")),
                ("unit", CHOICE_REFUSALS, _rule_message("unit_unknown")),
                _price_refusals(),
                ("valid_from", ("required",), _rule_message("valid_from_required")),
                _text_refusals("legal_basis"),
            ],
        )

    def clean(self):
        cleaned = super().clean()
        facility = cleaned.get("facility")
        if facility is None or self.errors:
            return cleaned
        terms = tariffs.TariffTerms(
            tariff_class=cleaned.get("tariff_class", ""),
            unit=cleaned.get("unit", ""),
            price=cleaned.get("price"),
            valid_from=cleaned.get("valid_from"),
            valid_until=cleaned.get("valid_until"),
            legal_basis=cleaned.get("legal_basis", ""),
        )
        # The admin validates and saves in one transaction (ModelAdmin.changeform_view runs in
        # transaction.atomic), so the facility's row locked here is held until the tariff is
        # saved: two staff saving overlapping tariffs at once cannot both pass the check, the
        # second waits and sees the first's. Here, not in save_model, so that a refusal is
        # shown on the form rather than raised as a 500.
        tariffs.lock_facility(facility)
        tariffs.check_tariff(facility, terms, exclude_pk=self.instance.pk)
        return cleaned


@admin.register(Tariff)
class TariffAdmin(admin.ModelAdmin):
    form = TariffForm
    list_display = ["facility", "tariff_class", "unit", "price", "valid_from", "valid_until"]
    list_filter = ["tariff_class", "unit", "facility"]
    search_fields = ["facility__name", "legal_basis"]
    list_select_related = ["facility"]

    # A deletion takes the facility's lock as every other writer of its tariffs does, so that
    # an edit in the workspace at the same moment (tariff_update, tariff_end) sees it gone
    # rather than saving the tariff again. The delete views run in transaction.atomic.
    def delete_model(self, request, obj):
        tariffs.lock_facility(obj.facility)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for facility in Facility.objects.filter(tariffs__in=queryset).distinct().order_by("pk"):
            tariffs.lock_facility(facility)
        super().delete_queryset(request, queryset)


class AddOnForm(forms.ModelForm):
    class Meta:
        model = AddOn
        fields = ["community", "name", "description", "price", "stock", "facilities", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stock_message = _rule_message("stock_out_of_range", max=tariffs.MAX_STOCK)
        _tell_with_the_rules(
            self,
            [
                ("name", ("required",), _rule_message("name_required")),
                _text_refusals("name"),
                _text_refusals("description"),
                _price_refusals(),
                ("stock", NUMBER_REFUSALS, stock_message),
            ],
        )

    def clean(self):
        cleaned = super().clean()
        community = cleaned.get("community")
        if community is None or self.errors:
            return cleaned
        terms = tariffs.AddOnTerms(
            name=cleaned.get("name", ""),
            price=cleaned.get("price"),
            stock=cleaned.get("stock"),
            description=cleaned.get("description", ""),
            facilities=tuple(cleaned.get("facilities") or ()),
            is_active=cleaned.get("is_active", True),
        )
        tariffs.check_addon(community.pk, terms)
        if self.instance.pk is not None:
            # As addon_update: held until the add-on is saved (the admin's transaction), so a
            # request booked meanwhile counts against the new stock, and the bookings over it
            # (AddOnAdmin.save_related) are all the bookings there are.
            tariffs.lock_addon(self.instance)
        return cleaned


@admin.register(AddOn)
class AddOnAdmin(admin.ModelAdmin):
    form = AddOnForm
    list_display = ["name", "community", "price", "stock", "is_active"]
    list_filter = ["is_active", "community"]
    search_fields = ["name", "community__name"]
    filter_horizontal = ["facilities"]
    list_select_related = ["community"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # As addon_update tells organizers: a stock below what upcoming bookings hold together
        # is saved (the items may really be fewer now), and staff are told which bookings hold
        # more than there is.
        over = tariffs.bookings_over_stock(form.instance)
        if over:
            self.message_user(
                request,
                ngettext(
                    "An upcoming booking holds more of this add-on than its stock: "
                    "%(references)s. It keeps its items: find more, or talk to the resident.",
                    "Upcoming bookings together hold more of this add-on than its stock: "
                    "%(references)s. They keep their items: find more, or talk to the "
                    "residents.",
                    len(over),
                )
                % {"references": ", ".join(booking.reference for booking in over)},
                messages.WARNING,
            )
