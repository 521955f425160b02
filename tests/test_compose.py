"""No Docker engine runs here, so the compose file is checked by reading it."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_the_full_stack_has_its_five_services(compose):
    assert set(compose["services"]) == {"postgres", "redis", "web", "worker", "beat"}


def test_web_migrates_then_serves_with_gunicorn(compose):
    command = compose["services"]["web"]["command"]

    assert command.index("manage.py migrate") < command.index("gunicorn haidepok.wsgi")
    assert "8000:8000" in compose["services"]["web"]["ports"]
    assert "/healthz" in " ".join(compose["services"]["web"]["healthcheck"]["test"])


def test_celery_worker_and_beat_run_the_project_app(compose):
    assert compose["services"]["worker"]["command"][:4] == ["celery", "-A", "haidepok", "worker"]
    assert compose["services"]["beat"]["command"][:4] == ["celery", "-A", "haidepok", "beat"]


@pytest.mark.parametrize("name", ["web", "worker", "beat"])
def test_app_services_are_configured_for_production_by_environment(compose, name):
    service = compose["services"][name]
    environment = service["environment"]

    assert environment["DEBUG"] == "false"
    assert (
        environment["DATABASE_URL"].startswith("postgres://")
        and "@postgres:5432/" in environment["DATABASE_URL"]
    )
    assert environment["REDIS_URL"] == "redis://redis:6379/0"
    for variable in ["SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "EMAIL_HOST"]:
        assert variable in environment
    assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert service["depends_on"]["redis"]["condition"] == "service_healthy"


def test_data_lives_in_volumes_and_services_have_healthchecks(compose):
    services = compose["services"]

    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "media:/app/media" in services["web"]["volumes"]
    assert {"postgres-data", "redis-data", "media"} <= set(compose["volumes"])
    for name in ["postgres", "redis", "web", "worker"]:
        assert services[name]["healthcheck"]["test"], name


def test_the_dockerfile_builds_the_image_the_services_use():
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert dockerfile.startswith("#") and "FROM python:3.11" in dockerfile
    assert "pip install ." in dockerfile
    assert "collectstatic" in dockerfile
    assert "USER haidepok" in dockerfile
