"""The JSON API (/api/v1/): thin views over bookings.services and the selectors.

Errors of every kind come out in one shape, built by bookings.api.exceptions.
"""

from django.http import HttpResponse, HttpResponseNotModified
from django.urls import reverse
from django.utils.http import parse_etags
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings import pricing, services
from bookings.api import multipart, selectors
from bookings.api.exceptions import documents_refused_response, price_changed_response
from bookings.api.parsers import JSONParser
from bookings.api.serializers import (
    AvailabilityQuerySerializer,
    AvailabilitySerializer,
    BookingMultipartRequestSerializer,
    BookingRequestSerializer,
    BookingSerializer,
    CancelSerializer,
    ConflictErrorSerializer,
    ErrorSerializer,
    FacilityDetailSerializer,
    FacilityFilterSerializer,
    FacilitySerializer,
    QuoteRequestSerializer,
    QuoteSerializer,
)
from bookings.availability import facility_availability
from bookings.errors import BookingError
from bookings.selectors import free_on
from documents import services as document_services
from documents.services import DocumentsRefused
from facilities.pages import facility_scope
from facilities.selectors import search_facilities
from haidepok import clock, page_cache

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="A malformed request or a refused rule."),
    401: OpenApiResponse(ErrorSerializer, description="Not signed in and no valid token."),
    403: OpenApiResponse(ErrorSerializer, description="Not allowed (or a failed CSRF check)."),
    404: OpenApiResponse(ErrorSerializer, description="No such object, or not yours."),
}


class FacilityList(generics.ListAPIView):
    """Bookable facilities, filtered and paginated (20 a page)."""

    permission_classes = [AllowAny]
    serializer_class = FacilitySerializer
    pagination_class = PageNumberPagination

    @extend_schema(
        parameters=[FacilityFilterSerializer],
        description=(
            "With `free_on`, only the facilities with at least one free slot that day: a "
            "slot where a booking of the facility's minimum length may start, as the "
            "availability grid shows it free and as the site's catalog filters."
        ),
        responses={200: FacilitySerializer(many=True), 400: ERRORS[400]},
    )
    def get(self, request, *args, **kwargs):
        filters = FacilityFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        query = filters.validated_data
        facilities = search_facilities(
            q=query.get("q", ""),
            kecamatan=query.get("kecamatan", ""),
            kind=query.get("kind", ""),
            capacity=query.get("min_capacity"),
        )
        if day := query.get("free_on"):
            facilities = free_on(facilities, day)
        facilities = selectors.with_prices(facilities)
        page = self.paginate_queryset(facilities)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class FacilityDetail(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: FacilityDetailSerializer, 404: ERRORS[404]})
    def get(self, request, slug):
        """A bookable facility: description, opening hours, booking policy, tariffs and the
        add-ons it lends."""
        facility = selectors.facility_with_details(slug)
        return Response(FacilityDetailSerializer(facility, context={"request": request}).data)


