"""Pictures of the main pages for the README: ``make screenshots``.

Serves the application with the demo data on a free local port, opens each main page, and the
member's and the moderator's, in Debian's Chromium (desktop 1280x800 and phone 390x844, English
and Arabic) and saves what a person sees first (above the fold) as
``docs/screenshots/<page>-<device>-<lang>.png``, reduced to a 128-colour palette (a third of the
size, no visible difference for flat page colours).

``--review FOLDER`` is for the engineer who changed a page: whole-page pictures (not only above
the fold) of every page type each reader sees (the lists the accessibility checks walk), for
desktop and phone, English and Arabic, into FOLDER, which is not committed.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser.helpers import (  # noqa: E402
    MEMBER_EMAIL,
    MEMBER_PAGES,
    MODERATOR_PAGES,
    VISITOR_PAGES,
    add_member,
    log_in,
    site_pages,
)
from tests.browser.live import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    MODERATOR_EMAIL,
    PHONE,
    seed_site,
    start_live_server,
    translator,
)

OUTPUT = ROOT / "docs" / "screenshots"
DEVICES = {"desktop": DESKTOP, "phone": PHONE}
LANGUAGES = ("en", "ar")
PUBLIC_PAGES = (
    "home",
    "campaigns",
    "campaign",
    "directory",
    "organization",
    "projects",
    "project",
    "register",
    "search",
    "gatherings",
    "gathering",
    "network_shape",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument(
        "--review",
        type=Path,
        metavar="FOLDER",
        help="whole-page pictures of every page type into FOLDER (for looking, not for the README)",
    )
    args = parser.parse_args()
    if args.review:
        args.output = args.review
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: run `make browser-deps`", file=sys.stderr)
        return 1
    args.output.mkdir(parents=True, exist_ok=True)
    for old in args.output.glob("*.png"):  # pictures of pages that no longer exist go too
        old.unlink()

    with tempfile.TemporaryDirectory() as folder:
        live = start_live_server(Path(folder))
        try:
            with live.app.app_context():
                seed_site()
            add_member(live.app)
            pages = site_pages(live.app)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                take = review if args.review else shoot
                for device, viewport in DEVICES.items():
                    for lang in LANGUAGES:
                        take(browser, live, pages, device, viewport, lang, args.output)
                browser.close()
        finally:
            live.stop()
    total = sum(p.stat().st_size for p in args.output.glob("*.png"))
    print(f"{len(list(args.output.glob('*.png')))} screenshots, {total / 1024:.0f} KB, in {args.output}")
    return 0


def shoot(browser, live, pages, device: str, viewport: dict, lang: str, output: Path) -> None:
    phone = device == "phone"
    context = browser.new_context(
        base_url=live.url, viewport=viewport, locale=lang, is_mobile=phone, has_touch=phone
    )
    page = context.new_page()

    def save(name: str, url: str | None) -> None:
        if url is None:
            print(f"  (no {name} page to show)")
            return
        page.goto(url)
        path = output / f"{name}-{device}-{lang}.png"
        save_small_png(page.screenshot(full_page=False), path)
        print(f"  {path.name}")

    for name in PUBLIC_PAGES:
        save(name, getattr(pages, name))
    t = translator(live.app, lang)
    # The member's and the moderator's screens, on phones as on desktops.
    log_in(page, t, MEMBER_EMAIL)
    save("dashboard", pages.dashboard)
    save("campaign-member", pages.campaign)  # the pledge panel
    page.get_by_role("button", name=t("Log out")).click()
    log_in(page, t, MODERATOR_EMAIL)
    save("moderation", pages.moderation_queue)
    save("moderation-log", pages.moderation_log)
    context.close()


def review(browser, live, pages, device: str, viewport: dict, lang: str, output: Path) -> None:
    """Every page type, whole, as each reader sees it: visitor-<page>, member-<page>, moderator-<page>."""
    phone = device == "phone"
    context = browser.new_context(
        base_url=live.url, viewport=viewport, locale=lang, is_mobile=phone, has_touch=phone
    )
    page = context.new_page()
    t = translator(live.app, lang)
    for reader, names, email in (
        ("visitor", VISITOR_PAGES, None),
        ("member", ["campaign", "project", "organization", "gathering", *MEMBER_PAGES], MEMBER_EMAIL),
        ("moderator", MODERATOR_PAGES, MODERATOR_EMAIL),
    ):
        if email:
            log_in(page, t, email)
        for name in dict.fromkeys(names):
            url = getattr(pages, name)
            if url is None:
                continue
            page.goto(url)
            path = output / f"{reader}-{name}-{device}-{lang}.png"
            save_small_png(page.screenshot(full_page=True), path)
            print(f"  {path.name}")
        if email:
            page.get_by_role("button", name=t("Log out")).click()
    context.close()


def save_small_png(png: bytes, path: Path) -> None:
    picture = Image.open(io.BytesIO(png)).convert("RGB")
    palette = picture.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    palette.save(path, "PNG", optimize=True)


if __name__ == "__main__":
    sys.exit(main())
