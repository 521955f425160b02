import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PATHS = {
    "/api/v1/facilities/": {"get"},
    "/api/v1/facilities/{slug}/": {"get"},
    "/api/v1/facilities/{slug}/availability/": {"get"},
    "/api/v1/facilities/{slug}/quote/": {"post"},
    "/api/v1/bookings/": {"get", "post"},
    "/api/v1/bookings/{reference}/": {"get"},
    "/api/v1/bookings/{reference}/cancel/": {"post"},
}


@pytest.fixture
def schema():
    response = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_is_valid_openapi_with_every_endpoint(schema):
    validate_schema(schema)  # raises on an invalid document

    assert schema["openapi"].startswith("3.")
    assert {
        path: set(operations) & {"get", "post", "put", "patch", "delete"}
        for path, operations in schema["paths"].items()
    } == PATHS


def test_the_schema_documents_both_ways_to_authenticate(schema):
    schemes = schema["components"]["securitySchemes"]

    assert schemes["apiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["apiToken"]["description"],
    }
    assert schemes["session"]["in"] == "cookie"


def test_the_schema_documents_the_error_shape_and_the_request_body(schema):
    create = schema["paths"]["/api/v1/bookings/"]["post"]

    assert {"201", "400", "401", "403", "409"} <= set(create["responses"])
    body = schema["components"]["schemas"]["BookingRequestRequest"]
    assert set(body["required"]) == {"facility", "start", "end", "purpose", "attendees", "phone"}
    assert body["properties"]["attendees"]["maximum"] == 100_000
    assert body["properties"]["purpose"]["maxLength"] == 200
    assert set(schema["components"]["schemas"]["Error"]["properties"]) == {
        "code",
        "message",
        "fields",
    }


def test_the_schema_documents_the_quote_and_the_price_of_a_booking(schema):
    components = schema["components"]["schemas"]
    quote = schema["paths"]["/api/v1/facilities/{slug}/quote/"]["post"]

    # Anyone may ask: no authentication required (the empty requirement).
    assert {} in quote["security"]
    assert {"200", "400", "404"} <= set(quote["responses"])
    body = components["QuoteRequestRequest"]
    assert set(body["required"]) == {"start", "end"}
    assert set(body["properties"]) == {"start", "end", "tariff_class", "addons"}
    addon = components["AddOnRequestRequest"]
    assert set(addon["required"]) == {"addon", "quantity"}
    assert (
        addon["properties"]["quantity"] | {"minimum": 1, "maximum": 1000}
        == (addon["properties"]["quantity"])
    )
    assert components["TariffClassEnum"]["enum"] == ["sosial", "komersial", "gratis"]
    answer = components["Quote"]
    assert set(answer["properties"]) == {
        "tariff_class",
        "tariff_class_label",
        "lines",
        "total",
        "currency",
    }
    assert set(components["PriceLine"]["properties"]) == {
        "kind",
        "description",
        "unit",
        "addon",
        "quantity",
        "unit_price",
        "amount",
    }

    request = components["BookingRequestRequest"]["properties"]
    assert {"tariff_class", "addons", "expected_total"} <= set(request)
    booking = components["Booking"]["properties"]
    assert {"tariff_class", "lines", "price_total", "currency", "invoice"} <= set(booking)
    assert set(components["Invoice"]["properties"]) >= {
        "number",
        "amount",
        "state",
        "due_at",
        "paid_at",
        "receipt_number",
    }
    conflict = schema["paths"]["/api/v1/bookings/"]["post"]["responses"]["409"]
    assert conflict["content"]["application/json"]["schema"]["$ref"].endswith("/ConflictError")
    assert "quote" in components["ConflictError"]["properties"]

    facility = components["FacilityDetail"]["properties"]
    assert {"tariffs", "tariff_classes", "addons", "price_from"} <= set(facility)
    assert "fee" not in facility and "fee" not in components["Facility"]["properties"]


def test_the_schema_is_generated_without_warnings():
    """drf-spectacular warns, among others, when two choice sets share a field name: it then
    invents enum names (KindEc9Enum) that change with the choices, and clients generated
    from the schema break."""
    GENERATOR_STATS.reset()

    SchemaGenerator().get_schema(request=None, public=True)

    assert not GENERATOR_STATS._warn_cache, list(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, list(GENERATOR_STATS._error_cache)


def test_the_schema_as_json_for_tools():
    response = APIClient().get("/api/v1/schema/", {"format": "json"})

    assert response.status_code == 200
    assert "/api/v1/bookings/" in response.json()["paths"]


def test_the_docs_are_served_with_no_cdn(client):
    response = client.get("/api/v1/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "/api/v1/schema/" in page
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', page)
    assert external == []
    assert "cdn" not in page.lower()
    # The assets it names are ours, served by the site from its static files.
    assets = re.findall(r'(?:src|href)="/static/([^"]+)"', page)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets), assets
    for asset in assets:
        assert finders.find(asset), asset
