"""One vocabulary for the resident: "email" (never "e-mail") and "Kata sandi" (never a bare
"Sandi"), in our templates and in what allauth says through our catalogue; and a header that
names the resident without showing their email address to whoever looks at the screen."""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

from communities.models import Membership
from tests.factories import CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

E_MAIL = re.compile(r"\be-mail\b", re.I)
BARE_SANDI = re.compile(r"(?<!kata )\bsandi\b", re.I)
ALLAUTH_PO = Path(__import__("allauth").__file__).parent / "locale/id/LC_MESSAGES/django.po"


def wrong_words(text: str) -> list[str]:
    return E_MAIL.findall(text) + BARE_SANDI.findall(text)


def test_no_template_says_e_mail_or_a_bare_sandi():
    found = {
        str(path): wrong_words(path.read_text())
        for path in Path(settings.BASE_DIR, "templates").rglob("*")
        if path.is_file() and path.suffix in {".html", ".txt"}
    }
    assert not {path: words for path, words in found.items() if words}


def test_no_indonesian_msgstr_says_e_mail_or_a_bare_sandi():
    """Every msgid the site translates, ours and allauth's, as the resident reads it."""
    entries = list(polib.pofile(str(Path(settings.BASE_DIR, "locale/id/LC_MESSAGES/django.po"))))
    entries += [entry for entry in polib.pofile(str(ALLAUTH_PO)) if not entry.obsolete]
    wrong = {}
    with translation.override("id"):
        for entry in entries:
            if entry.obsolete or entry.msgid_plural:
                continue
            if entry.msgctxt:
                text = translation.pgettext(entry.msgctxt, entry.msgid)
            else:
                text = translation.gettext(entry.msgid)
            if wrong_words(text):
                wrong[entry.msgid] = text
    assert not wrong


def test_the_header_names_a_resident_without_their_email(client):
    resident = UserFactory(full_name="", email="budi.santoso@example.test")
    client.force_login(resident)
    html = client.get("/").content.decode()
    header = html[html.index('class="site-header"') : html.index("</header>")]
    assert "budi.santoso" in header
    assert "@example.test" not in html


def test_the_header_shows_the_name_and_kelola_only_to_who_manages_something(client):
    resident = UserFactory(full_name="Siti Aminah")
    client.force_login(resident)
    header = _header(client.get("/").content.decode())
    assert "Siti Aminah" in header
    assert "/kelola/" not in header

    MembershipFactory(user=resident, community=CommunityFactory(), role=Membership.Role.ORGANIZER)
    assert "/kelola/" in _header(client.get("/").content.decode())


def _header(html: str) -> str:
    return html[html.index('class="site-header"') : html.index("</header>")]
