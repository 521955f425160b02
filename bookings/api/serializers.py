"""The API's shapes: what comes in (checked for form only) and what goes out.

Input serializers check that a value has the right type, size and format; whether a booking is
allowed is decided by bookings.services, never here.
"""

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bookings.availability import MAX_DAYS
from bookings.models import Booking, BookingLine, BookingStatus
from bookings.pricing import MAX_ADDON_QUANTITY, MAX_ID
from documents.forms import document_field_name
from documents.validation import JPEG, PDF, PNG
from facilities.models import Facility, TariffClass, TariffUnit
from haidepok import clock
from haidepok.depok import Kecamatan
from payments.models import InvoiceState

MAX_ATTENDEES = 100_000
# Every price is in whole rupiah.
CURRENCY = "IDR"
# The most different add-ons one request may list: more than any facility lends.
MAX_ADDONS = 50
# The largest total a client may say it expects (a sum of bounded prices stays far below).
MAX_EXPECTED_TOTAL = 10**15


class ApiSerializer(serializers.Serializer):
    default_error_messages = {"invalid": _("Send a JSON object.")}


def out_of_bounds() -> serializers.ValidationError:
    # The project's one bound (haidepok.clock): beyond it a date is a mistake or a probe.
    return serializers.ValidationError(clock.out_of_bounds_message(), code="overflow")


class WibDateTimeField(serializers.DateTimeField):
    """ISO 8601 with its offset, shown in WIB (+07:00); a time sent without offset is WIB."""

    default_error_messages = {"date": _("Enter a date and a time, not a date alone.")}

    def __init__(self, **kwargs):
        super().__init__(default_timezone=clock.WIB, **kwargs)

    def to_internal_value(self, value):
        if isinstance(value, str) and len(value) > 64:
            self.fail("invalid", format="YYYY-MM-DDThh:mm[:ss][+HH:MM]")
        try:
            moment = super().to_internal_value(value)
        except OverflowError:
            # Converting a time near year 1 or 9999 to WIB leaves the calendar.
            raise out_of_bounds() from None
        if not clock.within_bounds(moment):
            raise out_of_bounds()
        return moment

    def fail(self, key, **kwargs):
        if key == "overflow":  # DRF's own, when the move to WIB leaves the calendar
            raise out_of_bounds()
        super().fail(key, **kwargs)

    def to_representation(self, value):
        return clock.to_local(value).isoformat() if value else None


class BoundedDateField(serializers.DateField):
    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not clock.within_bounds(day):
            raise out_of_bounds()
        return day


class TextField(serializers.CharField):
    """Text, and only text: a number or a boolean where words belong is a client's mistake."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def text(max_length: int, **kwargs) -> serializers.CharField:
    return TextField(
        max_length=max_length,
        error_messages={"invalid": _("Enter text.")},
        **kwargs,
    )


def whole_number(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(
        error_messages={
            "invalid": _("Enter a whole number."),
            "max_string_length": _("Enter a whole number."),
        },
        **kwargs,
    )


def validate_phone(value: str) -> None:
    digits = sum(character in "0123456789" for character in value)
    allowed = set("0123456789 +-().")
    if not (6 <= digits <= 15) or not set(value) <= allowed or "+" in value[1:]:
        raise DjangoValidationError(
            _("Enter a phone number, for example +62 812 3456 7890."), code="invalid"
        )


# --- Facilities ---------------------------------------------------------------------------------


class TariffClassField(TextField):
    """A tariff class's value. Any text passes here: whether it is a class, and one this
    facility has that day, is the pricing's answer (tariff_class_unknown, ...)."""

    def __init__(self, **kwargs):
        super().__init__(
            max_length=40,
            allow_blank=True,
            error_messages={"invalid": _("Enter text.")},
            help_text=_(
                "sosial, komersial or gratis (see the facility's tariff_classes); empty where "
                "the facility has no tariff that day."
            ),
            **kwargs,
        )


# In the schema, the classes (the same enum as the answers' tariff_class).
extend_schema_field(serializers.ChoiceField(choices=TariffClass.choices, allow_blank=True))(
    TariffClassField
)


