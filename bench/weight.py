"""Page weight on the wire, as a provincial link sees it, measured in Debian's Chromium.

Serves the demo programme from a temporary SQLite database, then in a fresh browser (empty
cache) opens the login page, signs in and lands on the home page, adding up the bytes each
response took on the wire (headers and compressed body). Then it opens later pages and counts
the requests for static files that reach the server (target: none).

    .venv/bin/python bench/weight.py [--locale ko_KP]

Targets (issue 8): cold first visit <= 400 KB; later pages request no static file.
"""

import argparse
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hilogistics import create_app  # noqa: E402
from hilogistics.auth.models import Role  # noqa: E402
from hilogistics.db import db  # noqa: E402
from hilogistics.demo import load_demo  # noqa: E402
from tests.conftest import base_config, migrate_to_head  # noqa: E402

LINK_KBIT_S = 256
LATER_PAGES = ["/stock", "/stock/transactions", "/"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locale", default="en", help="browser language: en, ko_KP or fr")
    args = parser.parse_args()
    accept = {"en": "en", "ko_KP": "ko-KP", "fr": "fr"}[args.locale]

    folder = Path(tempfile.mkdtemp(prefix="hilo-weight-"))
    url = f"sqlite:///{folder / 'weight.sqlite'}"
    migrate_to_head(url, folder / "instance")
    app = create_app({**base_config(url, folder / "instance"), "WTF_CSRF_ENABLED": True})
    with app.app_context():
        summary = load_demo()
        db.session.commit()
    username, password = next(
        (user, secret) for role, user, secret in summary.accounts if role is Role.LOGISTICS
    )

    static_hits: list[str] = []

    def counting(environ, start_response):  # noqa: ANN001, ANN202 - WSGI
        if environ["PATH_INFO"].startswith("/static/"):
            static_hits.append(environ["PATH_INFO"])
        return app(environ, start_response)

    server = make_server("127.0.0.1", 0, counting, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
        )
        context = browser.new_context(locale=accept, extra_http_headers={"Accept-Language": accept})
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        received: dict[str, int] = {}
        urls: dict[str, str] = {}
        cdp.on(
            "Network.requestWillBeSent",
            lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]),
        )
        cdp.on(
            "Network.loadingFinished",
            lambda e: received.__setitem__(e["requestId"], int(e["encodedDataLength"])),
        )

        page.goto(base + "/login")
        page.wait_for_load_state("networkidle")
        page.locator("input[name=username]").fill(username)
        page.locator("input[name=password]").fill(password)
        page.locator("input[name=password]").press("Enter")
        page.wait_for_url(base + "/")
        page.wait_for_load_state("networkidle")
        page.evaluate("() => document.fonts.ready")
        cold = sum(received.values())
        print(f"cold first visit (login, sign in, home), {args.locale}:")
        for request_id, size in sorted(received.items(), key=lambda kv: -kv[1]):
            print(f"  {size / 1024:8.1f} KiB  {urls.get(request_id, '?').replace(base, '')}")
        seconds = cold * 8 / (LINK_KBIT_S * 1000)
        print(f"  total {cold / 1024:.1f} KiB; at {LINK_KBIT_S} kbit/s ≈ {seconds:.1f} s")

        static_hits.clear()
        received.clear()
        for path in LATER_PAGES:
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
        later = sum(received.values())
        print(
            f"later pages {', '.join(LATER_PAGES)}: {len(static_hits)} static requests reached "
            f"the server; {later / 1024:.1f} KiB in all ({later / len(LATER_PAGES) / 1024:.1f} "
            "KiB a page)"
        )
        browser.close()
    server.shutdown()
    ok = cold <= 400 * 1024 and not static_hits
    print("targets met" if ok else "TARGETS MISSED")


if __name__ == "__main__":
    main()
