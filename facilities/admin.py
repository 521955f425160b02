from django.contrib import admin

from facilities.models import Closure, Facility, FacilityPhoto, OpeningHours


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class FacilityPhotoInline(admin.TabularInline):
    model = FacilityPhoto
    extra = 0
    fields = ["image", "thumbnail", "alt_text", "position", "is_cover"]


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "community",
        "kind",
        "kecamatan",
        "capacity",
        "approval",
        "is_published",
    ]
    list_filter = ["is_published", "kind", "kecamatan", "approval", "community"]
    list_select_related = ["community"]
    search_fields = ["name", "address", "community__name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["community"]
    inlines = [OpeningHoursInline, ClosureInline, FacilityPhotoInline]


@admin.register(FacilityPhoto)
class FacilityPhotoAdmin(admin.ModelAdmin):
    list_display = ["facility", "alt_text", "position", "is_cover"]
    list_select_related = ["facility"]
    autocomplete_fields = ["facility"]


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    list_display = ["facility", "weekday", "opens", "closes"]
    list_filter = ["weekday"]
    list_select_related = ["facility"]
    autocomplete_fields = ["facility"]


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ["facility", "start", "end", "reason"]
    list_select_related = ["facility"]
    autocomplete_fields = ["facility"]
    date_hierarchy = "start"
