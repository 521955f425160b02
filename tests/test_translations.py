import polib
import pytest
from django.utils import translation

from haidepok.translations import LOCALE_DIR, compile_catalogues, untranslated


def test_the_indonesian_catalogue_is_complete():
    assert untranslated("id") == []


def test_the_compiled_catalogue_matches_its_source(tmp_path):
    source = LOCALE_DIR / "id" / "LC_MESSAGES" / "django.po"
    (tmp_path / "id" / "LC_MESSAGES").mkdir(parents=True)
    copy = tmp_path / "id" / "LC_MESSAGES" / "django.po"
    copy.write_bytes(source.read_bytes())

    assert compile_catalogues(tmp_path) == [copy.with_suffix(".mo")]
    assert compile_catalogues(tmp_path) == []  # up to date: nothing rewritten
    compiled = {entry.msgid: entry.msgstr for entry in polib.mofile(str(copy.with_suffix(".mo")))}
    assert compiled["Sign in"] == "Masuk"


@pytest.mark.parametrize(("language", "expected"), [("id", "Masuk"), ("en", "Sign in")])
def test_the_site_speaks_the_active_language(language, expected):
    with translation.override(language):
        assert translation.gettext("Sign in") == expected