class TariffSerializer(serializers.Serializer):
    tariff_class = serializers.ChoiceField(choices=TariffClass.choices)
    tariff_class_label = serializers.CharField(source="get_tariff_class_display")
    unit = serializers.ChoiceField(choices=TariffUnit.choices)
    unit_label = serializers.CharField(source="get_unit_display")
    price = serializers.IntegerField(help_text=_("Rupiah per unit."))
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(
        allow_null=True, help_text=_("The last day; null: no end yet.")
    )


class PriceFromSerializer(serializers.Serializer):
    price = serializers.IntegerField(help_text=_("Rupiah per unit."))
    unit = serializers.ChoiceField(choices=TariffUnit.choices)
    unit_label = serializers.CharField(source="get_unit_display")
    tariff_class = serializers.ChoiceField(choices=TariffClass.choices)
    tariff_class_label = serializers.CharField(source="get_tariff_class_display")


class TariffClassSerializer(serializers.Serializer):
    tariff_class = serializers.ChoiceField(choices=TariffClass.choices)
    label = serializers.CharField()
    rules = serializers.CharField(help_text=_("Which activities the class is for."))

    def to_representation(self, group):
        # A facilities.selectors.ClassTariffs.
        return {"tariff_class": group.tariff_class, "label": group.label, "rules": group.rules}


class AddOnSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    price = serializers.IntegerField(help_text=_("Rupiah per item per booking."))
    stock = serializers.IntegerField(
        help_text=_("How many can be lent at once (shared with other facilities that lend it).")
    )


class RequiredDocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    # Text, not the classes' enum again (the schema would name it twice).
    tariff_classes = serializers.ListField(
        child=serializers.CharField(),
        help_text=_(
            "The classes of request that need it (sosial, komersial, gratis); empty: every request."
        ),
    )
    field = serializers.CharField(
        help_text=_("The name of its file in a multipart booking request: document_<id>.")
    )

    def to_representation(self, requirement):
        return {
            "id": requirement.pk,
            "name": requirement.name,
            "description": requirement.description,
            "tariff_classes": list(requirement.tariff_classes),
            "field": document_field_name(requirement),
        }


class FacilityFilterSerializer(ApiSerializer):
    q = text(100, required=False, allow_blank=True, help_text=_("Words in the name or address."))
    kecamatan = serializers.ChoiceField(choices=Kecamatan.choices, required=False)
    kind = serializers.ChoiceField(choices=Facility.Kind.choices, required=False)
    min_capacity = whole_number(required=False, min_value=1, max_value=MAX_ATTENDEES)
    free_on = BoundedDateField(
        required=False, help_text=_("Only facilities with at least one free slot that day.")
    )


class FacilitySerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")
    kecamatan_label = serializers.CharField(source="get_kecamatan_display")
    community_name = serializers.CharField(source="community.name")
    photo_url = serializers.SerializerMethodField()
    price_from = serializers.SerializerMethodField(
        help_text=_(
            "The lowest price of use in force today, with its unit and class; null when no "
            "class pays anything today. The price of a booking is what a quote answers."
        )
    )

    class Meta:
        model = Facility
        fields = [
            "slug",
            "name",
            "kind",
            "kind_label",
            "kecamatan",
            "kecamatan_label",
            "kelurahan",
            "address",
            "capacity",
            "approval",
            "community_name",
            "photo_url",
            "price_from",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_photo_url(self, facility) -> str | None:
        photos = getattr(facility, "ordered_photos", None)
        if not photos:
            return None
        request = self.context.get("request")
        url = photos[0].image.url
        return request.build_absolute_uri(url) if request else url

    @extend_schema_field(PriceFromSerializer(allow_null=True))
    def get_price_from(self, facility) -> dict | None:
        # The paying tariffs of today, cheapest first (bookings.api.selectors.with_prices).
        tariffs = facility.paying_tariffs
        return PriceFromSerializer(tariffs[0]).data if tariffs else None


class OpeningHoursSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(help_text=_("0 is Monday, 6 is Sunday."))
    weekday_label = serializers.CharField(source="get_weekday_display")
    opens = serializers.TimeField(format="%H:%M")
    closes = serializers.TimeField(format="%H:%M")


class PolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = Facility
        fields = Facility.POLICY_FIELDS


class FacilityDetailSerializer(FacilitySerializer):
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, coerce_to_string=False, allow_null=True
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, coerce_to_string=False, allow_null=True
    )
    opening_hours = OpeningHoursSerializer(many=True, source="opening_hours.all")
    policy = PolicySerializer(source="*")
    tariffs = serializers.SerializerMethodField(
        help_text=_(
            "The tariffs in force today and those entered for later (a new Perda), by "
            "valid_from; a booking is priced by those in force on its first day (WIB)."
        ),
    )
    tariff_classes = TariffClassSerializer(
        many=True,
        source="tariff_groups",
        help_text=_("The classes of these tariffs, with who qualifies for each."),
    )
    addons = AddOnSerializer(
        many=True, source="offered_addons", help_text=_("What can be borrowed with a booking.")
    )
    required_documents = RequiredDocumentSerializer(
        many=True,
        source="document_requirements.all",
        help_text=_(
            "The documents a booking request must come with (those of its tariff class and "
            "those asked of every request): PDF, JPEG or PNG files in a multipart request."
        ),
    )

    class Meta(FacilitySerializer.Meta):
        fields = [
            *FacilitySerializer.Meta.fields,
            "description",
            "house_rules",
            "amenities",
            "latitude",
            "longitude",
            "opening_hours",
            "policy",
            "tariffs",
            "tariff_classes",
            "addons",
            "required_documents",
        ]

    @extend_schema_field(TariffSerializer(many=True))
    def get_tariffs(self, facility) -> list[dict]:
        # One list by date (then class and unit), as a client shows a tariff table.
        classes, units = list(TariffClass.values), list(TariffUnit.values)
        tariffs = sorted(
            (
                tariff
                for group in facility.tariff_groups
                for tariff in group.current + group.upcoming
            ),
            key=lambda t: (t.valid_from, classes.index(t.tariff_class), units.index(t.unit), t.pk),
        )
        return TariffSerializer(tariffs, many=True).data


