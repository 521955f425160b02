import pytest
from django.test import Client, override_settings
from django.urls import path


def broken_view(request):
    raise RuntimeError("boom")


urlpatterns = [path("rusak/", broken_view)]

pytestmark = pytest.mark.django_db


def test_a_missing_page_is_a_friendly_404_in_the_site_layout(client):
    response = client.get("/tidak-ada-halaman/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "Halaman tidak ditemukan" in page
    assert 'class="site-header"' in page


@override_settings(ROOT_URLCONF=__name__)
def test_a_server_error_is_a_friendly_500_in_both_languages():
    client = Client(raise_request_exception=False)

    response = client.get("/rusak/")

    assert response.status_code == 500
    page = response.content.decode()
    assert "Maaf, terjadi gangguan" in page and "Sorry, something went wrong" in page
