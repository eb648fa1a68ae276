"""Browser tests: every reachable page is accessible, sign-in, keyboard use, reflow, accounts."""

from collections import Counter, deque
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import pytest
from playwright.sync_api import Locator, Page, expect
from werkzeug.exceptions import HTTPException

from hilogistics.auth.models import Role
from tests.e2e.conftest import LiveServer, check_axe, sign_in

pytestmark = pytest.mark.e2e

MAX_PAGES_PER_ROLE = 220
MAX_QUERY_VARIANTS_PER_PATH = 3
# Pages of one kind (one endpoint: every item's edit page, say) share a template: a few of each
# prove the template; all of them would only cost time.
MAX_PAGES_PER_ENDPOINT = 3
ROLES = [Role.ADMIN, Role.LOGISTICS, Role.TECHNICIAN, Role.VIEWER]

LINKS_JS = "links => links.map(a => [a.getAttribute('href'), a.href])"
FOCUS_RING_JS = """el => {
    const s = getComputedStyle(el);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
    return {outline, boxShadow: s.boxShadow !== 'none',
            outlineStyle: `${s.outlineStyle} ${s.outlineWidth}`, shadow: s.boxShadow};
}"""


def _axe_report(violations: list[str]) -> str:
    return "\n".join(violations)


def assert_axe_clean(page: Page, what: str = "") -> None:
    """Fail with axe's readable report when the page has WCAG A/AA violations."""
    violations = check_axe(page)
    assert not violations, f"axe violations on {what or page.url}:\n{_axe_report(violations)}"


def _page_key(url: str) -> str:
    """Path and query of ``url``, without the fragment."""
    parts = urlsplit(url)
    return urlunsplit(("", "", parts.path or "/", parts.query, ""))


def crawl(page: Page, server: LiveServer) -> tuple[list[str], list[str]]:
    """Breadth-first over same-origin links from "/"; returns (visited, failures)."""
    origin = urlsplit(server.url).netloc
    static_prefix = server.app.static_url_path.rstrip("/") + "/"
    queue: deque[str] = deque(["/"])
    queued = {"/"}
    query_variants: Counter[str] = Counter()
    per_endpoint: Counter[str] = Counter()
    routes = server.app.url_map.bind("localhost")
    visited: list[str] = []
    failures: list[str] = []

    while queue and len(visited) < MAX_PAGES_PER_ROLE:
        target = queue.popleft()
        visited.append(target)
        response = page.goto(server(target))
        if response is None or response.status >= 400:
            status = response.status if response else "no response"
            failures.append(f"{target}: status {status}")
            continue
        landed = _page_key(page.url)
        if urlsplit(landed).path == "/login":
            failures.append(f"{target}: sent to the sign-in page ({landed})")
            continue
        violations = check_axe(page)
        if violations:
            failures.append(f"{target}: axe violations:\n{_axe_report(violations)}")

        for raw, absolute in page.locator("a[href]").evaluate_all(LINKS_JS):
            if not raw or raw.startswith("#"):
                continue
            parts = urlsplit(absolute)
            if parts.scheme not in ("http", "https") or parts.netloc != origin:
                continue
            if parts.path.startswith(static_prefix):
                continue
            key = _page_key(absolute)
            if key in queued:
                continue
            try:
                endpoint, _args = routes.match(parts.path, method="GET")
            except HTTPException:
                endpoint = parts.path  # a broken link: visit it, so the 404 is reported
            if endpoint.endswith(("_export", "_template")):
                continue  # a file download, not a page
            if endpoint.endswith("_pdf"):
                # A printed document: fetched (once per endpoint), not opened in the viewer,
                # whose own chrome:// resources are no request of ours.
                if per_endpoint[endpoint] < 1:
                    per_endpoint[endpoint] += 1
                    document = page.request.get(absolute)
                    if (
                        document.status != 200
                        or document.headers.get("content-type", "").split(";")[0]
                        != "application/pdf"
                    ):
                        failures.append(f"{key}: status {document.status}, not a PDF")
                    elif not document.body().startswith(b"%PDF-"):
                        failures.append(f"{key}: the body is not a PDF")
                continue
            if per_endpoint[endpoint] >= MAX_PAGES_PER_ENDPOINT:
                continue
            per_endpoint[endpoint] += 1
            if parts.query:
                if query_variants[parts.path] >= MAX_QUERY_VARIANTS_PER_PATH:
                    continue
                query_variants[parts.path] += 1
            queued.add(key)
            queue.append(key)

    if queue:
        failures.append(
            f"stopped after {MAX_PAGES_PER_ROLE} pages with {len(queue)} links left; "
            "raise the cap or check for a link that makes endless new addresses"
        )
    return visited, failures


