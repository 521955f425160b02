"""Lighthouse (mobile preset) on the resident's main pages of a running server; not a test.

Needs Lighthouse 12.2.3 from npm (13 needs Node 22):  npm i -E lighthouse@12.2.3 --prefix /tmp/lh
Run:  CHROME_PATH=/usr/bin/chromium python bench/lighthouse.py http://127.0.0.1:8000 balai-rakyat-beji
Prints the four category scores per page.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

LIGHTHOUSE = Path(os.environ.get("LIGHTHOUSE", "/tmp/lh/node_modules/.bin/lighthouse"))
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


def pages(base: str, slug: str) -> dict[str, str]:
    return {
        "catalog": f"{base}/",
        "facility": f"{base}/fasilitas/{slug}/",
        "booking form": f"{base}/fasilitas/{slug}/pesan/",
        "public calendar": f"{base}/kalender/",
    }


def scores(url: str) -> dict[str, int]:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder, "report.json")
        subprocess.run(
            [
                str(LIGHTHOUSE),
                url,
                "--quiet",
                "--output=json",
                f"--output-path={report}",
                "--only-categories=" + ",".join(CATEGORIES),
                "--chrome-flags=--headless=new --no-sandbox",
            ],
            check=True,
            env={**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")},
        )
        result = json.loads(report.read_text())
    return {name: round(result["categories"][name]["score"] * 100) for name in CATEGORIES}


def main() -> None:
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
    slug = sys.argv[2] if len(sys.argv) > 2 else "balai-rakyat-beji"
    print(f"{'page':<16}" + "".join(f"{name:>16}" for name in CATEGORIES))
    for name, url in pages(base.rstrip("/"), slug).items():
        row = scores(url)
        print(f"{name:<16}" + "".join(f"{row[category]:>16}" for category in CATEGORIES))


if __name__ == "__main__":
    main()
