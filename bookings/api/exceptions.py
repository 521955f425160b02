"""One shape for every API error: {"code": ..., "message": ..., "fields": {...}}.

`code` is stable (clients branch on it), `message` is for people, in the request's language,
and `fields` maps each input to its messages ("__all__" for what concerns no single input),
like BookingError.by_field(), so a client shows a rule's refusal and a malformed field alike.
One code adds a key: `price_changed` carries `quote`, the price now.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from bookings.api.parsers import TOO_DEEP
from bookings.api.serializers import QuoteSerializer
from bookings.errors import BookingError
from documents.forms import FIELD_PREFIX

# A refused booking is a 400, except where another status says more.
BOOKING_ERROR_STATUS = {
    "slot_taken": status.HTTP_409_CONFLICT,  # someone else holds the slot: try another time
    "addon_out_of_stock": status.HTTP_409_CONFLICT,  # others hold the items at that time
    # The price moved since the client's quote: the answer carries the new one.
    "price_changed": status.HTTP_409_CONFLICT,
    "not_allowed": status.HTTP_403_FORBIDDEN,
    "email_not_verified": status.HTTP_403_FORBIDDEN,  # the account, not the request, is amiss
}


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"code": code, "message": str(message), "fields": fields or {}}


def price_changed_response(error: BookingError, price) -> Response:
    """price_changed, with the price now (`quote`, a bookings.pricing.Quote) besides the one
    shape's keys, so that the client can show it and send the request again with its total."""
    body = error_body(error.code, error.message, error.by_field())
    body["quote"] = QuoteSerializer(price).data
    return Response(body, status=BOOKING_ERROR_STATUS[error.code])


def documents_refused_response(refusal) -> Response:
    """documents_refused: each missing or refused document at its file's name (document_<id>;
    "__all__" for a file that is not one of the request's documents). Nothing was booked."""
    fields = {
        (f"{FIELD_PREFIX}{requirement_id}" if requirement_id is not None else "__all__"): [
            str(message)
        ]
        for requirement_id, message in refusal.errors.items()
    }
    return Response(
        error_body("documents_refused", refusal.message, fields),
        status=status.HTTP_400_BAD_REQUEST,
    )


def api_exception_handler(exc, context):
    if isinstance(exc, BookingError):
        return Response(
            error_body(exc.code, exc.message, exc.by_field()),
            status=BOOKING_ERROR_STATUS.get(exc.code, status.HTTP_400_BAD_REQUEST),
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    # DRF's own handler sets the headers (WWW-Authenticate, Allow, Retry-After) and rolls back
    # an atomic request; only the body is ours.
    response = exception_handler(exc, context)
    if response is None:
        return None  # not an API error: a bug, which Django reports as a 500
    response.data = _body_for(exc)
    return response


def _body_for(exc: exceptions.APIException) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        return error_body(
            "invalid", _("Some of the data sent is not valid."), flatten_errors(exc.detail)
        )
    if isinstance(exc, exceptions.ParseError):
        if getattr(exc.detail, "code", None) == TOO_DEEP:
            return error_body("malformed_json", str(exc.detail))
        return error_body("malformed_json", _("The request body is not valid JSON."))
    if isinstance(exc, exceptions.NotAuthenticated):
        return error_body(
            "not_authenticated",
            _("Sign in, or send a personal API token: Authorization: Bearer <key>."),
        )
    if isinstance(exc, exceptions.NotFound):
        return error_body("not_found", _("Not found."))
    if isinstance(exc, exceptions.MethodNotAllowed):
        return error_body("method_not_allowed", _("This method is not allowed here."))
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return error_body(
            "unsupported_media_type",
            _("Send the request body as JSON (Content-Type: application/json)."),
        )
    code = exc.default_code
    if isinstance(exc.detail, str):
        code = getattr(exc.detail, "code", None) or code
    return error_body(code, _message_of(exc.detail))


def flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field": [messages]} ("a.b" for nested fields)."""
    fields: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for name, value in detail.items():
            key = "__all__" if name == "non_field_errors" else str(name)
            for field, messages in flatten_errors(
                value, f"{prefix}.{key}" if prefix else key
            ).items():
                fields.setdefault(field, []).extend(messages)
        return fields
    key = prefix or "__all__"
    if isinstance(detail, list):
        for item in detail:
            if isinstance(item, dict | list):
                for field, messages in flatten_errors(item, prefix).items():
                    fields.setdefault(field, []).extend(messages)
            else:
                fields.setdefault(key, []).append(str(item))
        return fields
    return {key: [str(detail)]}


def _message_of(detail) -> str:
    if isinstance(detail, list):
        return " ".join(_message_of(item) for item in detail)
    if isinstance(detail, dict):
        return " ".join(_message_of(item) for item in detail.values())
    return str(detail)