def switch_language(page: Page, name: str, lang: str) -> None:
    """Press the header's language button ``name`` and wait for the page in ``lang``."""
    page.locator("header button[name='locale']", has_text=name).click()
    expect(page.locator("html")).to_have_attribute("lang", lang)
    page.wait_for_load_state("load")


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.value)
def test_every_page_reachable_from_navigation_is_accessible(
    page: Page,
    live_server: LiveServer,
    role: Role,
    record_property: Callable[[str, object], None],
) -> None:
    sign_in(page, live_server, role)
    visited, failures = crawl(page, live_server)

    record_property("visited", visited)
    print(f"\n[{role.value}] crawler visited {len(visited)} page(s):")
    for url in visited:
        print(f"  {url}")

    page.goto(live_server("/"))
    try:
        for name, lang in [("조선어", "ko-KP"), ("Français", "fr")]:
            switch_language(page, name, lang)
            assert urlsplit(page.url).path == "/"
            # The text really is in the language html[lang] announces (WCAG 3.1.1).
            expect(page.locator(".skip-link")).not_to_have_text("Skip to main content")
            violations = check_axe(page)
            if violations:
                failures.append(f"/ in {lang}: axe violations:\n{_axe_report(violations)}")
    finally:
        # The choice is stored on the account: put English back for the other tests.
        if page.locator("html").get_attribute("lang") != "en":
            switch_language(page, "English", "en")

    # The header's document search as a barcode scanner uses it: characters, then Enter. (Its
    # 404 answer cannot be opened here, where any status >= 400 fails the test: the find page
    # without a number has the same form and is checked instead.)
    numbers = [url.rsplit("/", 1)[1] for url in visited if url.startswith("/d/")]
    if numbers:
        search = page.get_by_role("search", name="Open a document by its number")
        search.get_by_label("Document number").fill(f" {numbers[0].lower()} ")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        if urlsplit(page.url).path in ("/d", "/login"):
            failures.append(f"the search box did not open {numbers[0]}: {page.url}")
    page.goto(live_server("/d"))
    violations = check_axe(page)
    if violations:
        failures.append(f"/d: axe violations:\n{_axe_report(violations)}")

    assert "/" in visited
    assert len(visited) > 1, f"the crawler found no link from the home page: {visited}"
    assert not failures, f"{len(failures)} problem(s) for {role.value}:\n" + "\n".join(failures)


