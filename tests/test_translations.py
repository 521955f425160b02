import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.utils import translation

from haidepok.translations import LOCALE_DIR, compile_catalogues, untranslated

PROJECT_DIR = Path(__file__).resolve().parent.parent
APPS = [
    "haidepok",
    "accounts",
    "communities",
    "facilities",
    "bookings",
    "payments",
    "documents",
    "permits",
]


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


def test_every_string_marked_for_translation_is_in_the_catalogue(tmp_path):
    """makemessages, run on a copy of the sources, finds no msgid that the catalogue lacks:
    a string added to the code without its Indonesian text would be shown in English."""
    if shutil.which("xgettext") is None:
        if os.environ.get("CI"):
            pytest.fail("GNU gettext (xgettext) is needed: apt-get install -y gettext")
        pytest.skip("GNU gettext (xgettext) is not installed")
    copy = tmp_path / "src"
    copy.mkdir()
    ignored = shutil.ignore_patterns(".*", "__pycache__", "node_modules", "media", "staticfiles")
    for name in ["manage.py", "templates", "locale", *APPS]:
        source = PROJECT_DIR / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=ignored)
        else:
            shutil.copy(source, copy / name)
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "id", "--no-obsolete"],
        cwd=copy,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "haidepok.settings"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr

    def msgids(path):
        return {(e.msgctxt, e.msgid) for e in polib.pofile(str(path)) if not e.obsolete}

    catalogue = PROJECT_DIR / "locale" / "id" / "LC_MESSAGES" / "django.po"
    extracted = copy / "locale" / "id" / "LC_MESSAGES" / "django.po"
    assert msgids(extracted) - msgids(catalogue) == set()