# --- Availability -------------------------------------------------------------------------------


class AvailabilityQuerySerializer(ApiSerializer):
    start = BoundedDateField(
        required=False, help_text=_("The first day (YYYY-MM-DD, in WIB); today by default.")
    )
    days = whole_number(required=False, default=7, min_value=1, max_value=MAX_DAYS)


class IntervalSerializer(serializers.Serializer):
    opens = serializers.TimeField(format="%H:%M")
    closes = serializers.TimeField(format="%H:%M")

    def to_representation(self, interval):
        opens, closes = interval
        return {"opens": opens.strftime("%H:%M"), "closes": closes.strftime("%H:%M")}


class SlotSerializer(serializers.Serializer):
    start = WibDateTimeField()
    end = WibDateTimeField()
    state = serializers.CharField(
        help_text="free, taken, closed, outside_hours, too_soon, beyond_horizon or past"
    )
    label = serializers.CharField()


class DaySerializer(serializers.Serializer):
    date = serializers.DateField()
    opening_hours = IntervalSerializer(many=True)
    holiday = serializers.CharField(allow_null=True)
    slots = SlotSerializer(many=True)

    def to_representation(self, day):
        # The grid is the API's largest answer (up to 31 days of slots): built here directly, in
        # the shape the fields above declare (and the schema shows), at a fraction of the cost
        # of a nested serializer per slot (tests/test_api_facilities.py pins the shape).
        labels = {}
        slots = []
        for slot in day.slots:
            if slot.state not in labels:
                labels[slot.state] = slot.label
            slots.append(
                {
                    "start": clock.to_local(slot.start).isoformat(),
                    "end": clock.to_local(slot.end).isoformat(),
                    "state": str(slot.state),
                    "label": labels[slot.state],
                }
            )
        return {
            "date": day.date.isoformat(),
            "opening_hours": [
                {"opens": opens.strftime("%H:%M"), "closes": closes.strftime("%H:%M")}
                for opens, closes in day.opening_hours
            ],
            "holiday": None if day.holiday is None else str(day.holiday),
            "slots": slots,
        }


class ClosureSerializer(serializers.Serializer):
    start = WibDateTimeField()
    end = WibDateTimeField()
    reason = serializers.CharField()
    city_wide = serializers.SerializerMethodField()

    def get_city_wide(self, closure) -> bool:
        return closure.facility_id is None


class AvailabilitySerializer(serializers.Serializer):
    facility = serializers.SlugField(source="facility.slug")
    slot_minutes = serializers.IntegerField(source="facility.slot_minutes")
    days = DaySerializer(many=True)
    closures = ClosureSerializer(many=True)