def test_login_page_and_its_error_state_are_accessible(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server("/login"))
    expect(page.get_by_role("heading", level=1, name="Sign in")).to_be_visible()
    assert_axe_clean(page, "the login page")

    page.get_by_label("Username").fill("nobody-by-this-name")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("The username or password is not correct.")
    assert_axe_clean(page, "the login page after wrong credentials")

    # The form macro renders <form novalidate>, so the browser lets an empty form through even
    # though the inputs carry `required`; the server's own messages are what users get.
    form = page.locator("main form")
    assert form.evaluate("f => f.noValidate"), "the login form should have novalidate"
    page.get_by_label("Username").fill("")
    page.get_by_label("Password").fill("")
    page.get_by_role("button", name="Sign in").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Please correct the following 2 problems:")
    for field_id, label in [("username", "Username"), ("password", "Password")]:
        field = page.locator(f"#{field_id}")
        expect(field).to_have_attribute("aria-invalid", "true")
        described_by = (field.get_attribute("aria-describedby") or "").split()
        assert f"{field_id}-error" in described_by, (field_id, described_by)
        for id_ref in described_by:
            expect(page.locator(f"#{id_ref}")).to_have_count(1)
        expect(page.locator(f"#{field_id}-error")).to_contain_text("Error:")
        expect(summary.get_by_role("link", name=label)).to_have_attribute("href", f"#{field_id}")
        # The accessible description a screen reader announces with the field.
        expect(page.get_by_label(label)).to_have_accessible_description(
            page.locator(f"#{field_id}-error").inner_text()
        )
    assert_axe_clean(page, "the login page with field errors")


def _focused(page: Page) -> Locator:
    return page.locator("*:focus")


def _assert_focus_visible(page: Page) -> None:
    ring = _focused(page).evaluate(FOCUS_RING_JS)
    assert ring["outline"] or ring["boxShadow"], f"no visible focus indicator: {ring}"


def test_keyboard_only_user_can_sign_in_and_reach_the_menu(
    page: Page, live_server: LiveServer
) -> None:
    username, password = live_server.users[Role.LOGISTICS]
    keyboard = page.keyboard
    page.goto(live_server("/login"))

    # The login form autofocuses its Username field, so typing starts there at once; the
    # skip link (first in tab order) is checked on the home page below.
    expect(_focused(page)).to_have_id("username")
    keyboard.type(username)
    keyboard.press("Tab")
    expect(_focused(page)).to_have_id("password")
    _assert_focus_visible(page)
    keyboard.type(password)
    keyboard.press("Enter")
    page.wait_for_url(live_server("/"))

    # First Tab on a fresh page: the skip link, shown on screen while it has focus.
    keyboard.press("Tab")
    skip = _focused(page)
    expect(skip).to_have_text("Skip to main content")
    expect(skip).to_be_in_viewport()
    _assert_focus_visible(page)

    menu = page.get_by_role("navigation", name="Main menu")
    for _ in range(20):
        keyboard.press("Tab")
        if menu.locator("*:focus").count():
            break
    else:
        pytest.fail("20 presses of Tab did not reach the main menu")
    expect(_focused(page)).to_have_text("Home")
    _assert_focus_visible(page)

    # Walk the menu to "My password" (its last entry) and open it with Enter.
    for _ in range(len(menu.get_by_role("link").all())):
        if _focused(page).inner_text() == "My password":
            break
        keyboard.press("Tab")
    expect(_focused(page)).to_have_text("My password")
    _assert_focus_visible(page)
    keyboard.press("Enter")
    page.wait_for_url(live_server("/account/password"))

    # The skip link moves focus to the main content.
    keyboard.press("Tab")
    expect(_focused(page)).to_have_text("Skip to main content")
    keyboard.press("Enter")
    expect(_focused(page)).to_have_id("content")


