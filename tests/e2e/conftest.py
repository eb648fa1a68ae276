"""Browser fixtures: a live server on a migrated SQLite database, Debian's Chromium, a page.

Every page a test opens is watched: a request to any host but 127.0.0.1 is refused and
recorded, and so is every response with status >= 400, every console error and every uncaught
page error; the test fails at teardown when anything was recorded.
"""

import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Route,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Response as PlaywrightResponse
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from hilogistics import create_app
from hilogistics.auth.models import Role
from hilogistics.db import db
from hilogistics.demo import load_demo
from tests.conftest import base_config, migrate_to_head

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
LOCAL_HOST = "127.0.0.1"
TIMEOUT_MS = 10_000


@dataclass
class LiveServer:
    """The app served over HTTP in a background thread."""

    url: str
    users: dict[Role, tuple[str, str]]
    app: Flask

    def __call__(self, path: str = "/") -> str:
        """The absolute URL of ``path``."""
        return self.url + path


def _closing_responses(app: Any) -> Any:
    """Make sure every response body is closed, even when the browser drops the connection.

    Werkzeug's development server skips ``close()`` on the response when the client goes
    away mid-download (it then fails reading the dead socket first); the crawler leaves pages
    while the 4.6 MB fonts are still coming, and the unclosed file becomes a ResourceWarning,
    which this project's ``filterwarnings = error`` turns into a failure of whichever test runs.
    """

    def _body(iterable: Iterable[bytes]) -> Iterator[bytes]:
        try:
            yield from iterable
        finally:  # also runs when the abandoned generator is garbage-collected
            close = getattr(iterable, "close", None)
            if close is not None:
                close()

    def _app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        return _body(app(environ, start_response))

    return _app


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr (failures show up as recorded responses instead)."""

    def log_request(self, *_args: Any, **_kwargs: Any) -> None:
        pass


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The demo programme (places, catalogue, months of stock history, one account per role)
    in a migrated SQLite database, served on a free local port: pages are crawled full."""
    folder = tmp_path_factory.mktemp("e2e")
    instance = folder / "instance"
    url = f"sqlite:///{folder / 'e2e.sqlite'}"
    migrate_to_head(url, instance)
    config = {**base_config(url, instance), "TESTING": True, "WTF_CSRF_ENABLED": True}
    app = create_app(config)

    with app.app_context():
        summary = load_demo()
        db.session.commit()
        db.session.remove()
    users = {role: (username, password) for role, username, password in summary.accounts}

    server: BaseWSGIServer = make_server(
        LOCAL_HOST, 0, _closing_responses(app), threaded=True, request_handler=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://{LOCAL_HOST}:{server.server_port}", users=users, app=app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium for the whole session (Playwright cannot download one)."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail("Debian's chromium is needed: apt-get install chromium", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class PageProblems:
    """What went wrong while a test drove its pages."""

    foreign_requests: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def report(self) -> str:
        """A readable list, or an empty string when nothing went wrong."""
        sections = [
            ("Requests to other hosts (aborted)", self.foreign_requests),
            ("Responses with status >= 400", self.bad_responses),
            ("Console and page errors", self.console_errors),
        ]
        lines: list[str] = []
        for title, items in sections:
            if items:
                lines.append(f"{title}:")
                lines.extend(f"  - {item}" for item in items)
        return "\n".join(lines)


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "about", "blob"):
        return True
    return parts.scheme in ("http", "https") and parts.hostname == LOCAL_HOST


def watch(context: BrowserContext, problems: PageProblems) -> None:
    """Refuse and record foreign requests; record failed responses and console errors."""

    def _route(route: Route, request: Request) -> None:
        if _is_local(request.url):
            route.continue_()
        else:
            problems.foreign_requests.append(f"{request.method} {request.url}")
            route.abort("blockedbyclient")

    def _response(response: PlaywrightResponse) -> None:
        if response.status >= 400:
            request = response.request
            problems.bad_responses.append(f"{response.status} {request.method} {response.url}")

    def _console(message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url") or ""
            problems.console_errors.append(f"console: {message.text} [{where}]")

    def _page(page: Page) -> None:
        page.on("pageerror", lambda error: problems.console_errors.append(f"page error: {error}"))

    context.route("**/*", _route)
    context.on("response", _response)
    context.on("console", _console)
    context.on("page", _page)


@pytest.fixture
def page_problems() -> PageProblems:
    """The problems recorded by the ``page`` fixture (a test may inspect, never clear them)."""
    return PageProblems()


@pytest.fixture
def new_page(
    live_server: LiveServer, browser: Browser, page_problems: PageProblems
) -> Iterator[Any]:
    """Open watched pages in fresh contexts: ``new_page(viewport=...)``; all checked at teardown."""
    contexts: list[BrowserContext] = []

    def _open(**context_options: Any) -> Page:
        options = {"locale": "en-GB", "base_url": live_server.url, **context_options}
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        watch(context, page_problems)
        return context.new_page()

    yield _open
    for context in contexts:
        try:
            context.close()
        except PlaywrightError:
            pass
    report = page_problems.report()
    if report:
        pytest.fail(f"The browser saw problems:\n{report}", pytrace=False)


@pytest.fixture
def page(new_page: Any) -> Page:
    """A watched page in a fresh context (en-GB), at desktop size."""
    return new_page()


def check_axe(page: Page) -> list[str]:
    """Run axe-core (WCAG 2.0-2.2 A and AA rules) on the page; one readable entry per violation.

    The checker is evaluated through the DevTools protocol, which the page's Content Security
    Policy (``script-src 'self'``) does not govern, so the CSP stays in force for the app itself.
    """
    # After a click that navigates, the new page's text can be there before its stylesheets:
    # on a busy machine axe then measured unstyled buttons (target-size). Wait for them.
    page.wait_for_load_state("load")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    violations = page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})
            .then(result => result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, html: n.html,
                                          summary: n.failureSummary}))
            })))""",
        AXE_TAGS,
    )
    return [_format_violation(violation) for violation in violations]


_axe_cache: list[str] = []


def _axe_source() -> str:
    if not _axe_cache:
        _axe_cache.append(AXE_JS.read_text(encoding="utf-8"))
    return _axe_cache[0]


def _format_violation(violation: dict[str, Any], shown: int = 3) -> str:
    nodes = violation["nodes"]
    lines = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>",
        f"    {len(nodes)} element(s): "
        + ", ".join(" ".join(node["target"]) for node in nodes[:10])
        + (" …" if len(nodes) > 10 else ""),
    ]
    for node in nodes[:shown]:
        lines.append(f"    html: {node['html'][:300]}")
        summary = (node.get("summary") or "").replace("\n", " | ")
        if summary:
            lines.append(f"      {summary[:400]}")
    return "\n".join(lines)


def sign_in(page: Page, server: LiveServer, role: Role) -> None:
    """Sign in through the real login form and wait for the home page."""
    username, password = server.users[role]
    page.goto(server("/login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server("/"))
    page.get_by_role("navigation", name="Main menu").wait_for()
