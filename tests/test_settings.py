"""Settings come from the environment; bad values fail at startup and name the variable."""

import json

LONG_SECRET = "x7" * 30 + "-production-secret-for-tests-only"

SHOW_SETTINGS = """
import json
from django.conf import settings
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "ENGINE": settings.DATABASES["default"]["ENGINE"],
    "NAME": str(settings.DATABASES["default"]["NAME"]),
    "EAGER": settings.CELERY_TASK_ALWAYS_EAGER,
    "PAGE_CACHE": settings.PAGE_CACHE,
    "BROKER": settings.CELERY_BROKER_URL,
    "EMAIL_BACKEND": settings.EMAIL_BACKEND,
    "LANGUAGE_CODE": settings.LANGUAGE_CODE,
    "LANGUAGES": [code for code, _ in settings.LANGUAGES],
    "TIME_ZONE": settings.TIME_ZONE,
    "USE_TZ": settings.USE_TZ,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
}))
"""


def show_settings(django_process, env):
    result = django_process(SHOW_SETTINGS, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_with_nothing_set_the_site_runs_embedded(django_process, tmp_path):
    values = show_settings(django_process, env={})

    assert values["DEBUG"] is True
    assert values["ENGINE"] == "django.db.backends.sqlite3"
    assert values["NAME"].endswith("db.sqlite3")
    assert values["EAGER"] is True
    assert values["BROKER"] == "memory://"
    assert values["PAGE_CACHE"] is False  # the in-memory cache is not shared between processes
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert values["LANGUAGE_CODE"] == "id"
    assert values["LANGUAGES"] == ["id", "en"]
    assert values["TIME_ZONE"] == "Asia/Jakarta"
    assert values["USE_TZ"] is True


def test_services_are_configured_from_their_urls(django_process):
    values = show_settings(
        django_process,
        env={
            "DATABASE_URL": "postgres://app:secret@db.internal:5432/haidepok",
            "REDIS_URL": "redis://cache.internal:6379/0",
            "EMAIL_HOST": "smtp.internal",
        },
    )

    assert values["ENGINE"] == "django.db.backends.postgresql"
    assert values["NAME"] == "haidepok"
    assert values["EAGER"] is False
    assert values["BROKER"] == "redis://cache.internal:6379/0"
    assert values["PAGE_CACHE"] is True
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"


def test_debug_off_turns_on_secure_cookies_and_hsts(django_process):
    values = show_settings(
        django_process, env={"DEBUG": "false", "SECRET_KEY": LONG_SECRET, "ALLOWED_HOSTS": "x"}
    )

    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000


def test_production_settings_pass_the_deploy_check_without_warnings(django_process):
    result = django_process(
        ["check", "--deploy", "--fail-level", "WARNING"],
        env={
            "DEBUG": "false",
            "SECRET_KEY": LONG_SECRET,
            "ALLOWED_HOSTS": "haidepok.depok.go.id",
            "CSRF_TRUSTED_ORIGINS": "https://haidepok.depok.go.id",
            "PAYMENT_GATEWAY": "midtrans",
            "MIDTRANS_SERVER_KEY": "SB-Mid-server-not-a-real-key",
        },
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr


def test_production_static_files_collect_as_the_image_build_does(django_process, tmp_path):
    """The Dockerfile's collectstatic with the hashed, compressed storage: a file that names
    another one missing (a source map of a vendored script) fails the build."""
    result = django_process(
        ["collectstatic", "--noinput"],
        env={
            "DEBUG": "false",
            "SECRET_KEY": LONG_SECRET,
            "ALLOWED_HOSTS": "localhost",
            "STATIC_ROOT": str(tmp_path / "static"),
        },
        timeout=300,
    )

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()


def test_the_deploy_check_warns_that_the_payment_simulator_moves_no_money(django_process):
    result = django_process(
        ["check", "--deploy"],
        env={
            "DEBUG": "false",
            "SECRET_KEY": LONG_SECRET,
            "ALLOWED_HOSTS": "haidepok.depok.go.id",
            "CSRF_TRUSTED_ORIGINS": "https://haidepok.depok.go.id",
        },
    )

    assert "payments.W001" in result.stderr + result.stdout


def test_the_midtrans_gateway_without_its_key_refuses_to_start(django_process):
    result = django_process(["check"], env={"PAYMENT_GATEWAY": "midtrans"})

    assert result.returncode != 0
    assert "MIDTRANS_SERVER_KEY must be set" in result.stderr


def test_debug_off_without_secret_key_refuses_to_start(django_process):
    result = django_process(["check"], env={"DEBUG": "false"})

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_a_malformed_database_url_names_the_variable(django_process):
    for bad_url in ["mysqlx//nowhere", "http://example.com/db", "postgres://127.0.0.1:5432/"]:
        result = django_process(["check"], env={"DATABASE_URL": bad_url})

        assert result.returncode != 0, bad_url
        assert "ImproperlyConfigured: DATABASE_URL" in result.stderr, result.stderr


def test_a_bad_boolean_names_the_variable(django_process):
    result = django_process(["check"], env={"DEBUG": "maybe"})

    assert result.returncode != 0
    assert "ImproperlyConfigured: DEBUG: expected a boolean" in result.stderr


def test_a_bad_integer_names_the_variable(django_process):
    result = django_process(
        ["check"], env={"EMAIL_HOST": "smtp.local", "EMAIL_PORT": "twenty-five"}
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured: EMAIL_PORT: expected an integer" in result.stderr


def test_a_bad_redis_url_names_the_variable(django_process):
    result = django_process(["check"], env={"REDIS_URL": "localhost:6379"})

    assert result.returncode != 0
    assert "ImproperlyConfigured: REDIS_URL" in result.stderr


def test_an_unknown_media_storage_names_the_variable(django_process):
    result = django_process(["check"], env={"MEDIA_STORAGE": "ftp"})

    assert result.returncode != 0
    assert "ImproperlyConfigured: MEDIA_STORAGE" in result.stderr