def test_the_layout_holds_at_200_percent_zoom(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    # 640 CSS px is a 1280 px window at 200 % zoom; 320 CSS px is WCAG 1.4.10's reflow width.
    page = new_page(viewport={"width": 640, "height": 480})
    overflow: list[str] = []

    def check(path: str) -> None:
        for width, height in [(640, 480), (320, 480)]:
            page.set_viewport_size({"width": width, "height": height})
            page.goto(live_server(path))
            sizes = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            if sizes[0] > sizes[1] + 1:
                overflow.append(f"{path} at {width} px: content {sizes[0]} px wide")

    check("/login")
    sign_in(page, live_server, Role.ADMIN)
    for path in ["/", "/users", "/users/new", "/account/password"]:
        check(path)
    assert not overflow, "horizontal scrolling needed:\n" + "\n".join(overflow)


def test_admin_creates_a_user_through_the_browser(page: Page, live_server: LiveServer) -> None:
    username = "e2e_new_technician"
    sign_in(page, live_server, Role.ADMIN)

    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", level=1, name="Users")).to_be_visible()
    page.get_by_role("link", name="New account").click()
    expect(page.get_by_role("heading", level=1, name="New account")).to_be_visible()

    page.get_by_label("Username (required)", exact=True).fill(username)
    page.get_by_label("Full name").fill("Pak New Technician")
    page.get_by_label("Role").select_option(label="Centre technician")
    location = page.get_by_label("Location")
    choices = location.locator("option").all_inner_texts()
    assert len(choices) > 1, f"no location to choose: {choices}"
    location.select_option(index=1)
    page.get_by_label("First password").fill("a long first password")
    page.get_by_role("button", name="Create account").click()

    page.wait_for_url(live_server("/users"))
    expect(page.get_by_role("status")).to_contain_text(f"Account {username} created.")
    row = page.get_by_role("row").filter(has_text=username)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Centre technician")
    expect(row).to_contain_text(choices[1])
    expect(row).to_contain_text("Active")
    assert_axe_clean(page, "the users list after creating an account")

    row.get_by_role("link", name=f"Deactivate {username}").click()
    expect(page.get_by_role("heading", level=1, name="Deactivate account")).to_be_visible()
    assert_axe_clean(page, "the deactivation confirmation")
    page.get_by_role("button", name="Deactivate").click()

    page.wait_for_url(live_server("/users"))
    expect(page.get_by_role("status")).to_contain_text(f"Account {username} deactivated.")
    expect(row).to_contain_text("Deactivated")
    expect(row.get_by_role("link", name=f"Reactivate {username}")).to_be_visible()


def test_the_web_fonts_load_as_small_slices_and_render_hangul(
    page: Page, live_server: LiveServer
) -> None:
    fonts: list[str] = []
    page.on("request", lambda r: fonts.append(r.url) if "/fonts/" in r.url else None)
    page.goto(live_server("/login"))  # its language switch shows 조선어 and Français
    statuses = page.evaluate(
        """() => document.fonts.ready.then(() => [...document.fonts]
                .filter(f => f.status !== "unloaded")
                .map(f => `${f.family} ${f.weight}: ${f.status}`))"""
    )
    assert statuses, "no @font-face in the stylesheet was used"
    assert all(status.endswith(": loaded") for status in statuses), statuses
    # What Chromium really drew the Korean language button with: our font, every glyph.
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": 'button[lang="ko-KP"]'})
    used = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
    assert [(f["familyName"], f["isCustomFont"], f["glyphCount"]) for f in used] == [
        ("NanumGothic", True, 3)
    ], used
    # Only the slices the page needs came over the wire: Latin and the interface's Hangul.
    names = sorted({url.rsplit("/", 1)[1] for url in fonts})
    assert names and all(name.endswith(".woff2") for name in names), names
    assert {"nanumgothic-400-latin.woff2", "nanumgothic-400-hangul-core.woff2"} <= set(names)
    assert not any("hangul-0" in name or "hangul-1" in name for name in names), names


def test_codes_and_dates_stay_on_one_line_on_a_narrow_screen(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    page = new_page(viewport={"width": 320, "height": 640})
    sign_in(page, live_server, Role.LOGISTICS)
    page.goto(live_server("/stock"))
    page.locator("main a[href^='/stock/locations/']").first.click()
    page.wait_for_load_state()
    split = page.evaluate(
        """() => [...document.querySelectorAll('td.code, td.code a, table time')]
                .filter(e => e.getClientRects().length > 1)
                .map(e => e.textContent)"""
    )
    assert page.locator("td.code").count() > 10
    assert split == [], f"split over lines at 320 px: {split[:10]}"
