import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PATHS = {
    "/api/v1/facilities/": {"get"},
    "/api/v1/facilities/{slug}/": {"get"},
    "/api/v1/facilities/{slug}/availability/": {"get"},
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