# --- Prices -------------------------------------------------------------------------------------


class AddOnRequestSerializer(ApiSerializer):
    addon = whole_number(min_value=1, max_value=MAX_ID, help_text=_("The add-on's id."))
    quantity = whole_number(min_value=1, max_value=MAX_ADDON_QUANTITY)


class AddOnListField(serializers.ListField):
    """[{"addon": id, "quantity": n}, ...] in, {id: n} out: what bookings.pricing takes. An
    add-on listed twice is a client's mistake (which of its quantities is meant?)."""

    default_error_messages = {
        "not_a_list": _('Send the add-ons as a list of objects with "addon" and "quantity".'),
        "duplicate": _("Each add-on may be listed once, with the quantity you need."),
    }

    def __init__(self, **kwargs):
        super().__init__(
            child=AddOnRequestSerializer(),
            max_length=MAX_ADDONS,
            required=False,
            help_text=_("The add-ons to borrow, each once."),
            **kwargs,
        )

    def to_internal_value(self, data):
        items = super().to_internal_value(data)
        wanted = {item["addon"]: item["quantity"] for item in items}
        if len(wanted) != len(items):
            self.fail("duplicate")
        return wanted


class QuoteRequestSerializer(ApiSerializer):
    start = WibDateTimeField(help_text=_("ISO 8601; without an offset the time is WIB."))
    end = WibDateTimeField(help_text=_("ISO 8601; without an offset the time is WIB."))
    tariff_class = TariffClassField(required=False, default="")
    addons = AddOnListField()


def price_line_data(line) -> dict:
    """One line of a price, from a quote (bookings.pricing.PriceLine) or as stored on a
    booking (BookingLine): both say the same, and both compute their amount themselves."""
    return {
        "kind": str(line.kind),
        "description": str(line.description),
        "unit": line.unit,
        "addon": line.addon_id,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "amount": line.amount,
    }


class PriceLineSerializer(serializers.Serializer):
    # Not an enum in the schema: its name would collide with the facility's kind.
    kind = serializers.CharField(
        help_text=" or ".join(f"`{value}`" for value in BookingLine.Kind.values)
    )
    description = serializers.CharField(help_text=_("The unit of use, or the add-on's name."))
    unit = serializers.ChoiceField(
        choices=TariffUnit.choices,
        allow_blank=True,
        help_text=_("The tariff's unit for the use of the facility; empty for an add-on."),
    )
    addon = serializers.IntegerField(allow_null=True, help_text=_("The add-on's id, or null."))
    quantity = serializers.IntegerField()
    unit_price = serializers.IntegerField(help_text=_("Rupiah."))
    amount = serializers.IntegerField(help_text=_("Rupiah: quantity × unit_price."))

    def to_representation(self, line):
        return price_line_data(line)


class QuoteSerializer(serializers.Serializer):
    tariff_class = serializers.ChoiceField(
        choices=TariffClass.choices,
        allow_blank=True,
        help_text=_("Empty where the facility has no tariff on the booking's first day."),
    )
    tariff_class_label = serializers.CharField(allow_blank=True)
    lines = PriceLineSerializer(many=True)
    total = serializers.IntegerField(help_text=_("Rupiah; 0 is free of charge."))
    currency = serializers.CharField(help_text="IDR")

    def to_representation(self, quote):
        return {
            "tariff_class": quote.tariff_class,
            "tariff_class_label": quote.tariff_class_label,
            "lines": [price_line_data(line) for line in quote.lines],
            "total": quote.total,
            "currency": CURRENCY,
        }


class InvoiceSerializer(serializers.Serializer):
    number = serializers.CharField()
    amount = serializers.IntegerField(help_text=_("Rupiah."))
    state = serializers.ChoiceField(choices=InvoiceState.choices)
    state_label = serializers.CharField()
    issued_at = WibDateTimeField()
    due_at = WibDateTimeField(help_text=_("Unpaid by then, the booking is released."))
    paid_at = WibDateTimeField(allow_null=True)
    receipt_number = serializers.CharField(
        allow_null=True, help_text=_("The receipt (bukti bayar) of the payment, once paid.")
    )

    def to_representation(self, invoice):
        payment = settling_payment(invoice)
        return {
            "number": invoice.number,
            "amount": invoice.amount,
            "state": invoice.state,
            "state_label": invoice.get_state_display(),
            "issued_at": clock.to_local(invoice.issued_at).isoformat(),
            "due_at": clock.to_local(invoice.due_at).isoformat(),
            "paid_at": clock.to_local(payment.paid_at).isoformat() if payment else None,
            "receipt_number": payment.receipt_number if payment else None,
        }


