"""Compile the project's .po catalogues to .mo without GNU gettext.

A fresh machine with only Python has no msgfmt, so the build (make, the Dockerfile, the test
session) compiles with polib instead of `manage.py compilemessages`.
"""

from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def compile_catalogues(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Write each .mo that is missing or older than its .po; return the ones written."""
    written = []
    for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        written.append(mo_path)
    return written


def untranslated(language: str, locale_dir: Path = LOCALE_DIR) -> list[str]:
    """msgids of the project's catalogue for `language` that have no translation."""
    missing = []
    for po_path in locale_dir.glob(f"{language}/LC_MESSAGES/*.po"):
        catalogue = polib.pofile(str(po_path))
        missing += [entry.msgid for entry in catalogue.untranslated_entries()]
        missing += [entry.msgid for entry in catalogue.fuzzy_entries()]
    return missing


if __name__ == "__main__":
    for path in compile_catalogues():
        print(f"compiled {path}")
