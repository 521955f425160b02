import pytest

pytestmark = pytest.mark.django_db


def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_when_the_database_is_unreachable(django_process):
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    result = django_process(
        "from django.test import Client\n"
        "response = Client().get('/healthz')\n"
        "print(response.status_code, response.content.decode())\n",
        env={"DATABASE_URL": "postgres://postgres@127.0.0.1:1/haidepok"},
    )

    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().splitlines()[-1].split(" ", 1)
    assert status == "503"
    assert '"database": "unreachable"' in body


def test_admin_login_page_answers(client):
    response = client.get("/admin/login/")

    assert response.status_code == 200


def test_the_admin_is_closed_to_anonymous_visitors(client):
    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
