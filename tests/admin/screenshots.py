"""Screenshots of the admin's main pages at 360 and 1440 px, for docs/screenshots/.

`make screenshots` runs this: a real `sonic serve` on a temporary SQLite database holding the
sample site of tests/admin/main_pages.py (three collections, items in every status, three
images), Debian's chromium signed in as the administrator, one PNG per page and width from
:data:`~tests.admin.main_pages.MAIN_PAGES` (the list the accessibility test reads). Pages
longer than :data:`MAX_HEIGHT` are cut there, and the PNGs are reduced to a 256-colour palette,
so the committed files stay small.

    .venv/bin/python -m tests.admin.screenshots [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import Browser, sync_playwright

from sonic_cms.clock import SystemClock
from sonic_cms.db import migrate
from sonic_cms.db.engine import Database
from tests.admin.main_pages import (
    MAIN_PAGES,
    WIDTHS,
    MainPage,
    SampleSite,
    seed_sample_site,
    upload_sample_media,
)
from tests.conftest import make_settings
from tests.utils.browser import CHROMIUM, launch, open_page, sign_in
from tests.utils.live_server import LiveServer, live_server
from tests.utils.redis_server import free_port

REPO = Path(__file__).resolve().parents[2]
MAX_HEIGHT = 1800


def shoot(
    browser: Browser, server: LiveServer, site: SampleSite, page_spec: MainPage, width: int
) -> Path:
    """One page at one width, written to a temporary PNG; fails on an outside request or a
    console error (the screenshot would show a broken page)."""
    page, watch = open_page(browser, server, width)
    if page_spec.signed_in:
        sign_in(page, server, site.admin_email)
    page.goto(server.url + page_spec.url(site))
    page.wait_for_load_state("networkidle")
    height = min(MAX_HEIGHT, int(page.evaluate("document.documentElement.scrollHeight")))
    raw = Path(tempfile.mkstemp(suffix=".png")[1])
    clip = {"x": 0, "y": 0, "width": width, "height": height}
    page.screenshot(path=str(raw), full_page=True, clip=clip)  # type: ignore[arg-type]
    problems = watch.external + watch.errors
    page.context.close()
    if problems:
        raise SystemExit(f"{page_spec.name} at {width} px: {problems}")
    return raw


def shrink(raw: Path, target: Path) -> None:
    """Save ``raw`` as a palette PNG at ``target`` (a UI has few colours: a fraction of the
    size, no visible loss)."""
    with Image.open(raw) as image:
        image.convert("RGB").quantize(colors=256).save(target, optimize=True)
    raw.unlink()


def main(argv: list[str] | None = None) -> None:
    """Seed, serve, shoot every main page at both widths into ``--out``."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        sys.exit(f"no chromium at {CHROMIUM}: run `make browser`")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sonic-screenshots-") as tmp:
        url = f"sqlite:///{tmp}/sonic.db"
        db = Database(make_settings(url))
        migrate.upgrade(db)
        site = seed_sample_site(db, SystemClock())
        db.dispose()
        port = free_port()
        public = f"http://127.0.0.1:{port}"
        with live_server(url, Path(tmp), port=port, public_url=public) as server:
            upload_sample_media(server.url, site.admin_email)
            with sync_playwright() as playwright:
                browser = launch(playwright)
                for spec in MAIN_PAGES:
                    for width in WIDTHS:
                        target = args.out / f"{spec.name}-{width}.png"
                        shrink(shoot(browser, server, site, spec, width), target)
                        print(f"{target.relative_to(REPO)} ({target.stat().st_size:,} bytes)")
                browser.close()


if __name__ == "__main__":
    main()