class FacilityAvailability(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[AvailabilityQuerySerializer],
        responses={200: AvailabilitySerializer, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request, slug):
        """Every slot of the facility's grid for `days` days from `start`, with its state, and
        the closures in that time."""
        query = AvailabilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        facility_id = selectors.bookable_facility_id(slug)
        first_day = query.validated_data.get("start") or clock.local_now().date()
        days = query.validated_data["days"]

        def render():
            facility = selectors.bookable_facility(slug)
            availability = facility_availability(facility, first_day, days)
            content = JSONRenderer().render(AvailabilitySerializer(availability).data)
            return content.decode(), availability.valid_until

        grid = page_cache.cached(
            "api-availability",
            (facility_id, first_day, days),
            render,
            scope=facility_scope(facility_id),
        )
        # Conditional GET: a client that has this grid gets a 304 without a body.
        etag = f'"{grid.etag}"'
        if etag in parse_etags(request.headers.get("If-None-Match", "")):
            response = HttpResponseNotModified()
        else:
            response = HttpResponse(grid.content, content_type="application/json")
        response["ETag"] = etag
        response["Cache-Control"] = "no-cache"  # may be kept, but asked again each time
        return response


class FacilityQuote(APIView):
    """The price is public: anyone may ask it, signed in or not."""

    permission_classes = [AllowAny]

    @extend_schema(
        request=QuoteRequestSerializer,
        responses={200: QuoteSerializer, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def post(self, request, slug):
        """What a booking of [start, end) would cost, itemised, in whole rupiah: the same
        price the booking stores when it is requested now. Priced by the tariffs in force on
        its first day (WIB), in the cheapest combination of whole units, plus the add-ons.
        The length must be one the facility takes (at most its longest booking); whether the
        time is free, open and far enough ahead is checked when the booking is requested.
        Nothing is reserved."""
        facility = selectors.bookable_facility(slug)
        form = QuoteRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        price = pricing.quote(
            facility=facility,
            tariff_class=data["tariff_class"],
            start=data["start"],
            end=data["end"],
            addons=data.get("addons", {}),
        )
        return Response(QuoteSerializer(price).data)


class BookingListCreate(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = BookingSerializer
    # JSON, or multipart with the documents (bookings/api/multipart.py).
    parser_classes = [JSONParser, MultiPartParser]

    def get_queryset(self):
        return selectors.bookings_of(self.request.user)

    @extend_schema(responses={200: BookingSerializer(many=True), 401: ERRORS[401]})
    def get(self, request, *args, **kwargs):
        """Your own bookings, the latest first."""
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request={
            "application/json": BookingRequestSerializer,
            "multipart/form-data": BookingMultipartRequestSerializer,
        },
        responses={
            201: BookingSerializer,
            **ERRORS,
            409: OpenApiResponse(
                ConflictErrorSerializer,
                description=(
                    "Taken by others at that time: the slot (slot_taken) or the add-ons "
                    "(addon_out_of_stock); or the price is no longer `expected_total` "
                    "(price_changed, with the new `quote`)."
                ),
            ),
        },
    )
    def post(self, request):
        """Request a booking, priced in its `tariff_class` with its `addons` (the price is
        stored with it, as a quote answers it). It is approved at once where the facility
        approves automatically; otherwise it waits for a decision (status `requested`). An
        approved booking with a price has an invoice to pay by its `due_at`.

        Where the facility asks for documents (its `required_documents`), send the request
        as multipart/form-data: the same fields as text, `addons` as JSON text, and each
        document as a file named after its `field` (`document_<id>`): a PDF, JPEG or PNG,
        checked by its content. A missing or refused document is a 400
        `documents_refused` naming it, and nothing is booked."""
        if multipart.is_multipart(request):
            body, documents = multipart.booking_request_parts(request)
        else:
            body, documents = request.data, {}
        form = BookingRequestSerializer(data=body)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        request_price = {
            "facility": data["facility"],
            "start": data["start"],
            "end": data["end"],
            "tariff_class": data["tariff_class"],
            "addons": data.get("addons", {}),
        }
        try:
            booking = document_services.booking_request_with_documents(
                **request_price,
                documents=documents,
                user=request.user,
                purpose=data["purpose"],
                attendees=data["attendees"],
                organisation=data["organisation"],
                contact_phone=data["phone"],
                expected_total=data.get("expected_total"),
            )
        except DocumentsRefused as refusal:
            return documents_refused_response(refusal)
        except BookingError as error:
            if error.code != "price_changed":
                raise
            # The client shows the new price and sends again with its total.
            return price_changed_response(error, pricing.quote(**request_price))
        location = reverse("api:booking-detail", args=[booking.reference])
        return Response(
            BookingSerializer(booking).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": request.build_absolute_uri(location)},
        )


class BookingDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: BookingSerializer, 401: ERRORS[401], 404: ERRORS[404]})
    def get(self, request, reference):
        """One booking by its reference (HD-7K3Q9P; case, spaces and the dash do not matter)."""
        return Response(BookingSerializer(selectors.booking_for(request.user, reference)).data)


class BookingCancel(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=CancelSerializer, responses={200: BookingSerializer, **ERRORS})
    def post(self, request, reference):
        """Cancel a booking: its resident until the facility's cancel deadline; the facility's
        organizers and Pemkot staff any time, with a reason."""
        booking = selectors.booking_for(request.user, reference, with_history=False)
        form = CancelSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        booking = services.booking_cancel(
            booking=booking, actor=request.user, reason=form.validated_data["reason"]
        )
        return Response(BookingSerializer(booking).data)


class NotFoundView(APIView):
    """Anything else under /api/v1/: a JSON 404, not the site's HTML page."""

    permission_classes = [AllowAny]
    schema = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise NotFound()
