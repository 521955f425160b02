"""A booking request sent as multipart/form-data, with its supporting documents.

The fields are those of the JSON body, each once, as text; `addons` (a list of objects) is
sent as JSON text. Each document is a file part named `document_<requirement id>` (the
facility answer's required_documents[].field). What comes out is the JSON body's shape and
{requirement id: file}, for the same serializer and the same service as a JSON request.
"""

import json

from django.utils.translation import gettext as _
from rest_framework import serializers

from documents.forms import FIELD_PREFIX


def is_multipart(request) -> bool:
    return (request.content_type or "").startswith("multipart/form-data")


def booking_request_parts(request) -> tuple[dict, dict[int, object]]:
    """(the body as the JSON request's, the documents by requirement id); a ValidationError
    (400 invalid) for a field sent twice, add-ons that are not JSON or a file part of
    another name."""
    errors: dict[str, list[str]] = {}
    body: dict = {}
    for name in request.POST:
        values = request.POST.getlist(name)
        if len(values) != 1:
            errors[name] = [_("Send this field once.")]
            continue
        body[name] = values[0]
    if "addons" in body:
        try:
            body["addons"] = json.loads(body["addons"]) if body["addons"].strip() else []
        except ValueError:
            errors["addons"] = [
                _(
                    'In a multipart request, send the add-ons as JSON text: [{"addon": 3, "quantity": 2}].'
                )
            ]
    if body.get("expected_total", None) == "":
        body["expected_total"] = None
    documents: dict[int, object] = {}
    for name in request.FILES:
        files = request.FILES.getlist(name)
        requirement_id = _requirement_id(name)
        if requirement_id is None:
            errors[name] = [_("Name each file document_<id>, after the document it is.")]
        elif len(files) != 1:
            errors[name] = [_("Send one file for each document.")]
        else:
            documents[requirement_id] = files[0]
    if errors:
        raise serializers.ValidationError(errors)
    return body, documents


def _requirement_id(name: str) -> int | None:
    number = name.removeprefix(FIELD_PREFIX)
    if name == number or not number.isdigit() or len(number) > 12:
        return None
    return int(number)