def settling_payment(invoice):
    """The payment that settled `invoice` (not one to be refunded), or None; from the
    selectors' prefetch where they made one."""
    if hasattr(invoice, "settling_payments"):
        payments = invoice.settling_payments
    else:
        payments = list(invoice.payments.filter(needs_refund=False)[:1])
    return payments[0] if payments else None


# --- Bookings -----------------------------------------------------------------------------------


class BookingRequestSerializer(ApiSerializer):
    facility = serializers.SlugField(
        max_length=160,
        help_text=_("The facility's slug."),
        error_messages={"invalid": _("Enter a facility's slug.")},
    )
    start = WibDateTimeField(help_text=_("ISO 8601; without an offset the time is WIB."))
    end = WibDateTimeField(help_text=_("ISO 8601; without an offset the time is WIB."))
    purpose = text(Booking._meta.get_field("purpose").max_length)
    attendees = whole_number(min_value=1, max_value=MAX_ATTENDEES)
    organisation = text(
        Booking._meta.get_field("organisation").max_length,
        required=False,
        allow_blank=True,
        default="",
    )
    phone = text(
        Booking._meta.get_field("contact_phone").max_length,
        validators=[validate_phone],
        help_text=_("A phone number to reach you about this booking."),
    )
    tariff_class = TariffClassField(required=False, default="")
    addons = AddOnListField()
    expected_total = whole_number(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_EXPECTED_TOTAL,
        help_text=_(
            "The total (rupiah) you were quoted. If the price is now another, nothing is "
            "booked: the answer is a 409 price_changed with the new quote."
        ),
    )

    def validate_facility(self, slug: str) -> Facility:
        # Any facility, bookable or not: whether it may be booked is the rules' answer.
        facility = Facility.objects.select_related("community").filter(slug=slug).first()
        if facility is None:
            raise serializers.ValidationError(_("There is no facility with this slug."))
        return facility


class BookingMultipartRequestSerializer(BookingRequestSerializer):
    """The multipart/form-data form of a booking request (for the schema): the same fields
    as text, the add-ons as JSON text, and a file part `document_<id>` per document the
    facility asks (its required_documents[].field)."""

    addons = serializers.CharField(
        required=False,
        help_text=_('The add-ons as JSON text: [{"addon": 3, "quantity": 2}].'),
    )


class CancelSerializer(ApiSerializer):
    reason = text(1000, required=False, allow_blank=True, default="")


class BookingEventSerializer(serializers.Serializer):
    # Not an enum in the schema: its name would collide with the facility's kind.
    kind = serializers.CharField(
        help_text=_("status: a change of status; check_in: checked in at the venue.")
    )
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    to_status_label = serializers.CharField(source="get_to_status_display")
    reason = serializers.CharField()
    at = WibDateTimeField(source="created_at")


class BookingDocumentSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text=_("The document's public id."))
    name = serializers.CharField(help_text=_("The document asked for, e.g. Surat permohonan."))
    file_name = serializers.CharField(help_text=_("The name of the file as it was sent."))
    content_type = serializers.ChoiceField(
        choices=[(PDF, "PDF"), (JPEG, "JPEG"), (PNG, "PNG")],
        help_text=_("What the file was found to be, from its content."),
    )
    size = serializers.IntegerField(help_text=_("Bytes."))
    pages = serializers.IntegerField(allow_null=True, help_text=_("A PDF's pages; null else."))
    uploaded_at = WibDateTimeField()
    download_url = serializers.CharField(
        help_text=_(
            "Where the resident, the facility's deciders and staff download it (signed in on "
            "the site); a 404 for anyone else."
        )
    )

    def to_representation(self, document):
        return booking_document_data(document)


def booking_document_data(document) -> dict:
    return {
        "id": str(document.public_id),
        "name": document.name,
        "file_name": document.original_name,
        "content_type": document.content_type,
        "size": document.size,
        "pages": document.pages,
        "uploaded_at": clock.to_local(document.uploaded_at).isoformat(),
        "download_url": reverse("document_download", args=[document.public_id]),
    }


class BookingSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=BookingStatus.choices)
    status_label = serializers.CharField(source="get_status_display")
    facility = serializers.SlugField(source="facility.slug")
    facility_name = serializers.CharField(source="facility.name")
    start = WibDateTimeField()
    end = WibDateTimeField()
    phone = serializers.CharField(source="contact_phone")
    created_at = WibDateTimeField()
    decided_at = WibDateTimeField(allow_null=True)
    decision_due_at = WibDateTimeField(
        allow_null=True,
        help_text=_(
            "While the request waits: the latest decision the service standard promises, "
            "in working days."
        ),
    )
    events = BookingEventSerializer(many=True, source="events.all")
    tariff_class = serializers.ChoiceField(choices=TariffClass.choices, allow_blank=True)
    tariff_class_label = serializers.CharField(source="get_tariff_class_display")
    lines = PriceLineSerializer(
        many=True, source="lines.all", help_text=_("The price as it was quoted when requested.")
    )
    price_total = serializers.IntegerField(help_text=_("Rupiah; 0 is free of charge."))
    currency = serializers.SerializerMethodField()
    invoice = InvoiceSerializer(
        allow_null=True, help_text=_("Issued when a booking with a price is approved.")
    )
    documents = BookingDocumentSerializer(
        many=True, source="documents.all", help_text=_("The supporting documents sent.")
    )

    class Meta:
        model = Booking
        fields = [
            "reference",
            "status",
            "status_label",
            "facility",
            "facility_name",
            "start",
            "end",
            "purpose",
            "attendees",
            "organisation",
            "phone",
            "decision_reason",
            "rejection_category",
            "created_at",
            "decided_at",
            "decision_due_at",
            "events",
            "tariff_class",
            "tariff_class_label",
            "lines",
            "price_total",
            "currency",
            "invoice",
            "documents",
        ]
        read_only_fields = fields

    def get_currency(self, booking) -> str:
        return CURRENCY

    def to_representation(self, booking):
        # Every booking answer (create and cancel above all) goes through here: built directly,
        # in the shape the fields above declare for the schema, without DRF copying and running
        # a field object per value (tests/test_api_bookings.py checks both give the same).
        def wib(moment):
            return None if moment is None else clock.to_local(moment).isoformat()

        return {
            "reference": booking.reference,
            "status": booking.status,
            "status_label": booking.get_status_display(),
            "facility": booking.facility.slug,
            "facility_name": booking.facility.name,
            "start": wib(booking.start),
            "end": wib(booking.end),
            "purpose": booking.purpose,
            "attendees": booking.attendees,
            "organisation": booking.organisation,
            "phone": booking.contact_phone,
            "decision_reason": booking.decision_reason,
            "rejection_category": booking.rejection_category,
            "created_at": wib(booking.created_at),
            "decided_at": wib(booking.decided_at),
            "decision_due_at": wib(booking.decision_due_at)
            if booking.status == BookingStatus.REQUESTED
            else None,
            "events": [
                {
                    "kind": event.kind,
                    "from_status": event.from_status,
                    "to_status": event.to_status,
                    "to_status_label": event.get_to_status_display(),
                    "reason": event.reason,
                    "at": wib(event.created_at),
                }
                for event in booking.events.all()
            ],
            "tariff_class": booking.tariff_class,
            "tariff_class_label": booking.get_tariff_class_display(),
            "lines": [price_line_data(line) for line in booking.lines.all()],
            "price_total": booking.price_total,
            "currency": CURRENCY,
            "invoice": _invoice_data(booking),
            "documents": [booking_document_data(document) for document in booking.documents.all()],
        }


def _invoice_data(booking) -> dict | None:
    try:
        invoice = booking.invoice
    except ObjectDoesNotExist:
        return None
    return InvoiceSerializer(invoice).data


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A stable code: slot_taken, invalid, not_found, ...")
    message = serializers.CharField(help_text="For people, in the request's language.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='Messages by input ("__all__" for the request as a whole).',
    )


class ConflictErrorSerializer(ErrorSerializer):
    quote = QuoteSerializer(
        required=False, help_text="With price_changed only: the price now, to show and send."
    )
